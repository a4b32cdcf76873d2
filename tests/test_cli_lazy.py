"""Issue 14: ``import geo_outreach`` and ``geo-outreach --help`` load no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

import geo_outreach as go
from geo_outreach import osm
from geo_outreach.cli import osm as cli_osm

HEAVY = ("pandas", "geopandas", "scipy", "statsmodels", "matplotlib", "pyarrow", "networkx")


def _loaded_after(code: str) -> dict[str, bool]:
    """Run ``code`` in a fresh interpreter; return which heavy modules it loaded."""
    check = f"import json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    probe = f"{code}\n{check}"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded: dict[str, bool] = json.loads(out.strip().splitlines()[-1])
    return loaded


def test_import_and_help_load_no_heavy_library():
    code = (
        "import geo_outreach, geo_outreach.render.naming\n"
        "from geo_outreach.cli import build_parser\n"
        "build_parser().format_help()"
    )
    assert _loaded_after(code) == dict.fromkeys(HEAVY, False)
    # a lazy name loads its module on first use
    assert _loaded_after("import geo_outreach\ngeo_outreach.io")["pandas"] is True


def test_lazy_names_are_the_eager_ones():
    import importlib

    module = importlib.import_module("geo_outreach.plan")  # sets go.plan: dropped, see _Package
    assert callable(go.plan) and go.plan is go.api.plan and module.build_plan is not None
    assert go.Plan is module.Plan and go.io is importlib.import_module("geo_outreach.io")
    assert {name for name in go.__all__ if getattr(go, name) is None} == set()
    assert set(go.__all__) <= set(dir(go))


def test_osm_help_urls_are_the_osm_defaults():
    assert cli_osm.OVERPASS_URL == osm.DEFAULT_OVERPASS_URL
    assert cli_osm.NOMINATIM_URL == osm.DEFAULT_NOMINATIM_URL
