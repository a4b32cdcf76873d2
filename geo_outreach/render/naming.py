"""File names per language: Chinese files keep their names, others get a language suffix.

``map.html`` / ``briefing.html`` / ``briefing.pdf`` / ``briefing.png`` are the Chinese files;
``--lang en`` writes ``map.en.html``, ``briefing.en.html`` ... beside them instead of
overwriting them.
"""

from __future__ import annotations

from collections.abc import Sequence

from geo_outreach.i18n import LANGS, check_lang

__all__ = ["DEFAULT_LANG", "lang_name", "parse_langs"]

DEFAULT_LANG = "zh"


def lang_name(name: str, lang: str) -> str:
    """Return the file name of ``name`` in ``lang``.

    Parameters
    ----------
    name
        A rendered file's name, e.g. ``"briefing.html"``.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    str
        ``name`` for Chinese, else ``stem.<lang>.suffix`` (``briefing.en.html``).
    """
    lang = check_lang(lang)
    if lang == DEFAULT_LANG:
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{lang}.{suffix}" if dot else f"{name}.{lang}"


def parse_langs(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Languages from ``"zh"``, ``"zh,en"`` or a sequence, in order, without repeats.

    Parameters
    ----------
    value
        One language, several separated by commas, or a sequence of them; None means ``zh``.

    Returns
    -------
    tuple of str
        The languages.

    Raises
    ------
    ValueError
        For a language that is not supported (the message lists those that are).
    """
    if value is None:
        return (DEFAULT_LANG,)
    parts = value.split(",") if isinstance(value, str) else list(value)
    out: list[str] = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if p not in LANGS:
            raise ValueError(f"unknown language {p!r}; use one of {', '.join(LANGS)}")
        if p not in out:
            out.append(p)
    return tuple(out) or (DEFAULT_LANG,)
