"""Installed, not only cloned (issue 10): build the wheel, pip-install it into a temporary venv,
run `geo-outreach demo` and `geo-outreach init` from an empty folder.

The wheel is built offline (--no-build-isolation, setuptools from the test extra). The temporary
venv gets the wheel through pip, without dependencies; it sees the test venv's installed
dependencies through a .pth line (no network, a few seconds), but not the checkout: the test
checks that geo_outreach is imported from the installed wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "geo_outreach", "data")


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(wheel, venv bin folder) with the wheel pip-installed into a fresh venv."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:  # a copy: the build never writes build/ or egg-info into the checkout
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(p, src / name)
    dist = base / "dist"
    build = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(src),
        ]
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = dist.glob("geo_outreach-*.whl")
    venv = base / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)]).returncode == 0
    vpy = venv / "bin" / "python"
    site = _run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    # the dependencies of the test venv, as a plain path (its .pth files, among them the
    # editable install of the checkout, are not processed)
    Path(site.stdout.strip(), "test_venv_deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    pip = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(vpy),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ]
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    return wheel, venv / "bin"


def test_wheel_ships_the_sample_data_and_no_templates_entry(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in (
        "sample/xinhui_demo.toml",
        "sample/alerts.csv",
        "boundaries/xinhui_precincts.geojson",
        "sample/README.md",
        "boundaries/README.md",
    ):
        assert f"geo_outreach/_data/{rel}" in names, rel
    assert "geo_outreach/assets/blank_scenario.toml" in names
    assert not any(n.startswith("geo_outreach/templates") for n in names)
    assert not any(n.startswith(("data/", "tests/")) for n in names)


def test_installed_demo_and_init_run_from_an_empty_folder(installed, tmp_path: Path):
    _, bin_dir = installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    cwd = tmp_path / "empty"
    cwd.mkdir()
    where = _run(
        [str(bin_dir / "python"), "-c", "import geo_outreach; print(geo_outreach.__file__)"],
        cwd=cwd,
        env=env,
    )
    assert str(bin_dir.parent) in where.stdout, where.stdout + where.stderr  # not the checkout
    demo = _run([str(bin_dir / "geo-outreach"), "demo", "--quiet"], cwd=cwd, env=env)
    assert demo.returncode == 0, demo.stderr[-2000:]
    out = cwd / "outputs" / "demo"  # next to the user, never inside site-packages
    assert f"map.html: {out / 'map.html'}" in demo.stdout
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["rows"]["alerts"] == 2413 and m["synthetic"] is True
    init = _run([str(bin_dir / "geo-outreach"), "init", "myplan"], cwd=cwd, env=env)
    assert init.returncode == 0, init.stderr
    assert (cwd / "myplan" / "data" / "alerts.csv").is_file()
    assert (cwd / "myplan" / "data" / "sample_README.md").is_file()
    val = _run(
        [str(bin_dir / "geo-outreach"), "validate", "myplan/scenario.toml", "--quick", "--quiet"],
        cwd=cwd,
        env=env,
    )
    assert val.returncode == 0 and "2413" in val.stdout, val.stderr
    blank = _run([str(bin_dir / "geo-outreach"), "init", "city", "--blank"], cwd=cwd, env=env)
    assert blank.returncode == 0 and (cwd / "city" / "SCENARIO.md").is_file(), blank.stderr
