"""The fast write path edits only the sheets that change; it must give exactly the workbook the
openpyxl round trip gives, and keep everything else people put in the file."""

import datetime as dt
import io
import zipfile

import openpyxl
from conftest import TODAY, customer, make_workbook, results, sheet_rows, sync
from lxml import etree
from openpyxl.formatting.rule import CellIsRule
from openpyxl.utils import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from sheetsync.backends.xlsx import XlsxBackend, rewrite_with_openpyxl
from sheetsync.backends.xlsx_package import MAIN, PatchUnsupported, restore_cached_values
from sheetsync.backends.xlsx_patch import patch_workbook
from sheetsync.config import load_settings
from sheetsync.loading import load
from sheetsync.ops.demo import demo_customers
from sheetsync.pipeline import compute, plan
from sheetsync.report import report_for
from sheetsync.rules.workdays import WorkCalendar
from sheetsync.workbook.schema import FOLLOWUPS


def _changeset(path):
    settings = load_settings(environ={}, workbook=str(path))
    backend = XlsxBackend(path)
    loaded = load(backend.read(), settings)
    result = compute(loaded, TODAY, WorkCalendar())
    return plan(loaded, result, report_for("x", TODAY, result), dt.datetime(2026, 11, 18, 9))


def _values(data: bytes) -> dict:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {
        ws.title: [list(r) for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]
        for ws in book.worksheets
    }


def test_patched_workbook_equals_the_openpyxl_round_trip(tmp_path):
    keys = [c.key for c in FOLLOWUPS.columns]  # demo rows come in the tab's column order
    rows = [dict(zip(keys, r, strict=True)) for r in demo_customers(TODAY)]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    data, changes = path.read_bytes(), _changeset(path)  # the first run: every kind of value
    changes.charts = {}  # drawing charts is the openpyxl path's job; here: the cells
    written = {type(c.new) for c in changes.cells}
    assert {str, dt.date} <= written and len(changes.cells) > 100
    assert _values(patch_workbook(data, changes)) == _values(rewrite_with_openpyxl(data, changes))


def test_what_people_added_to_the_file_survives(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1"), customer("K2")])
    sync(path)  # the first run draws the summary's charts (the same day: no new trend point)
    wb = openpyxl.load_workbook(path)
    ws = wb["客户跟进"]
    rule = DataValidation(type="list", formula1='"高,中,低"')
    rule.add("H2:H500")
    ws.add_data_validation(rule)
    ws.conditional_formatting.add("Y2:Y500", CellIsRule(operator="equal", formula=['"已逾期"']))
    ws["AD2"] = "=LEN(B2)"  # a formula in a people's column (备注)
    wb.create_sheet("我的图表数据")["A1"] = "自己的表"
    wb.save(path)
    before = zipfile.ZipFile(path)
    untouched = {
        n: before.read(n)
        for n in before.namelist()
        if "sheet1.xml" not in n
        and "styles" not in n
        and not any(f"sheet{i}" in n for i in (5, 6, 7, 8, 9))
    }  # sync tabs
    sync(path)
    after = zipfile.ZipFile(path)
    assert {n: after.read(n) for n in untouched} == untouched  # other tabs: byte for byte
    ws = openpyxl.load_workbook(path)["客户跟进"]
    assert ws.data_validations.dataValidation[0].formula1 == '"高,中,低"'
    assert "Y2:Y500" in {str(cf.sqref) for cf in ws.conditional_formatting}  # the person's own rule
    assert ws["AD2"].value == "=LEN(B2)"
    assert results(path)["K1"]["status"] == "待跟进"


def test_dates_are_written_as_real_date_cells(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    sync(path)
    sync(path, TODAY + dt.timedelta(days=5))  # the patch path (columns exist now)
    ws = openpyxl.load_workbook(path)["客户跟进"]
    cell = ws["AI2"]
    assert isinstance(cell.value, dt.datetime) and cell.number_format == "yyyy-mm-dd"


def test_cells_stay_in_column_order_when_a_person_has_columns_after_ours(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1"), customer("K2")])
    wb = openpyxl.load_workbook(path)
    wb["客户跟进"]["AN1"], wb["客户跟进"]["AN2"] = "自己的列", "mine"
    wb.save(path)
    sync(path)
    sheet = etree.fromstring(zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml"))
    row2 = next(r for r in sheet.iter(f"{{{MAIN}}}row") if r.get("r") == "2")
    columns = [column_index_from_string(c.get("r")[:-1]) for c in row2]
    assert columns == sorted(columns)
    row = openpyxl.load_workbook(path)["客户跟进"][2]
    assert (row[30].value, row[36].value, row[39].value) == ("B", "待跟进", "mine")


def test_new_workbook_has_dropdowns_and_status_colours_that_survive_syncs(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    sync(path)
    sync(path, TODAY + dt.timedelta(days=5))
    ws = openpyxl.load_workbook(path)["客户跟进"]
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in ws.data_validations.dataValidation}
    assert lists["H2"] == '"高,中,低"' and lists["I2"] == '"明确,初步确认,未定"'
    assert lists["R2"] == '"A,B,C"' and "线索获取" in lists["G2"]
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert {r.formula[0] for r in rules} == {'$AK2="已逾期"', '$AK2="今日跟进"'}
    assert ws.freeze_panes == "C2"  # the header, and the id and name columns


def test_the_openpyxl_path_keeps_a_1904_workbooks_formula_results(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    wb = openpyxl.load_workbook(path)
    wb.epoch = CALENDAR_MAC_1904  # a workbook from Excel for Mac
    wb["客户跟进"]["AD2"] = "=1+1"  # a formula in a people's column (备注)
    wb.save(path)
    with zipfile.ZipFile(path) as old:  # its result, as Excel would have saved it
        parts = {info: old.read(info) for info in old.infolist()}
    sheet = next(i for i in parts if i.filename == "xl/worksheets/sheet1.xml")
    assert parts[sheet].count(b"<f>1+1</f><v></v>") == 1
    parts[sheet] = parts[sheet].replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>2</v>")
    with zipfile.ZipFile(path, "w") as new:
        for info, part in parts.items():
            new.writestr(info, part)
    data, changes = path.read_bytes(), _changeset(path)
    changes.charts = {}
    written = restore_cached_values(data, rewrite_with_openpyxl(data, changes))
    assert (
        CalamineWorkbook.from_filelike(io.BytesIO(written))
        .get_sheet_by_name("客户跟进")
        .to_python()[1][29]
        == 2
    )
    assert openpyxl.load_workbook(io.BytesIO(written))["客户跟进"]["AD2"].value == "=1+1"


def test_rows_of_a_sync_tab_that_did_not_change_are_left_as_they_are(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer(f"K{i}") for i in range(1, 6)])
    sync(path)
    sync(path)  # the patch path from here on
    wb = openpyxl.load_workbook(path)
    wb["任务记录"]["A2"].font = openpyxl.styles.Font(bold=True)  # a manager marks a row
    wb.save(path)
    before = sheet_rows(path, "任务记录")
    sync(path)
    assert sheet_rows(path, "任务记录") == before
    assert openpyxl.load_workbook(path)["任务记录"]["A2"].font.bold  # not rewritten


def test_planning_tells_apart_values_that_compare_equal_across_kinds():
    """Planning compares each distinct value once; TRUE, 1 and 1.0 typed into a sync column,
    or a title and the same plain text, are still different cells to it (each is compared as
    it reads back: "True" is not 1.0)."""
    import numpy as np
    import pandas as pd

    from sheetsync.workbook.changes import Heading, by_value, comparable

    mixed = pd.Series([True, 1, 1.0, "x", Heading("x"), None, True, 1], dtype=object)
    kinds = by_value(mixed, lambda v: type(v).__name__)
    assert list(kinds) == ["bool", "int", "float", "str", "Heading", "NoneType", "bool", "int"]
    read_back = by_value(mixed, lambda v: comparable(v, False))
    assert list(read_back) == ["True", 1.0, 1.0, "x", "x", None, "True", 1.0]
    days = pd.Series(pd.to_datetime(["2026-11-18", None, "2026-11-18"]))
    assert list(by_value(days, lambda v: None if v is pd.NaT else v.date())) == [
        dt.date(2026, 11, 18),
        None,
        dt.date(2026, 11, 18),
    ]
    plain = np.array(["a", "b", "a", None], dtype=object)  # one kind: compared once per value
    calls = []
    assert list(by_value(plain, lambda v: calls.append(v) or v)) == ["a", "b", "a", None]
    assert sorted(calls, key=str) == [None, "a", "b"]


def test_the_openpyxl_path_keeps_text_people_formatted_in_runs(tmp_path, monkeypatch):
    """A workbook the patcher cannot handle takes the general path; a name typed with a bold
    part stays bold."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from sheetsync.backends import xlsx

    def unsupported(*args, **kwargs):
        raise PatchUnsupported("as a package the patcher does not handle")

    monkeypatch.setattr(xlsx, "patch_into", unsupported)
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    wb = openpyxl.load_workbook(path, rich_text=True)
    wb.epoch = CALENDAR_MAC_1904
    name = CellRichText(TextBlock(InlineFont(b=True), "华辰"), "科技")
    wb["客户跟进"]["B2"] = name
    wb.save(path)
    sync(path)
    cell = openpyxl.load_workbook(path, rich_text=True)["客户跟进"]["B2"].value
    assert isinstance(cell, CellRichText) and str(cell) == "华辰科技"
    assert cell[0].font.b and cell[0].text == "华辰"
