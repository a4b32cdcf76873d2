"""Messages of the playbook: materials, calendar, visits and visits.xlsx (issue 12)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # issue 12: the playbook (materials, calendar, visits) on the map and in the briefing
    "pb_title": {"zh": "行动安排：物料、时段、走访", "en": "Playbook: materials, timing, visits"},
    "pb_materials": {"zh": "物料分配", "en": "Materials"},
    "pb_site": {"zh": "投放点", "en": "Site"},
    "pb_quantity": {"zh": "数量", "en": "Quantity"},
    "pb_total": {"zh": "合计", "en": "Total"},
    "pb_others": {"zh": "其余 {n} 个点位", "en": "{n} other sites"},
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
    # issue 12 (gaps): playbook notes (shortfalls, labels), filled by playbook.notes.note_text
    "pbn_outside_firm": {
        "zh": "{label}：{n} 家企业位于所有辖区之外，未安排走访（{ids}）；请检查坐标（WGS84）",
        "en": "{label}: {n} firms lie outside every precinct and are not scheduled: {ids}; "
        "check their coordinates (WGS84)",
    },
    "pbn_outside_school": {
        "zh": "{label}：{n} 所学校位于所有辖区之外，未安排走访（{ids}）；请检查坐标（WGS84）",
        "en": "{label}: {n} schools lie outside every precinct and are not scheduled: {ids}; "
        "check their coordinates (WGS84)",
    },
    "pbn_short_firm": {
        "zh": "{label}：{station}有 {n} 家企业，但 {first} 至 {last} 共 {days} 个工作日只有 "
        "{slots} 个走访时段，{short} 家无法安排（缺口）；可将每日走访数（daily_capacity）提高到 "
        "{need}，或放宽时间窗口",
        "en": "{label}: {station} has {n} firms but only {slots} visit slots on {days} working "
        "days from {first} to {last}; {short} cannot be visited (shortfall). Raise "
        "daily_capacity to {need} or widen the window",
    },
    "pbn_short_school": {
        "zh": "{label}：{station}有 {n} 所学校，但 {first} 至 {last} 共 {days} 个工作日只有 "
        "{slots} 个宣讲时段，{short} 所无法安排（缺口）；可将每日走访数（daily_capacity）提高到 "
        "{need}，或放宽时间窗口",
        "en": "{label}: {station} has {n} schools but only {slots} visit slots on {days} working "
        "days from {first} to {last}; {short} cannot be visited (shortfall). Raise "
        "daily_capacity to {need} or widen the window",
    },
    "pbn_no_campaign": {
        "zh": "未设置宣传期（campaign = {{start, end}}）：网格走访能力按 {weeks} 周计算",
        "en": "no campaign = {{start, end}}: grid visit capacity is for {weeks} weeks",
    },
    "pbn_gen_police": {
        "zh": "{label}：警格为生成网格（边长 {size} 米的方格，按辖区裁剪），非官方网格",
        "en": "{label}: grid generated (police), squares of {size} m clipped to each precinct; "
        "not the official grid",
    },
    "pbn_gen_community": {
        "zh": "{label}：社区网格为生成网格（边长 {size} 米的方格，按辖区裁剪），非官方网格",
        "en": "{label}: grid generated (community), squares of {size} m clipped to each "
        "precinct; not the official grid",
    },
    "pbn_gen_both": {
        "zh": "{label}：警格和社区网格均为生成网格（社区网格边长 {size} 米，按辖区裁剪），"
        "非官方网格",
        "en": "{label}: grid generated (police + community), squares of {size} m clipped to "
        "each precinct; not the official grid",
    },
    "pbn_grid_short": {
        "zh": "{label}：{weeks} 周内按现有走访能力，{need} 户老年人中有 {lost} 户无法走访"
        "（visits.csv 中 {short} 行为部分安排/未能安排）；可提高每周走访数"
        "（officer_per_week/worker_per_week）或延长宣传期",
        "en": "{label}: {lost} of {need} elderly households cannot be visited within capacity "
        "over {weeks} weeks (shortfall: {short} rows of visits.csv with status "
        "partial/shortfall); raise officer_per_week/worker_per_week or lengthen the campaign",
    },
    # issue 12 (gaps): placements per precinct (banners/LED and the other channels)
    "pb_by_precinct": {"zh": "各辖区投放点位与物料", "en": "Sites and materials per precinct"},
    "pb_precinct": {"zh": "辖区", "en": "Precinct"},
    "pb_sites_n": {"zh": "点位", "en": "sites"},
    # issue 12 (gaps): legend of the playbook layers
    "legend_pb_grid": {"zh": "老年人走访网格（预期效益）", "en": "Elderly visit grid (benefit)"},
    "legend_pb_low": {"zh": "低", "en": "low"},
    "legend_pb_high": {"zh": "高", "en": "high"},
    "legend_pb_firm": {"zh": "走访企业", "en": "Firm visit"},
    "legend_pb_school": {"zh": "宣讲学校", "en": "School talk"},
    "legend_pb_short": {"zh": "未能安排", "en": "Not scheduled (shortfall)"},
    "legend_pb_materials": {"zh": "物料数量（圈大=多）", "en": "Material quantity (bigger = more)"},
}
