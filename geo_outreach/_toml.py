"""TOML values -> typed dataclass fields: the scenario reader's generic machinery.

:func:`build` checks one TOML table against a frozen dataclass: unknown keys are errors that
suggest the nearest valid key, missing required keys are named, and every value is coerced to
its annotated type (``X | None``, ``Literal``, ``Path`` resolved against the scenario folder,
``tuple[X, ...]``, ``dict[str, X]``, numbers, booleans, text, TOML dates). Errors are
:class:`~geo_outreach._errors.ScenarioError` naming the key (``section.key``).
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from geo_outreach._errors import ScenarioError

__all__ = ["build", "suggest"]


def suggest(key: str, valid: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else f"; valid keys: {sorted(valid)}"


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce_union(value: Any, tp: Any, where: str, base: Path) -> Any:
    """Coerce to the first member of ``X | Y | None`` that accepts the value."""
    if value is None:
        return None
    errors = []
    for a in (a for a in get_args(tp) if a is not type(None)):
        try:
            return _coerce(value, a, where, base)
        except ScenarioError as exc:
            errors.append(str(exc))
    raise ScenarioError(errors[0])


def _coerce_path(value: Any, where: str, base: Path) -> Path:
    """Resolve a path string against the scenario folder ``base``."""
    if not isinstance(value, str):
        raise ScenarioError(f"{where} must be a path string, got {value!r}")
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def _coerce_tuple(value: Any, tp: Any, where: str, base: Path) -> tuple[Any, ...]:
    """Coerce a TOML array to ``tuple[X, ...]``."""
    inner = get_args(tp)[0]
    if not isinstance(value, list):
        raise ScenarioError(f"{where} must be a list, got {value!r}")
    return tuple(_coerce(v, inner, f"{where}[{i}]", base) for i, v in enumerate(value))


def _coerce_dict(value: Any, tp: Any, where: str, base: Path) -> dict[str, Any]:
    """Coerce a TOML table to ``dict[str, X]``."""
    _, vtp = get_args(tp)
    if not isinstance(value, dict):
        raise ScenarioError(f"{where} must be a table {{key = value}}, got {value!r}")
    return {str(k): _coerce(v, vtp, f"{where}.{k}", base) for k, v in value.items()}


#: scalar type -> (accepts the TOML value?, what the message asks for)
_SCALARS: dict[Any, tuple[typing.Callable[[Any], bool], str]] = {
    float: (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    bool: (lambda v: isinstance(v, bool), "true or false"),
    str: (lambda v: isinstance(v, str), "text"),
    # issue 12: TOML dates (2026-06-15, no quotes)
    datetime.date: (
        lambda v: isinstance(v, datetime.date) and not isinstance(v, datetime.datetime),
        "a date like 2026-06-15 (no quotes)",
    ),
}


def _coerce_scalar(value: Any, tp: Any, where: str) -> Any:
    """Check a number, whole number, boolean or text value (floats accept integers)."""
    if tp not in _SCALARS:
        raise ScenarioError(f"{where}: unsupported type {_type_name(tp)}")  # pragma: no cover
    accepts, what = _SCALARS[tp]
    if not accepts(value):
        raise ScenarioError(f"{where} must be {what}, got {value!r}")
    return float(value) if tp is float else value


def _coerce(value: Any, tp: Any, where: str, base: Path) -> Any:
    """Check/convert one TOML value to the annotated type ``tp``."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _coerce_union(value, tp, where, base)
    if origin is Literal:
        choices = get_args(tp)
        if value not in choices:
            raise ScenarioError(f"{where} = {value!r} is not one of {list(choices)}")
        return value
    if tp is Path:
        return _coerce_path(value, where, base)
    if origin is tuple:
        return _coerce_tuple(value, tp, where, base)
    if origin is dict:
        return _coerce_dict(value, tp, where, base)
    return _coerce_scalar(value, tp, where)


def build(cls: type, table: Any, where: str, base: Path, **fixed: Any) -> Any:
    """Return ``cls(**table)`` with every key checked and every value coerced (see module)."""
    if not isinstance(table, dict):
        raise ScenarioError(f"[{where}] must be a table, got {table!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.name not in fixed]
    for key in table:
        if key not in names:
            raise ScenarioError(f"unknown key {where}.{key}" + suggest(key, names))
    kwargs = dict(fixed)
    for f in dataclasses.fields(cls):
        if f.name in fixed:
            continue
        if f.name in table:
            kwargs[f.name] = _coerce(table[f.name], hints[f.name], f"{where}.{f.name}", base)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ScenarioError(f"[{where}] needs the key {f.name!r}")
    return cls(**kwargs)
