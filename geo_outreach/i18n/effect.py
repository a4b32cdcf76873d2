"""Messages of the effect estimate and emerging hot spots (issue 13)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # issue 13: the effect estimate (format fields: pct, lo, hi, p, treated, control)
    "effect_title": {
        "zh": "宣传效果评估（双重差分）",
        "en": "Did the outreach work? (difference-in-differences)",
    },
    "effect_claim_down": {
        "zh": "开展宣传后，宣传覆盖区域的警情相对对照区域的预期变化 {pct}"
        "（95% 置信区间 {lo} 至 {hi}），且宣传前两类区域走势一致。",
        "en": "After outreach started, alerts in the areas it reached changed by {pct} "
        "against what the comparison areas imply (95% CI {lo} to {hi}); before it, both "
        "kinds of area moved alike.",
    },
    "effect_claim_up": {
        "zh": "开展宣传后，宣传覆盖区域的警情相对预期变化 {pct}（95% 置信区间 {lo} 至 "
        "{hi}）：未见减少，请核查宣传记录与数据。",
        "en": "After outreach started, alerts in the areas it reached changed by {pct} "
        "(95% CI {lo} to {hi}): no reduction; check the log and the data.",
    },
    "effect_no_claim": {
        "zh": "无法判断宣传是否减少了警情：估计变化 {pct}，但 95% 置信区间 {lo} 至 {hi} "
        "包含零，差异可能只是随机波动。",
        "en": "We cannot tell whether the outreach reduced alerts: the estimate is {pct}, "
        "but its 95% CI ({lo} to {hi}) includes zero, so the difference may be chance.",
    },
    "effect_pretrend_fail": {
        "zh": "不能归因于宣传：宣传开始前，宣传区域的警情走势已与对照区域不同（前期趋势"
        "检验 p = {p:.3f}），估计变化 {pct}（{lo} 至 {hi}）不可信。",
        "en": "This cannot be attributed to the outreach: before it started, alerts in the "
        "treated areas already moved differently from the comparison areas (pre-trend test "
        "p = {p:.3f}), so the estimate {pct} ({lo} to {hi}) is not credible.",
    },
    "effect_counts": {
        "zh": "（宣传区域 {treated} 个，对照区域 {control} 个）",
        "en": "({treated} areas reached, {control} comparison areas)",
    },
    "effect_chart_title": {
        "zh": "宣传开始前后警情变化（事件研究）",
        "en": "Alerts before and after outreach started (event study)",
    },
    "effect_pretrend_ok": {"zh": "前期趋势检验：通过", "en": "pre-trend check: passed"},
    "effect_pretrend_bad": {
        "zh": "前期趋势检验：未通过（灰点应在 0 附近）",
        "en": "pre-trend check: FAILED (grey points should sit near 0)",
    },
    "effect_chart_x": {"zh": "距宣传开始的月数", "en": "months since outreach started"},
    "emerging_new_line": {
        "zh": "{name}：自 {since} 起新出现 {n} 个热点",
        "en": "{n} new hot spot(s) in {name} since {since}",
    },
    "emerging_intensifying_line": {
        "zh": "{name}：{n} 个热点在加剧",
        "en": "{n} intensifying hot spot(s) in {name}",
    },
    "season_mom": {
        "zh": "{month} 警情环比 {mom}",
        "en": "{month}: alerts changed {mom} month on month",
    },
    "season_prev": {
        "zh": "；往年同期（{n} 年）同样两个月之间平均变化 {seasonal}",
        "en": "; in the previous {n} year(s) the same two months changed {seasonal} on average",
    },
    "season_outside": {
        "zh": "。本次变化超出季节规律与随机波动的范围（p = {p:.3f}）。",
        "en": ". This change is outside what season and chance would give (p = {p:.3f}).",
    },
    "season_inside": {
        "zh": "。本次变化在季节规律与随机波动范围之内（p = {p:.3f}），不宜当作宣传成效。",
        "en": ". This change is within what season and chance would give (p = {p:.3f}); do "
        "not read it as an outreach result.",
    },
    "layer_emerging": {"zh": "新兴热点（时空趋势）", "en": "Emerging hot spots"},
    "emerging_title": {"zh": "新兴热点", "en": "Emerging hot spots"},
    "emerging_none": {
        "zh": "近期没有新出现或加剧的热点。",
        "en": "No new or intensifying hot spots lately.",
    },
    "pattern_new": {"zh": "新热点", "en": "New"},
    "pattern_consecutive": {"zh": "连续热点", "en": "Consecutive"},
    "pattern_intensifying": {"zh": "加剧热点", "en": "Intensifying"},
    "pattern_persistent": {"zh": "持续热点", "en": "Persistent"},
    "pattern_diminishing": {"zh": "减弱热点", "en": "Diminishing"},
    "pattern_sporadic": {"zh": "零星热点", "en": "Sporadic"},
    "pattern_oscillating": {"zh": "振荡热点", "en": "Oscillating"},
    "pattern_historical": {"zh": "历史热点", "en": "Historical"},
    "pattern_new_cold": {"zh": "新冷点", "en": "New cold spot"},
    "pattern_consecutive_cold": {"zh": "连续冷点", "en": "Consecutive cold spot"},
    "pattern_intensifying_cold": {"zh": "加剧冷点", "en": "Intensifying cold spot"},
    "pattern_persistent_cold": {"zh": "持续冷点", "en": "Persistent cold spot"},
    "pattern_diminishing_cold": {"zh": "减弱冷点", "en": "Diminishing cold spot"},
    "pattern_sporadic_cold": {"zh": "零星冷点", "en": "Sporadic cold spot"},
    "pattern_oscillating_cold": {"zh": "振荡冷点", "en": "Oscillating cold spot"},
    "pattern_historical_cold": {"zh": "历史冷点", "en": "Historical cold spot"},
    "pattern_none": {"zh": "无明显模式", "en": "No pattern"},
    # issue 13: which demand the plan used, and why
    "demand_forecast_head": {
        "zh": "本方案按预测需求选点（{names}）：",
        "en": "This plan places {names} by forecast demand: ",
    },
    "demand_forecast_line": {
        "zh": "带宽 {bw:.0f} 米、{half}，因为在按月滚动检验（{span}）中，这样平滑后的警情分布"
        "命中次月警情 {hit:.1f}%，原始分布为 {raw:.1f}%。",
        "en": "bandwidth {bw:.0f} m, {half}, because in month-ahead checks ({span}) this "
        "smoothed surface caught {hit:.1f}% of the next month's alerts in its top cells, the "
        "raw alerts {raw:.1f}%.",
    },
    "demand_half_life": {"zh": "半衰期 {d:.0f} 天", "en": "half-life {d:.0f} days"},
    "demand_no_decay": {
        "zh": "不按时间衰减（各月警情同等看待）",
        "en": "no time decay (every month counts the same)",
    },
    "demand_no_decay_short": {"zh": "不按时间衰减", "en": "no time decay"},
    "demand_used_forecast": {"zh": "方案使用预测需求", "en": "the plan uses forecast demand"},
    "demand_used_raw": {"zh": "方案使用原始需求", "en": "the plan uses raw demand"},
    "backtest_demand_line": {
        "zh": "需求对比：按原始警情选点命中 {raw}，按预测需求（带宽 {bw} 米、{half}，仅用拆分日"
        "之前的数据选定）命中 {fc}；{used}。",
        "en": "Demand: planned on the raw alerts the sites reach {raw}, on forecast demand "
        "(bandwidth {bw} m, {half}, chosen on data before the split only) {fc}; {used}.",
    },
    "demand_raw_rest": {
        "zh": "其余渠道（{names}）按过去警情的原始分布选点。",
        "en": "The other channels ({names}) use the past alerts as they are.",
    },
    "demand_raw_all": {
        "zh": '本方案按过去警情的原始分布选点（场景未设置 demand = "forecast"）。',
        "en": "This plan places every channel by the past alerts as they are (no channel sets "
        'demand = "forecast").',
    },
    "effect_chart_y": {
        "zh": "警情变化（%，相对开始前一个月）",
        "en": "change in alerts (%, vs the month before the start)",
    },
}
