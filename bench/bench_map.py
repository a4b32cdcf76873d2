"""Map size and load-time benchmark: 100,000 alerts and 5,000 venues.

Builds a synthetic output folder (the test fixture builder, seeded), renders ``map.html`` and
``briefing.*``, then opens ``map.html`` in headless Debian chromium with every network request
blocked and reads the navigation timing of the load event (all inline scripts, including the
layer drawing, have run by then). Goal from issue 5: under 5 MB and under 2 s.

    .venv/bin/python bench/bench_map.py [--alerts 100000] [--venues 5000] [--runs 3]

Writes bench/results/bench_map.json (git-ignored) and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geo_outreach.render import render_outputs  # noqa: E402 - after the sys.path line
from tests.render.browser_helpers import (  # noqa: E402
    PageWatch,
    chromium_available,
    launch_chromium,
    make_output_folder,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=100_000)
    ap.add_argument("--venues", type=int, default=5_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: a temp dir)")
    ap.add_argument(
        "--folder",
        type=Path,
        default=None,
        help="measure an existing plan output folder (e.g. outputs/demo) instead",
    )
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    if args.folder is not None:
        out = args.folder
    else:
        out = args.out or Path(tempfile.mkdtemp(prefix="bench_map_")) / "run"
        make_output_folder(out, n_alerts=args.alerts, n_venues=args.venues, seed=11)
    t_fixture = time.perf_counter() - t0
    t0 = time.perf_counter()
    written = render_outputs(out)
    t_render = time.perf_counter() - t0
    html = written["map"]
    result: dict = {
        "folder": str(out) if args.folder else "synthetic",
        "alerts": args.alerts if args.folder is None else None,
        "venues": args.venues if args.folder is None else None,
        "fixture_s": round(t_fixture, 2),
        "render_outputs_s": round(t_render, 2),
        "map_html_bytes": html.stat().st_size,
        "map_html_mb": round(html.stat().st_size / 1e6, 2),
        "briefing_html_mb": round(written["briefing_html"].stat().st_size / 1e6, 2),
    }
    if chromium_available():
        loads, readies = [], []
        with launch_chromium() as browser:
            for _ in range(args.runs):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                watch = PageWatch(page)
                page.goto(html.resolve().as_uri(), wait_until="load")
                nav = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
                nav = json.loads(nav)
                loads.append(nav["loadEventEnd"] - nav["startTime"])
                readies.append(nav["domContentLoadedEventEnd"] - nav["startTime"])
                result["counts"] = page.evaluate("window.geoOutreach.counts")
                # switching the clustered venue layer on (the first clustering pass)
                result["venues_layer_on_ms"] = round(
                    page.evaluate("""() => {
                    const t0 = performance.now();
                    window.geoOutreach.map.addLayer(window.geoOutreach.groups.venues);
                    return performance.now() - t0; }""")
                )
                result["requests_outside"] = len(watch.outside)
                result["console_errors"] = watch.errors
                page.close()
        result["load_event_ms"] = [round(x) for x in loads]
        result["load_event_ms_median"] = round(statistics.median(loads))
        result["dom_content_loaded_ms_median"] = round(statistics.median(readies))
    else:
        result["load_event_ms"] = "skipped: /usr/bin/chromium or playwright missing"
    res_dir = REPO / "bench" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    name = "bench_map.json" if args.folder is None else "bench_map_folder.json"
    (res_dir / name).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    ok = (
        result["map_html_mb"] < 5
        and isinstance(result.get("load_event_ms_median"), int)
        and result["load_event_ms_median"] < 2000
    )
    print(f"goal (< 5 MB, < 2 s to load): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
