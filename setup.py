"""Build hook (issue 10): ship the sample data inside the wheel without moving ``data/``.

``data/sample`` and ``data/boundaries`` stay where they are in the repository (scripts and other
tools write there); at build time they are copied into the package as
``geo_outreach/_data/{sample,boundaries}``, so an installed ``geo-outreach demo`` / ``init``
finds them with :mod:`importlib.resources`. Everything else is configured in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SAMPLE_DIRS = ("sample", "boundaries")  # relative to data/; the demo scenario uses both


class BuildPyWithSample(build_py):
    """``build_py`` that also copies the sample data into ``geo_outreach/_data``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads data/ in the checkout
        for name in SAMPLE_DIRS:
            src = ROOT / "data" / name
            if not src.is_dir():
                raise SystemExit(f"setup.py: {src} is missing; the wheel needs the sample data")
            dst = Path(self.build_lib) / "geo_outreach" / "_data" / name
            shutil.copytree(
                src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
            )


setup(cmdclass={"build_py": BuildPyWithSample})
