"""Issue 10, spreadsheets and headers as police systems export them."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo_outreach._errors import InputDataError
from geo_outreach._parse import parse_coordinate
from geo_outreach._tables import detect_encoding
from geo_outreach.io import load_study
from geo_outreach.scenario import load_scenario
from tests.conftest import alert_rows

HEAD = ["警情编号", "报警时间", "案件类别", "经度", "纬度"]


def _load(path: Path):
    return load_study(load_scenario(path))


def _police_workbook(path: Path) -> None:
    """A summary sheet first; then two title rows, a header, a category merged down 3 rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(["新会区 2025 年警情汇总"])
    ws.append(["合计", 10])
    data = wb.create_sheet("明细")
    data.append(["新会区电信网络诈骗警情明细表"])
    data.merge_cells("A1:E1")
    data.append(["导出时间：2025-08-01", None, None, None, None])
    data.append(HEAD)
    for r in alert_rows():
        data.append([r[h] for h in HEAD])
    data.merge_cells("C4:C6")  # rows 4-6 share one merged 案件类别 cell
    data["C4"] = "刷单返利"
    wb.save(path)


def test_xlsx_title_rows_summary_sheet_and_merged_cells(scenario_factory, tmp_path: Path):
    sc = scenario_factory()
    _police_workbook(tmp_path / "alerts.xlsx")
    sc.write_text(sc.read_text(encoding="utf-8").replace("alerts.csv", "alerts.xlsx"), "utf-8")
    data = _load(sc)
    assert len(data.alerts) == 10 and data.rejects.empty
    assert data.alerts["category"].iloc[:3].tolist() == ["刷单返利"] * 3  # merged, filled down
    assert data.inputs[1]["sheet"] == "明细" and data.inputs[1]["header_row"] == 3


def test_xlsx_sheet_and_header_row_keys_and_no_header_error(scenario_factory, tmp_path: Path):
    _police_workbook(tmp_path / "alerts.xlsx")
    sc = scenario_factory(alerts_name="alerts.xlsx", alerts_extra='sheet = "明细"\nheader_row = 3')
    _police_workbook(tmp_path / "alerts.xlsx")  # the factory wrote its own; put ours back
    assert len(_load(sc).alerts) == 10
    wb = openpyxl.Workbook()
    wb.active.append(["只有标题"])
    wb.active.append(["a", "b"])
    wb.save(tmp_path / "alerts.xlsx")
    sc = scenario_factory(alerts_name="alerts.xlsx")
    wb.save(tmp_path / "alerts.xlsx")
    with pytest.raises(InputDataError, match=r"no header row found.*sheet 'Sheet': 只有标题"):
        _load(sc)
    sc = scenario_factory(alerts_name="alerts.xlsx", alerts_extra='sheet = "Data"')
    wb.save(tmp_path / "alerts.xlsx")
    with pytest.raises(InputDataError, match=r"no sheet 'Data'; the sheets are \['Sheet'\]"):
        _load(sc)


@pytest.mark.parametrize(
    ("headers", "extra"),
    [
        (["编号", "发案时间", "案别", "X坐标", "Y坐标", "简要案情"], "冒充客服退款"),
        (["案件编号", "立案时间", "警情类别", "东经", "北纬", "简要案情"], "刷单"),
        (["ID", "Date", "Primary Type", "Longitude", "Latitude", "Description"], "online"),
    ],
)
def test_more_header_aliases(scenario_factory, headers, extra):
    keys = ["警情编号", "报警时间", "案件类别", "经度", "纬度"]
    rows = [dict(zip(headers, [r[k] for k in keys] + [extra], strict=True)) for r in alert_rows()]
    data = _load(scenario_factory(rows))
    assert len(data.alerts) == 10
    assert set(data.alerts["category"]) == {"刷单返利", "冒充公检法"}
    assert data.inputs[1]["columns"]["description"] == headers[-1]


def test_utf16_tab_text_from_excel(scenario_factory, tmp_path: Path):
    sc = scenario_factory()
    text = pd.DataFrame(alert_rows()).to_csv(sep="\t", index=False)
    (tmp_path / "alerts.csv").write_bytes(text.encode("utf-16"))
    assert detect_encoding(text.encode("utf-16")) == "utf-16"
    assert detect_encoding(text.encode("utf-16-le")) == "utf-16-le"
    data = _load(sc)
    assert len(data.alerts) == 10 and data.inputs[1]["encoding"] == "utf-16"


def test_comma_decimals_and_dms_parsed_or_rejected_showing_the_value(scenario_factory):
    rows = alert_rows()
    lon, lat = float(rows[0]["经度"]), float(rows[0]["纬度"])

    def dms(v: float, hemi: str) -> str:
        d = int(v)
        m = int((v - d) * 60)
        s = ((v - d) * 60 - m) * 60
        return f"{d}°{m}'{s:.4f}\"{hemi}"

    comma = {"经度": f"{lon:.7f}", "纬度": f"{lat:.7f}"}
    comma = {k: v.replace(".", ",") for k, v in comma.items()}
    rows[0].update(comma)
    rows[1].update({"经度": dms(lon, "E"), "纬度": dms(lat, "N")})
    rows[2].update({"经度": "东经113度", "纬度": "garbage"})
    data = _load(scenario_factory(rows))
    assert len(data.alerts) == 9
    rej = data.rejects.set_index("row")
    assert rej.loc[4, "reason"] == "unparseable coordinates"
    assert rej.loc[4, "value"] == "东经113度, garbage"
    assert data.alerts["precinct_id"].iloc[:2].tolist() == ["A", "A"]
    assert parse_coordinate("113°05'30\"E") == pytest.approx(113 + 5 / 60 + 30 / 3600)
    assert parse_coordinate("S 33°52.5'") == pytest.approx(-(33 + 52.5 / 60))
    assert parse_coordinate("22°75'N") != parse_coordinate("22°75'N")  # NaN: minutes >= 60


def test_ragged_csv_row_rejected_rest_kept(scenario_factory, tmp_path: Path):
    sc = scenario_factory()
    lines = (tmp_path / "alerts.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3] + ",多出来的一列"  # row 4 has one field too many
    lines[5] = ",".join(lines[5].split(",")[:3])  # row 6 is cut short
    (tmp_path / "alerts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = _load(sc)
    assert len(data.alerts) == 8
    rej = data.rejects.set_index("row")
    assert rej.loc[4, "reason"] == "ragged row (7 fields, the header has 6)"
    assert rej.loc[4, "value"].endswith("多出来的一列")
    assert rej.loc[6, "reason"] == "ragged row (3 fields, the header has 6)"
    assert data.inputs[1]["rows_loaded"] + data.inputs[1]["rows_rejected"] == 10


def test_csv_title_row_above_header_is_skipped(scenario_factory, tmp_path: Path):
    sc = scenario_factory()
    path = tmp_path / "alerts.csv"
    path.write_text("新会区警情明细（导出）\n\n" + path.read_text(encoding="utf-8"), "utf-8")
    data = _load(sc)
    assert len(data.alerts) == 10 and data.rejects.empty


def test_header_row_must_count_from_one(scenario_factory):
    with pytest.raises(InputDataError, match=r"header_row = 0; it counts file rows from 1"):
        _load(scenario_factory(alerts_extra="header_row = 0"))
