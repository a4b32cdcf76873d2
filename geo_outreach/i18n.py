"""The message catalogue: every string the maps and briefings show, in Chinese and English.

Interface text is looked up here by key (``t("alerts", "en")``), never written as a literal in
``geo_outreach/render/``, so a translation is one edit in one place. Chinese (``zh``) is the
default; an unknown language falls back to Chinese, an unknown key raises ``KeyError`` (a typo in
the code, caught by the tests). The returned text is plain text: callers ``html.escape`` it like
any other string before it reaches HTML.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # page furniture
    "default_title": {"zh": "新会区反诈宣传投放方案", "en": "Xinhui anti-fraud outreach plan"},
    "map_title_suffix": {"zh": "投放地图", "en": "plan map"},
    "briefing_title_suffix": {"zh": "简报", "en": "briefing"},
    "period": {"zh": "数据期间", "en": "Data period"},
    "synthetic_banner": {
        "zh": "演示数据：本图含合成或示意数据，不代表真实警情",
        "en": "SYNTHETIC / ILLUSTRATIVE DATA: not real alerts",
    },
    "legend": {"zh": "图例", "en": "Legend"},
    "generated": {"zh": "生成时间", "en": "Generated"},
    "north": {"zh": "北", "en": "N"},
    "open_map": {"zh": "打开交互地图 map.html", "en": "Open the interactive map (map.html)"},
    "no_data": {"zh": "无数据", "en": "no data"},
    # layers
    "layer_context": {"zh": "街道与辖区边界", "en": "Streets and precinct outlines"},
    "layer_precincts": {"zh": "辖区警情", "en": "Alerts by precinct"},
    "layer_precincts_rate": {"zh": "辖区警情（每万人）", "en": "Alerts per 10k residents"},
    "layer_density": {"zh": "警情密度", "en": "Alert density"},
    "layer_alerts": {"zh": "警情点", "en": "Alerts"},
    "layer_alerts_grid": {"zh": "警情网格汇总", "en": "Alerts (grid totals)"},
    "layer_hotspots": {"zh": "热点（Gi*）", "en": "Hot spots (Gi*)"},
    "layer_clusters": {"zh": "警情聚集区", "en": "Alert clusters"},
    "layer_venues": {"zh": "场所", "en": "Venues"},
    "layer_placements": {"zh": "投放点", "en": "Placements"},
    "layer_patrol": {"zh": "巡逻路线", "en": "Patrol route"},
    "layer_uncovered": {"zh": "未覆盖热点", "en": "Uncovered hot spots"},
    "layer_basemap": {"zh": "底图", "en": "Base map"},
    # legend entries
    "legend_density_unit": {"zh": "警情/平方公里/年", "en": "alerts / km² / year"},
    "legend_alerts_unit": {"zh": "警情数", "en": "alerts"},
    "legend_rate_unit": {"zh": "每万人警情", "en": "alerts per 10k residents"},
    "legend_hot": {"zh": "热点（显著）", "en": "Hot spot (significant)"},
    "legend_cold": {"zh": "冷点（显著）", "en": "Cold spot (significant)"},
    "legend_cluster": {"zh": "聚集区范围", "en": "Cluster outline"},
    "legend_uncovered": {"zh": "未被任何投放覆盖的热点", "en": "Hot spot no placement reaches"},
    "legend_recommended": {
        "zh": "推荐投放点（数字为排序）",
        "en": "Recommended site (number = rank)",
    },
    "legend_existing": {"zh": "现有投放点", "en": "Existing site"},
    "legend_reach": {"zh": "覆盖范围", "en": "Reach"},
    "legend_patrol_stop": {"zh": "巡逻停靠点", "en": "Patrol stop"},
    "legend_alert_point": {"zh": "单条警情", "en": "One alert"},
    "legend_grid": {"zh": "网格内警情数", "en": "Alerts in grid cell"},
    "legend_streets": {"zh": "街道", "en": "Streets"},
    # fields
    "precinct": {"zh": "辖区", "en": "Precinct"},
    "population": {"zh": "人口", "en": "Population"},
    "area_km2": {"zh": "面积（平方公里）", "en": "Area (km²)"},
    "alerts": {"zh": "警情数", "en": "Alerts"},
    "alerts_per_km2": {"zh": "每平方公里警情", "en": "Alerts per km²"},
    "alerts_per_10k": {"zh": "每万人警情", "en": "Alerts per 10k"},
    "last_month": {"zh": "最近月份", "en": "Latest month"},
    "last_month_alerts": {"zh": "最近月警情", "en": "Alerts in latest month"},
    "mom": {"zh": "环比", "en": "MoM"},
    "yoy": {"zh": "同比", "en": "YoY"},
    "significant": {"zh": "显著", "en": "significant"},
    "not_significant": {"zh": "不显著", "en": "not significant"},
    "trend": {"zh": "辖区趋势", "en": "Precinct trend"},
    "category": {"zh": "类别", "en": "Category"},
    "age_band": {"zh": "年龄段", "en": "Age band"},
    "reported_at": {"zh": "报警时间", "en": "Reported"},
    "kind": {"zh": "类型", "en": "Kind"},
    "name": {"zh": "名称", "en": "Name"},
    "channel": {"zh": "渠道", "en": "Channel"},
    "rank": {"zh": "排序", "en": "Rank"},
    "why_chosen": {"zh": "入选理由", "en": "Why this site"},
    "covered_weight": {"zh": "覆盖警情（加权）", "en": "Alerts covered (weighted)"},
    "share_of_channel": {"zh": "占本渠道总量", "en": "Share of channel total"},
    "marginal_weight": {"zh": "边际新增覆盖", "en": "Marginal gain"},
    "cumulative_share": {"zh": "累计覆盖率", "en": "Cumulative coverage"},
    "distance": {"zh": "距离", "en": "Distance"},
    "radius_m": {"zh": "覆盖半径（米）", "en": "Reach radius (m)"},
    "budget": {"zh": "预算（点数）", "en": "Budget (sites)"},
    "status": {"zh": "求解状态", "en": "Solver status"},
    "gap": {"zh": "最优性差距", "en": "Optimality gap"},
    "covered_share": {"zh": "覆盖率", "en": "Coverage"},
    "site_status": {"zh": "状态", "en": "Status"},
    "existing": {"zh": "现有", "en": "existing"},
    "recommended": {"zh": "推荐", "en": "recommended"},
    "gi_z": {"zh": "Gi* z 值", "en": "Gi* z-score"},
    "p_value": {"zh": "p 值", "en": "p-value"},
    "hot_class": {"zh": "热点等级", "en": "Hot-spot class"},
    "stop": {"zh": "停靠点", "en": "Stop"},
    "time_window": {"zh": "时间窗", "en": "Time window"},
    "cell_alerts": {"zh": "本网格警情", "en": "Alerts in this cell"},
    "cell_size_m": {"zh": "网格边长（米）", "en": "Cell size (m)"},
    # common columns of clusters, hot spots, patrol stops (shown in generic popups)
    "cluster_id": {"zh": "聚集区编号", "en": "Cluster"},
    "cell_id": {"zh": "网格编号", "en": "Cell"},
    "top_categories": {"zh": "主要类别", "en": "Top categories"},
    "top_category": {"zh": "主要类别", "en": "Top category"},
    "peak_hours": {"zh": "高发时段", "en": "Peak hours"},
    "windows": {"zh": "建议时段", "en": "Time windows"},
    "order": {"zh": "顺序", "en": "Order"},
    "venue_id": {"zh": "场所编号", "en": "Venue ID"},
    "length_m": {"zh": "长度（米）", "en": "Length (m)"},
    "area_m2": {"zh": "面积（平方米）", "en": "Area (m²)"},
    "p": {"zh": "p 值", "en": "p-value"},
    "p_fdr": {"zh": "p 值（FDR 校正）", "en": "p-value (FDR)"},
    # briefing
    "headline": {"zh": "要点", "en": "Headline figures"},
    "alerts_latest_month": {"zh": "最近月警情", "en": "Alerts in latest month"},
    "alerts_total": {"zh": "期间警情总数", "en": "Alerts in period"},
    "significance": {"zh": "显著性", "en": "Significance"},
    "precinct_table": {"zh": "各辖区情况", "en": "Precincts"},
    "placements_table": {"zh": "各渠道投放点", "en": "Placements by channel"},
    "coverage_curve": {"zh": "覆盖曲线", "en": "Coverage curve"},
    "sites": {"zh": "点位数", "en": "sites"},
    "more_sites": {
        "zh": "个点位见 placements.csv 与地图",
        "en": "more sites in placements.csv and the map",
    },
    "notes": {"zh": "说明", "en": "Notes"},
    "scale": {"zh": "比例尺", "en": "Scale"},
    "map": {"zh": "地图", "en": "Map"},
    # backtest (evaluation.json from `geo-outreach evaluate`)
    "backtest": {"zh": "回测", "en": "Backtest"},
    "backtest_split": {"zh": "切分日", "en": "split"},
    "backtest_rolling": {"zh": "个滚动切分的平均", "en": "rolling splits, mean"},
    "backtest_test_period": {"zh": "测试期", "en": "test period"},
    "backtest_intro": {
        "zh": "用切分日之前的警情重新制定方案，按切分日之后实际发生的警情评分，并与基线方法比较。",
        "en": "The plan is rebuilt from the alerts before the split and scored on the alerts that "
        "actually happened after it, against baseline placements.",
    },
    "backtest_method": {"zh": "方法", "en": "Method"},
    "backtest_sites": {"zh": "点位", "en": "Sites"},
    "backtest_hit_rate": {"zh": "命中率（95% CI）", "en": "Hit rate (95% CI)"},
    "backtest_pai": {"zh": "PAI", "en": "PAI"},
    "backtest_pei": {"zh": "PEI*", "en": "PEI*"},
    "backtest_share_of_oracle": {"zh": "占事后最优", "en": "Share of oracle"},
    "backtest_test_alerts": {"zh": "测试期警情", "en": "test alerts"},
    "backtest_all_channels": {"zh": "全部渠道", "en": "All channels"},
    "backtest_chart": {"zh": "回测命中率与 PAI 图", "en": "Backtest hit rate and PAI chart"},
    "backtest_definitions": {
        "zh": "命中率：测试期警情（按渠道权重）落在点位覆盖范围内的比例；"
        "PAI = 命中率 / 覆盖面积占比；"
        "PEI* = PAI / 事后最优的 PAI；占事后最优 = 覆盖的测试期警情 / 事后最优覆盖的警情。"
        "随机方法的区间为多次随机抽取的 2.5%–97.5% 分位。",
        "en": "Hit rate: share of the test-period alert weight within reach of the sites; "
        "PAI = hit rate / area share; PEI* = PAI / the oracle's PAI; share of oracle = covered "
        "test weight / the oracle's. For random the interval is the 2.5–97.5% spread over the "
        "random draws.",
    },
    "method_plan": {"zh": "方案", "en": "Plan"},
    "method_random": {"zh": "随机", "en": "Random"},
    "method_naive_hotspot": {"zh": "朴素热点", "en": "Naive hot spot"},
    "method_topk_no_overlap": {"zh": "单点前 k（忽略重叠）", "en": "Top-k (overlap ignored)"},
    "method_oracle": {"zh": "事后最优", "en": "Oracle (hindsight)"},
    "distance_straight": {"zh": "直线", "en": "straight line"},
    "distance_walk": {"zh": "步行", "en": "walking"},
    "distance_mixed": {"zh": "混合", "en": "mixed"},
    # venue kinds
    "kind_plaza": {"zh": "广场", "en": "Plaza"},
    "kind_park": {"zh": "公园", "en": "Park"},
    "kind_cafe": {"zh": "咖啡店/茶饮", "en": "Café"},
    "kind_logistics": {"zh": "快递物流点", "en": "Parcel/logistics point"},
    "kind_post_office": {"zh": "邮局", "en": "Post office"},
    "kind_school": {"zh": "学校", "en": "School"},
    "kind_market": {"zh": "市场", "en": "Market"},
    "kind_bus_stop": {"zh": "公交站", "en": "Bus stop"},
    "kind_junction": {"zh": "路口", "en": "Junction"},
    "kind_patrol_stop": {"zh": "巡逻点", "en": "Patrol stop"},
    "kind_other": {"zh": "其他", "en": "Other"},
    # channels (defaults when the manifest gives no label)
    "channel_square_dance": {"zh": "广场舞宣传", "en": "Square-dance events"},
    "channel_banners": {"zh": "路口横幅", "en": "Street banners"},
    "channel_cafe_sleeves": {"zh": "咖啡杯套", "en": "Café cup sleeves"},
    "channel_parcel_stickers": {"zh": "快递贴纸", "en": "Parcel stickers"},
    "channel_patrol": {"zh": "巡逻宣传", "en": "Patrols"},
    "channel_patrols": {"zh": "巡逻宣传", "en": "Patrols"},
    # issue 12: the playbook (materials, calendar, visits) on the map and in the briefing
    "pb_title": {"zh": "行动安排：物料、时段、走访", "en": "Playbook: materials, timing, visits"},
    "pb_materials": {"zh": "物料分配", "en": "Materials"},
    "pb_site": {"zh": "投放点", "en": "Site"},
    "pb_quantity": {"zh": "数量", "en": "Quantity"},
    "pb_total": {"zh": "合计", "en": "Total"},
    "pb_basis_demand": {"zh": "按覆盖警情分配", "en": "split by covered alerts"},
    "pb_basis_footfall": {"zh": "按客流分配", "en": "split by footfall"},
    "pb_calendar": {"zh": "推荐宣传时段", "en": "Recommended times"},
    "pb_weekdays": {"zh": "星期", "en": "Weekdays"},
    "pb_hours": {"zh": "时段", "en": "Hours"},
    "pb_share": {"zh": "覆盖警情占比", "en": "Share of reached alerts"},
    "pb_weekday_names": {"zh": "一,二,三,四,五,六,日", "en": "Mon,Tue,Wed,Thu,Fri,Sat,Sun"},
    "pb_key_dates": {"zh": "重点日期", "en": "Key dates"},
    "pb_campaign": {"zh": "宣传期", "en": "Campaign"},
    "pb_visits": {"zh": "走访安排", "en": "Visits"},
    "pb_station": {"zh": "派出所", "en": "Station"},
    "pb_targets": {"zh": "对象", "en": "Targets"},
    "pb_scheduled": {"zh": "已安排", "en": "Scheduled"},
    "pb_shortfall": {"zh": "未能安排", "en": "Shortfall"},
    "pb_dates": {"zh": "日期", "en": "Dates"},
    "pb_outside": {"zh": "辖区外", "en": "Outside"},
    "pb_order": {"zh": "走访顺序", "en": "Visit order"},
    "pb_exposure": {"zh": "暴露指数", "en": "Exposure"},
    "pb_employees": {"zh": "人数", "en": "People"},
    "pb_time": {"zh": "时间", "en": "Time"},
    "pb_grid": {"zh": "老年人走访（警格+网格）", "en": "Elderly visits (police + community grid)"},
    "pb_cells": {"zh": "网格", "en": "Cells"},
    "pb_elderly": {"zh": "老年人", "en": "Elderly"},
    "pb_alone": {"zh": "独居", "en": "Living alone"},
    "pb_households": {"zh": "安排户数", "en": "Households"},
    "pb_door": {"zh": "上门", "en": "door"},
    "pb_phone": {"zh": "电话", "en": "phone"},
    "pb_mode": {"zh": "方式", "en": "Mode"},
    "pb_benefit": {"zh": "预期效益", "en": "Expected benefit"},
    "pb_targeted_alerts": {"zh": "目标警情", "en": "Targeted alerts"},
    "pb_officer": {"zh": "社区民警（警格）", "en": "Community officer (police grid)"},
    "pb_worker": {"zh": "网格员", "en": "Grid worker"},
    "pb_top_cells": {"zh": "效益最高的网格", "en": "Cells with the highest benefit"},
    "pb_notes": {"zh": "提示", "en": "Notes"},
    "pb_generated_grid": {"zh": "生成网格（非官方）", "en": "generated grid (not official)"},
    "layer_pb_grid": {
        "zh": "老年人走访网格（色深=预期效益高）",
        "en": "Elderly visit grid (darker = higher benefit)",
    },
    "layer_pb_police": {"zh": "警格", "en": "Police grid"},
    "layer_pb_materials": {"zh": "物料分配（圈大=数量多）", "en": "Materials (bigger = more)"},
    "layer_pb_visits": {
        "zh": "白点=企业，黄点=学校，空心红圈=未能安排",
        "en": "white = firm, yellow = school, hollow red = shortfall",
    },
    # issue 11 map: plain-language popups, panels, what-if budgets, synthetic banner
    "map_layers": {"zh": "图层", "en": "Layers"},
    "map_collapse": {"zh": "收起", "en": "Hide"},
    "map_expand": {"zh": "展开", "en": "Show"},
    "map_channel_key": {
        "zh": "宣传渠道（数字 = 优先顺序）",
        "en": "Outreach channels (number = priority)",
    },
    "map_venue_key": {
        "zh": "场所（候选点，灰边小圆点）",
        "en": "Venues (candidates, small grey-edged dots)",
    },
    "map_site_title": {"zh": "{channel} 第 {rank} 位：{name}", "en": "{channel} #{rank}: {name}"},
    "map_existing_note": {"zh": "（现有点位，保留）", "en": " (existing site, kept)"},
    "map_why": {"zh": "为什么选这里", "en": "Why here"},
    "map_why_text": {
        "zh": "{mode} {radius} 米内有 {n} 起历史警情（按渠道加权）。",
        "en": "{n} past alerts (channel-weighted) within {radius} m ({mode}).",
    },
    "map_gain_text": {
        "zh": "其中 {gain} 起是排名更靠前的点覆盖不到的；"
        "前 {rank} 个点合计覆盖本渠道 {cum} 的警情。",
        "en": "{gain} of them are out of reach of the higher-ranked sites; the top {rank} sites "
        "together reach {cum} of this channel's alerts.",
    },
    "map_who": {"zh": "能覆盖谁", "en": "Who it reaches"},
    "map_when": {"zh": "什么时候去", "en": "When to go"},
    "map_where": {"zh": "在哪里", "en": "Where"},
    "map_when_text": {"zh": "警情高发时段：{windows}", "en": "Alerts peak: {windows}"},
    "map_precinct_text": {
        "zh": "{name}辖区；最近一月（{month}）{n} 起警情，环比 {mom}",
        "en": "{name} precinct; {n} alerts in {month}, {mom} on the month before",
    },
    "map_audience_square_dance": {
        "zh": "傍晚在广场、公园跳舞健身的中老年居民",
        "en": "Older residents dancing and exercising in plazas and parks in the evening",
    },
    "map_audience_banners": {
        "zh": "经过路口的行人、骑车人和司机",
        "en": "People walking, cycling and driving past the junction",
    },
    "map_audience_cafe_sleeves": {
        "zh": "买咖啡、奶茶的年轻人和上班族",
        "en": "Young people and office workers buying coffee and tea",
    },
    "map_audience_parcel_stickers": {
        "zh": "取寄快递的网购人群",
        "en": "Online shoppers picking up and sending parcels",
    },
    "map_audience_patrols": {
        "zh": "巡逻沿线的居民、商户和路人",
        "en": "Residents, shops and passers-by along the route",
    },
    "map_audience_other": {"zh": "覆盖范围内的居民和路人", "en": "People within reach of the site"},
    "map_stop_title": {"zh": "巡逻第 {order} 站：{name}", "en": "Patrol stop {order}: {name}"},
    "map_stop_text": {
        "zh": "该处 {n} 起历史警情；在此停留宣传可覆盖 {cw} 起。",
        "en": "{n} past alerts here; a stop reaches {cw}.",
    },
    "map_cluster_title": {"zh": "警情聚集区 {id}", "en": "Alert cluster {id}"},
    "map_cluster_alerts": {
        "zh": "{n} 起警情（占全区 {share}）",
        "en": "{n} alerts ({share} of all)",
    },
    "map_cluster_peak": {
        "zh": "{hours} 时（占该区 {share} 的警情）",
        "en": "{hours} h ({share} of its alerts)",
    },
    "map_hot_text": {
        "zh": "警情显著偏多的网格（置信度 {conf}%），本格 {n} 起",
        "en": "Significantly more alerts than around it ({conf}% confidence); {n} here",
    },
    "map_cold_text": {
        "zh": "警情显著偏少的网格（置信度 {conf}%）",
        "en": "Significantly fewer alerts than around it ({conf}% confidence)",
    },
    "map_uncovered_text": {
        "zh": "这个热点网格不在任何投放点的覆盖范围内；可考虑增加点位或安排巡逻。",
        "en": "No placement reaches this hot-spot cell; consider another site or a patrol.",
    },
    "whatif_title": {
        "zh": "预算推演：每个渠道投几个点？",
        "en": "What if: how many sites per channel?",
    },
    "whatif_sites": {"zh": "个点", "en": "sites"},
    "whatif_covered": {"zh": "覆盖", "en": "covers"},
    "synthetic_kind_synthetic": {"zh": "合成", "en": "synthetic"},
    "synthetic_kind_illustrative": {"zh": "示意", "en": "illustrative"},
    "synthetic_head": {"zh": "演示数据", "en": "DEMO DATA"},
    "synthetic_real_alerts": {
        "zh": "警情为真实数据，其余图层仅作示意",
        "en": "the alerts are real; the layers named are not",
    },
    "synthetic_not_real_alerts": {"zh": "不代表真实警情", "en": "not real alerts"},
    "synthetic_notes": {"zh": "数据说明", "en": "About the data"},
    "syn_alerts": {"zh": "警情", "en": "alerts"},
    "syn_precincts": {"zh": "辖区边界", "en": "precinct boundaries"},
    "syn_population": {"zh": "人口", "en": "population"},
    "syn_venues": {"zh": "场所", "en": "venues"},
    "syn_streets": {"zh": "街道", "en": "streets"},
    "category_uncategorised": {"zh": "未分类", "en": "Unclassified"},
    "outside_precincts": {"zh": "辖区外", "en": "outside every precinct"},
    "map_junction_name": {"zh": "{a}与{b}交叉口", "en": "{a} / {b} junction"},
    "map_patrol_near": {"zh": "巡逻点：近 {name}", "en": "Patrol stop near {name}"},
    "map_junction_near": {"zh": "路口：近 {name}", "en": "Junction near {name}"},
    "map_junction_id": {"zh": "路口 {name}", "en": "Junction {name}"},
    "map_patrol_cell": {"zh": "巡逻点 {name}", "en": "Patrol stop {name}"},
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
    "pattern_none": {"zh": "无明显模式", "en": "No pattern"},
    "effect_chart_y": {
        "zh": "警情变化（%，相对开始前一个月）",
        "en": "change in alerts (%, vs the month before the start)",
    },
    # issue 11 briefing: summary, every site, appendix, inset map, placements.xlsx
    "site_col_rank": {"zh": "排序", "en": "Rank"},
    "site_col_name": {"zh": "站点", "en": "Site"},
    "site_col_kind": {"zh": "类型", "en": "Type"},
    "site_col_precinct": {"zh": "辖区", "en": "Precinct"},
    "site_col_covered": {"zh": "覆盖警情", "en": "Alerts in reach"},
    "site_col_marginal": {"zh": "新增覆盖警情", "en": "New alerts reached"},
    "site_col_cumulative_share": {"zh": "累计覆盖率", "en": "Cumulative coverage"},
    "site_col_when": {"zh": "建议时段", "en": "Suggested time"},
    "site_col_existing": {"zh": "现有点位", "en": "Existing site"},
    "site_col_venue_id": {"zh": "场所编号", "en": "Venue ID"},
    "site_col_lon": {"zh": "经度(WGS84)", "en": "Longitude (WGS84)"},
    "site_col_lat": {"zh": "纬度(WGS84)", "en": "Latitude (WGS84)"},
    "site_when": {"zh": "{day} {start}-{end}时", "en": "{day} {start}-{end}h"},
    "weekday_0": {"zh": "周一", "en": "Mon"},
    "weekday_1": {"zh": "周二", "en": "Tue"},
    "weekday_2": {"zh": "周三", "en": "Wed"},
    "weekday_3": {"zh": "周四", "en": "Thu"},
    "weekday_4": {"zh": "周五", "en": "Fri"},
    "weekday_5": {"zh": "周六", "en": "Sat"},
    "weekday_6": {"zh": "周日", "en": "Sun"},
    "yes": {"zh": "是", "en": "yes"},
    "list_sep": {"zh": "、", "en": ", "},
    "clause_sep": {"zh": "；", "en": "; "},
    "colon": {"zh": "：", "en": ": "},
    "summary_title": {"zh": "一页摘要", "en": "Summary on one page"},
    "summary_what": {
        "zh": "本方案在 {k} 个宣传渠道共选出 {n} 个投放点，按预计覆盖的警情从多到少排序。",
        "en": "This plan picks {n} sites over {k} outreach channels, ranked by the alerts "
        "they are expected to reach.",
    },
    "summary_sites": {"zh": "{n} 个点位", "en": "{n} sites"},
    "summary_where": {"zh": "主要在{where}", "en": "mostly in {where}"},
    "summary_when": {"zh": "建议时段 {when}", "en": "best time {when}"},
    "summary_reach": {
        "zh": "预计覆盖 {share} 的警情（加权 {n} 起）",
        "en": "expected to reach {share} of alerts ({n} weighted alerts)",
    },
    "summary_reach_share": {"zh": "预计覆盖 {share} 的警情", "en": "expected reach {share}"},
    "summary_no_sites": {"zh": "本方案没有投放点。", "en": "This plan has no sites."},
    "summary_peak": {
        "zh": "全区警情高发时段：{when}。",
        "en": "Busiest times across the district: {when}.",
    },
    "summary_how": {
        "zh": "每个渠道的全部点位见后页表格与交互地图；技术细节见附录。",
        "en": "Every site of every channel is listed on the following pages and in the "
        "interactive map; technical details are in the appendix.",
    },
    "sites_title": {"zh": "全部投放点（按渠道）", "en": "Every site, by channel"},
    "sites_note": {
        "zh": "覆盖警情为加权警情数；新增覆盖警情为该点在排序更靠前的点之外新增的部分；"
        "建议时段为所在辖区警情最多的星期与3小时时段。",
        "en": "Alerts are weighted counts; new alerts reached are those no higher-ranked site "
        "reaches; the suggested time is the busiest weekday and 3-hour window of the site's "
        "precinct.",
    },
    "appendix_title": {"zh": "附录：技术说明", "en": "Appendix: technical details"},
    "appendix_note": {
        "zh": "供分析人员核对：求解方法、求解状态、最优性差距、覆盖半径与候选点数。",
        "en": "For analysts: solver method, status, optimality gap, reach radius and "
        "candidate count.",
    },
    "tech_method": {"zh": "求解方法", "en": "Method"},
    "tech_distance": {"zh": "距离", "en": "Distance"},
    "tech_candidates": {"zh": "候选点数", "en": "Candidates"},
    "tech_covered_weight": {"zh": "覆盖权重", "en": "Covered weight"},
    "tech_upper_bound": {"zh": "上界", "en": "Upper bound"},
    "tech_seconds": {"zh": "用时(秒)", "en": "Time (s)"},
    "inset_title": {"zh": "放大图：点位最密集区域", "en": "Close-up: where sites are densest"},
    "inset_box": {"zh": "放大图范围", "en": "Close-up area"},
    "overview_map": {"zh": "全区总图", "en": "District overview"},
    "xlsx_readme": {"zh": "说明", "en": "About"},
    "xlsx_title": {"zh": "标题", "en": "Title"},
    "xlsx_crs": {"zh": "坐标", "en": "Coordinates"},
    "xlsx_crs_note": {
        "zh": "WGS84 (EPSG:4326) 经纬度；高德/腾讯地图用 GCJ-02、百度地图用 BD-09，标注前需转换",
        "en": "WGS84 (EPSG:4326) lon/lat; AMap/Tencent use GCJ-02 and Baidu BD-09: convert "
        "before plotting there",
    },
    "xlsx_warning": {"zh": "注意", "en": "Warning"},
    "xlsx_data_note": {"zh": "数据说明", "en": "About the data"},
    "no_sites_channel": {
        "zh": "本渠道没有固定投放点（巡逻停靠点见地图）",
        "en": "no fixed sites in this channel (patrol stops are on the map)",
    },
    # issue 10 partial month: the headline leads with the last complete month
    "alerts_complete_month": {"zh": "最近完整月警情", "en": "Alerts in last complete month"},
    "partial_month_note": {
        "zh": "{month} 只有 {days} 天数据，环比、同比以 {complete} 为准",
        "en": "{month} has only {days} days of data; MoM and YoY are for {complete}",
    },
    "partial_month_only": {
        "zh": "{month} 只有 {days} 天数据（不是完整月），环比、同比仅供参考",
        "en": "{month} has only {days} days of data (not a full month); MoM and YoY are "
        "indicative only",
    },
    # issue 12 xlsx: visits.xlsx headers
    "xlsx_visitor": {"zh": "走访人", "en": "Visitor"},
    "xlsx_role": {"zh": "角色", "en": "Role"},
    "xlsx_cell": {"zh": "网格单元", "en": "Cell"},
    "xlsx_order": {"zh": "顺序", "en": "Order"},
    "xlsx_week": {"zh": "周次", "en": "Week"},
    "xlsx_status": {"zh": "状态", "en": "Status"},
    "xlsx_target": {"zh": "走访对象", "en": "Target"},
    "xlsx_kind": {"zh": "类型", "en": "Kind"},
    "xlsx_date": {"zh": "日期", "en": "Date"},
    "xlsx_start": {"zh": "开始", "en": "Start"},
    "xlsx_end": {"zh": "结束", "en": "End"},
    "xlsx_target_id": {"zh": "对象编号", "en": "Target ID"},
    "xlsx_partial": {"zh": "部分安排", "en": "Partly scheduled"},
    "xlsx_firm": {"zh": "企业", "en": "Firm"},
    "xlsx_school": {"zh": "学校", "en": "School"},
}

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
