"""Text for maps and briefings: HTML escaping, number formats and popup HTML.

Every user-supplied string (names, categories, labels from the manifest) goes through
:func:`esc` before it reaches HTML; ``map.js`` only concatenates the strings built here.
"""

from __future__ import annotations

import html
import math
from datetime import UTC, datetime
from typing import Any, SupportsFloat, TypeGuard

import pandas as pd

from geo_outreach.i18n import t

__all__ = [
    "esc",
    "fmt_num",
    "fmt_pct",
    "fmt_share",
    "fmt_sig",
    "generated_at",
    "get",
    "isnum",
    "mpl_text",
    "nice",
    "popup_html",
    "sig_html",
    "trend_text",
]


def esc(value: Any) -> str:
    """HTML-escape any value for a popup, tooltip, label or report cell.

    Parameters
    ----------
    value
        Anything; ``None`` becomes ``""``.

    Returns
    -------
    str
        ``str(value)`` with ``&``, ``<``, ``>`` and quotes escaped.
    """
    return html.escape("" if value is None else str(value), quote=True)


def isnum(x: Any) -> TypeGuard[SupportsFloat]:
    """Whether ``x`` is a finite number (``bool`` is not).

    Parameters
    ----------
    x
        Any value.

    Returns
    -------
    bool
        True when ``float(x)`` is finite.
    """
    try:
        return x is not None and not isinstance(x, bool) and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def fmt_num(x: Any, digits: int = 0) -> str:
    """Format a number with thousands separators, '–' when missing.

    Parameters
    ----------
    x
        The number.
    digits
        Decimal places.

    Returns
    -------
    str
        E.g. ``"1,234"``.
    """
    if not isnum(x):
        return "–"
    return f"{float(x):,.{digits}f}"


def fmt_pct(x: Any, *, signed: bool = True, digits: int = 1) -> str:
    """Format a percentage (the input already in percent), '–' when missing.

    Parameters
    ----------
    x
        The value in percent.
    signed
        Show a ``+`` for positive values.
    digits
        Decimal places.

    Returns
    -------
    str
        E.g. ``"+12.5%"``.
    """
    if not isnum(x):
        return "–"
    return f"{float(x):+.{digits}f}%" if signed else f"{float(x):.{digits}f}%"


def fmt_share(x: Any) -> str:
    """Format a share in 0..1 as a percentage, '–' when missing.

    Parameters
    ----------
    x
        The share.

    Returns
    -------
    str
        E.g. ``"40.0%"``.
    """
    return fmt_pct(float(x) * 100.0, signed=False) if isnum(x) else "–"


def fmt_sig(p: Any, lang: str) -> str:
    """Format a p-value as 'p=0.012, significant'; '' when there is none.

    Parameters
    ----------
    p
        The p-value.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        The p-value and whether it is below 0.05.
    """
    if not isnum(p):
        return ""
    word = t("significant", lang) if float(p) < 0.05 else t("not_significant", lang)
    return f"p={float(p):.3f}, {word}"


def sig_html(p: Any, lang: str) -> str:
    """:func:`fmt_sig` as escaped HTML, highlighted when significant.

    Parameters
    ----------
    p
        The p-value.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        A ``<span>``, or ``""`` without a p-value.
    """
    s = fmt_sig(p, lang)
    if not s:
        return ""
    cls = ' class="sig"' if float(p) < 0.05 else ""
    return f"<span{cls}>{esc(s)}</span>"


def trend_text(pct: Any, p: Any, lang: str) -> str:
    """Format a change in percent with its significance: ``+12.0% (p=0.010, significant)``.

    Parameters
    ----------
    pct
        The change in percent.
    p
        Its p-value.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        Plain text.
    """
    s = fmt_pct(pct)
    sig = fmt_sig(p, lang)
    return f"{s} ({sig})" if sig else s


def nice(x: float) -> str:
    """Format a class-break number: no decimals from 100 up, one below.

    Parameters
    ----------
    x
        The number.

    Returns
    -------
    str
        Formatted with :func:`fmt_num`.
    """
    return fmt_num(x, 0 if abs(x) >= 100 else 1)


def popup_html(
    title: str, rows: list[tuple[str, Any]], *, why: list[tuple[str, Any]] | None = None
) -> str:
    """Build a popup: escaped title and a two-column table of escaped label/value pairs.

    Parameters
    ----------
    title
        The heading.
    rows
        ``(label, value)`` pairs; pairs whose value is ``None`` or ``""`` are left out.
    why
        An optional second table: ``why[0][1]`` is its heading, the rest its rows.

    Returns
    -------
    str
        HTML in which every label and value is escaped.
    """
    parts = [f'<div class="go-pop-title">{esc(title)}</div><table class="go-pop">']
    parts += [
        f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows if v not in (None, "")
    ]
    parts.append("</table>")
    if why:
        parts.append(f'<div class="go-pop-why">{esc(why[0][1])}</div><table class="go-pop">')
        parts += [
            f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>"
            for k, v in why[1:]
            if v not in (None, "")
        ]
        parts.append("</table>")
    return "".join(parts)


def get(row: Any, key: str) -> Any:
    """``row[key]``, or ``None`` when the key is absent or the value missing (None/NaN/NA).

    Parameters
    ----------
    row
        A pandas row (Series) or a mapping.
    key
        The column.

    Returns
    -------
    Any
        The value or ``None``.
    """
    try:
        v = row[key]
    except (KeyError, IndexError):
        return None
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def mpl_text(s: Any) -> str:
    """Make plain text for matplotlib (a '$' would start mathtext).

    Parameters
    ----------
    s
        Any value.

    Returns
    -------
    str
        ``str(s)`` with ``$`` escaped.
    """
    return str(s).replace("$", r"\$")


def generated_at() -> str:
    """Return the UTC timestamp for page footers.

    Returns
    -------
    str
        E.g. ``"2026-12-02 03:40 UTC"``.
    """
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
