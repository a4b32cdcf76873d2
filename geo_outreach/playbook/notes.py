"""Playbook notes (shortfalls, labels) as message keys + values, shown in Chinese or English.

A note is ``{"key": "pbn_...", "args": {...}}``: the key names a template of the message
catalogue (:mod:`geo_outreach.i18n.playbook`), ``args`` fill it (a ``channel`` arg lets the
renderer show the channel's name in the page's language instead of the scenario ``label``).
``manifest.json`` keeps the notes this way (``playbook.note_items``) so the briefing shows them
in its own language; the English text (:func:`note_text` with ``"en"``) is what
``playbook.notes`` and the CLI show.
"""

from __future__ import annotations

from typing import Any

from geo_outreach.i18n import t

Note = dict[str, Any]


def note(key: str, **args: Any) -> Note:
    """Return a note: message ``key`` (must exist) and the values that fill it."""
    t(key, "en")  # an unknown key is a bug: fail here, not when rendering
    return {"key": key, "args": {k: _plain(v) for k, v in args.items()}}


def _plain(v: Any) -> Any:
    """JSON-safe value (numpy numbers, lists, dates -> plain Python / text)."""
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    if isinstance(v, (bool, str)) or v is None:
        return v
    if hasattr(v, "item"):
        v = v.item()
    return v if isinstance(v, (int, float)) else str(v)


def note_text(item: Note, lang: str) -> str:
    """Fill the note's template in ``lang`` (``zh`` or ``en``)."""
    return t(str(item["key"]), lang).format(**dict(item.get("args") or {}))
