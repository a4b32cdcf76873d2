"""Print a briefing page to PDF with headless Chromium (A4, the page's own print CSS).

Chromium is found on the ``PATH`` (``chromium``, ``chromium-browser``, ``google-chrome``) or
through the ``GEO_OUTREACH_CHROMIUM`` environment variable. It runs with a throw-away profile,
every host name resolving to nothing (the page is self-contained; nothing may be fetched), and
a time limit. The caller falls back to the matplotlib map page when this fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from geo_outreach._errors import GeoOutreachError
from geo_outreach.outputs import atomic_write

__all__ = ["PdfPrintError", "chromium_executable", "print_pdf"]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENV_VAR = "GEO_OUTREACH_CHROMIUM"
TIMEOUT_S = 120.0


class PdfPrintError(GeoOutreachError, RuntimeError):
    """Chromium is missing or could not print the page."""


def chromium_executable() -> str | None:
    """Return the Chromium to print with, or None when there is none.

    Returns
    -------
    str or None
        ``$GEO_OUTREACH_CHROMIUM`` when set (an empty value means: do not use Chromium), else
        the first of :data:`CHROMIUM_NAMES` on the ``PATH``.
    """
    env = os.environ.get(ENV_VAR)
    if env is not None:
        return env if env and Path(env).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html: Path, pdf: Path, *, timeout_s: float = TIMEOUT_S) -> Path:
    """Print ``html`` to ``pdf`` (atomically) with headless Chromium.

    Parameters
    ----------
    html
        A self-contained HTML file.
    pdf
        The PDF to write.
    timeout_s
        Give up after this many seconds.

    Returns
    -------
    pathlib.Path
        ``pdf``.

    Raises
    ------
    PdfPrintError
        Without Chromium, or when it fails, times out or writes no PDF.
    """
    exe = chromium_executable()
    if exe is None:
        raise PdfPrintError(f"no Chromium found (install Debian chromium or set {ENV_VAR})")

    def run(out: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="geo_outreach_chromium_") as profile:
            cmd = [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-extensions",
                "--no-first-run",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={out}",
                Path(html).resolve().as_uri(),
            ]
            try:
                proc = subprocess.run(
                    cmd, capture_output=True, timeout=timeout_s, check=False, text=True
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise PdfPrintError(f"Chromium could not print {html.name}: {exc}") from None
            ok = out.is_file() and out.read_bytes()[:5] == b"%PDF-"
            if proc.returncode != 0 or not ok:
                tail = (proc.stderr or "").strip().splitlines()[-1:] or [""]
                raise PdfPrintError(
                    f"Chromium could not print {html.name} (exit {proc.returncode}) {tail[0]}"
                )

    return atomic_write(pdf, run)
