"""What the offline pages carry inline.

Leaflet and Leaflet.markercluster from the XStatic packages (their CSS images as ``data:`` URIs),
our own ``map.js``/``map.css``/``briefing.css``, the density raster as a PNG ``data:`` URI, and
the JSON payload for the map's ``<script>`` element.

folium's default page pulls Leaflet, jQuery, Bootstrap and Font-Awesome from CDNs, which is a
blank page on an air-gapped police network; with these assets the page makes no request at all
(with ``basemap="none"``).
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import re
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from geo_outreach._errors import InputDataError
from geo_outreach.crs import from_wgs84_lonlat
from geo_outreach.render.style import DENSITY_FLOOR

__all__ = [
    "DensityImage",
    "asset",
    "density_image",
    "inline_script",
    "json_for_script",
    "offline_assets",
]


def asset(name: str) -> str:
    """Read one of our own assets (``map.js``, ``map.css``).

    Parameters
    ----------
    name
        The file name in ``geo_outreach/assets``.

    Returns
    -------
    str
        Its text.
    """
    return resources.files("geo_outreach").joinpath("assets", name).read_text(encoding="utf-8")


def _xstatic_dir(module: str, pip_name: str) -> Path:
    try:
        mod = importlib.import_module(f"xstatic.pkg.{module}")
    except ImportError:
        raise InputDataError(
            f"the offline map needs the {pip_name} package; "
            f"install it with `pip install {pip_name}`"
        ) from None
    return Path(mod.BASE_DIR)


def _inline_css_images(css: str, base: Path) -> str:
    def repl(m: re.Match[str]) -> str:
        ref = m.group(2)
        p = base / ref
        if ref.startswith("data:") or not p.is_file():
            return m.group(0)
        b64 = base64.b64encode(p.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{b64})"

    return re.sub(r"url\((['\"]?)([^)'\"]+)\1\)", repl, css)


def offline_assets() -> tuple[str, str]:
    """CSS and JS of Leaflet + Leaflet.markercluster + our own, ready to inline.

    Returns
    -------
    tuple of str
        ``(css, js)``.

    Raises
    ------
    InputDataError
        When an XStatic package is not installed (the message names it).
    """
    leaflet = _xstatic_dir("leaflet", "xstatic-leaflet")
    cluster = _xstatic_dir("leaflet_markercluster", "xstatic-leaflet-markercluster")
    css = "\n".join(
        [
            _inline_css_images((leaflet / "leaflet.css").read_text(encoding="utf-8"), leaflet),
            (cluster / "MarkerCluster.css").read_text(encoding="utf-8"),
            (cluster / "MarkerCluster.Default.css").read_text(encoding="utf-8"),
            asset("map.css"),
        ]
    )
    js = "\n".join(
        [
            (leaflet / "leaflet.js").read_text(encoding="utf-8"),
            (cluster / "leaflet.markercluster.js").read_text(encoding="utf-8"),
        ]
    )
    # a source-map comment would make devtools fetch the .map file
    js = "\n".join(line for line in js.splitlines() if not line.startswith("//# sourceMappingURL"))
    return css, js


def inline_script(js: str) -> str:
    """Wrap ``js`` in a ``<script>`` element (no ``</script`` inside can close it).

    Parameters
    ----------
    js
        JavaScript source.

    Returns
    -------
    str
        The element.
    """
    return "<script>\n" + js.replace("</script", "<\\/script") + "\n</script>"


def json_for_script(data: Any) -> str:
    """Compact JSON that is safe inside a ``<script type="application/json">`` element.

    Parameters
    ----------
    data
        JSON-able data (no NaN).

    Returns
    -------
    str
        JSON text without ``</`` or ``<!--``.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # keep the payload from closing its <script> element ("</") or entering the HTML parser's
    # escaped-script states ("<!--"); user text is HTML-escaped already, so it has no "<" at all
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


@dataclass(frozen=True)
class DensityImage:
    """The density raster coloured for the web map.

    Attributes
    ----------
    uri
        A ``data:image/png;base64,...`` URI.
    bounds
        ``[[south, west], [north, east]]`` in the base map's datum.
    vmin, vmax
        The value range of the colour ramp (alerts / km² / year).
    """

    uri: str
    bounds: list[list[float]]
    vmin: float
    vmax: float


def _warp_to_mercator(path: Path, max_px: int) -> tuple[np.ndarray, Any, int, int]:
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    with warnings.catch_warnings(), rasterio.open(path) as src:
        # rasterio builds transforms with affine's deprecated `*`; not our code to fix
        warnings.filterwarnings(
            "ignore", message="Use `@` matmul", category=PendingDeprecationWarning
        )
        arr = src.read(1, masked=True).astype("float64").filled(np.nan)
        src_crs, src_tr = src.crs, src.transform
        if src_crs is None:
            raise InputDataError(f"{path}: the GeoTIFF has no CRS; re-run `geo-outreach plan`")
        w, h = src.width, src.height
        tr, dw, dh = calculate_default_transform(src_crs, "EPSG:3857", w, h, *src.bounds)
        scale = max(dw / max_px, dh / max_px, 1.0)
        dw, dh = max(int(dw / scale), 1), max(int(dh / scale), 1)
        tr, dw, dh = calculate_default_transform(
            src_crs, "EPSG:3857", w, h, *src.bounds, dst_width=dw, dst_height=dh
        )
        dst = np.full((dh, dw), np.nan)
        reproject(
            arr, dst, src_transform=src_tr, src_crs=src_crs, src_nodata=np.nan,
            dst_transform=tr, dst_crs="EPSG:3857", dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )  # fmt: skip
    return dst, tr, dw, dh


def _png_uri(dst: np.ndarray, vmax: float, cmap: str) -> str:
    from matplotlib import colormaps
    from PIL import Image

    norm = np.clip(dst / vmax, 0, 1)
    rgba = colormaps[cmap](np.nan_to_num(norm))
    # transparent below DENSITY_FLOOR of the top value, so the choropleth stays readable
    visible = np.isfinite(dst) & (norm > DENSITY_FLOOR)
    # at most 55 % opaque, so that streets and outlines stay visible through it (issue 11)
    rgba[..., 3] = np.where(visible, 0.15 + 0.4 * np.sqrt(np.nan_to_num(norm)), 0.0)
    img = Image.fromarray((rgba * 255).astype("uint8"), "RGBA")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def density_image(
    path: Path, datum: str = "wgs84", *, cmap: str = "YlOrRd", max_px: int = 900
) -> DensityImage | None:
    """Reproject a density GeoTIFF to Web Mercator and colour it.

    Parameters
    ----------
    path
        ``density.tif``.
    datum
        The base map's datum.
    cmap
        The matplotlib colormap.
    max_px
        The largest image side in pixels.

    Returns
    -------
    DensityImage or None
        None when the raster holds no finite positive value.

    Raises
    ------
    InputDataError
        When the GeoTIFF has no CRS.
    """
    from pyproj import Transformer

    dst, tr, dw, dh = _warp_to_mercator(path, max_px)
    finite = dst[np.isfinite(dst) & (dst > 0)]
    if finite.size == 0:
        return None
    vmin, vmax = 0.0, float(np.quantile(finite, 0.99))
    vmax = vmax if vmax > 0 else float(finite.max())
    uri = _png_uri(dst, vmax, cmap)
    tf = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    west, north = tf.transform(tr.c, tr.f)
    east, south = tf.transform(tr.c + tr.a * dw, tr.f + tr.e * dh)
    if datum != "wgs84":
        lons, lats = from_wgs84_lonlat(np.array([west, east]), np.array([south, north]), datum)
        west, east, south, north = float(lons[0]), float(lons[1]), float(lats[0]), float(lats[1])
    return DensityImage(uri, [[south, west], [north, east]], vmin, vmax)
