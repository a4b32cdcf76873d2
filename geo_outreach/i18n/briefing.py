"""Messages of the briefing and its backtest section (issues 11 and 10)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
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
}
