"""The message catalogue: every string the maps and briefings show, in Chinese and English.

Interface text is looked up here by key (``t("alerts", "en")``), never written as a literal in
``geo_outreach/render/``, so a translation is one edit in one place. Chinese (``zh``) is the
default; an unknown language falls back to Chinese, an unknown key raises ``KeyError`` (a typo in
the code, caught by the tests). The returned text is plain text: callers ``html.escape`` it like
any other string before it reaches HTML.
"""

from __future__ import annotations

from typing import Literal

from geo_outreach.i18n import briefing as _briefing
from geo_outreach.i18n import effect as _effect
from geo_outreach.i18n import map as _map
from geo_outreach.i18n import playbook as _playbook

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")


def _merge(*parts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Join the stage catalogues; a key defined twice is a bug (caught at import)."""
    out: dict[str, dict[str, str]] = {}
    for part in parts:
        twice = sorted(set(out) & set(part))
        if twice:
            raise KeyError(f"message keys defined twice: {twice}")
        out.update(part)
    return out


#: Every message by key, from the stage catalogues (map, briefing, playbook, effect).
MESSAGES: dict[str, dict[str, str]] = _merge(
    _map.MESSAGES, _briefing.MESSAGES, _playbook.MESSAGES, _effect.MESSAGES
)


# issue 11 map: alert categories of the sample data in English (other categories are shown as given)
CATEGORY_EN: dict[str, str] = {
    "刷单返利": "Fake order-brushing rebates",
    "冒充电商物流客服": "Fake e-commerce / courier customer service",
    "冒充客服": "Fake customer service",
    "虚假投资理财": "Fake investment",
    "虚假投资": "Fake investment",
    "虚假网络贷款": "Fake online loans",
    "网络游戏虚假交易": "Fake online-game trading",
    "冒充公检法": "Impersonating police / courts",
    "网络婚恋交友": "Online romance scam",
    "虚假征信": "Fake credit-record repair",
    "冒充领导熟人": "Impersonating a boss or acquaintance",
    "养老/保健品诈骗": "Pension / health-product scam",
    "其他": "Other",
    "未分类": "Unclassified",
}


def category_label(category: str, lang: str = "zh") -> str:
    """Return an alert category for display (English for the known ones; issue 11 map)."""
    return CATEGORY_EN.get(category, category) if lang == "en" else category


#: Backtest method names (evaluation.csv ``method``) as shown to people.
METHOD_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "plan": "plan",
        "random": "random",
        "naive_hotspot": "naive hot spot",
        "topk_no_overlap": "top-k (overlap ignored)",
        "oracle": "oracle (hindsight)",
    },
    "zh": {
        "plan": "方案",
        "random": "随机",
        "naive_hotspot": "朴素热点",
        "topk_no_overlap": "单点前k(忽略重叠)",
        "oracle": "事后最优",
    },
}


def t(key: str, lang: str = "zh") -> str:
    """Return the message ``key`` in ``lang`` (Chinese when ``lang`` is unknown)."""
    entry = MESSAGES[key]
    return entry.get(lang) or entry["zh"]


def kind_label(kind: str, lang: str = "zh") -> str:
    """Return a venue kind's display name; unknown kinds are shown as given."""
    key = f"kind_{kind}"
    return t(key, lang) if key in MESSAGES else str(kind)


def channel_label(name: str, lang: str = "zh", label: str | None = None) -> str:
    """Return a channel's display name: the catalogue's for known ones, else the scenario label."""
    key = f"channel_{name}"
    if key in MESSAGES and (lang != "zh" or not label):
        return t(key, lang)
    return label or (t(key, lang) if key in MESSAGES else str(name))


def check_lang(lang: str | None) -> str:
    """``lang`` if supported, else ``zh``; ``None`` means the default (``zh``)."""
    if lang is None:
        return "zh"
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {LANGS}")
    return lang
