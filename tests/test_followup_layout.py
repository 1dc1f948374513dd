"""The follow-up tab as a place to work, after `init` and after `adopt`: the id and name stay
in view with the header, a filter over the table, landscape printing one page wide with the
header on every page; `init` puts 状态 / 下次跟进日期 / 跟进任务 next to the name, `adopt`
moves nothing people have."""

import datetime as dt
import re
import zipfile

import openpyxl
from click.testing import CliRunner
from conftest import KEY, TODAY, gsheets_settings
from test_adopt import DAY0, FOLLOWUP_PLAYBOOK

from sheetsync.backends.gsheets import GSheetsBackend
from sheetsync.config import load_settings
from sheetsync.ops import app
from sheetsync.ops.cli import main
from sheetsync.workbook.changes import Changeset
from sheetsync.workbook.schema import FOLLOWUPS
from sheetsync.workbook.tables import column_letter

PLAYBOOK_HEADER = FOLLOWUP_PLAYBOOK["客户跟进记录表"][0]


def _print_setup(sheet) -> tuple:
    return (
        sheet.page_setup.orientation,
        sheet.page_setup.fitToWidth,
        sheet.page_setup.fitToHeight,
        bool(sheet.sheet_properties.pageSetUpPr.fitToPage),
        sheet.print_title_rows,
    )


def test_init_puts_the_work_next_to_the_name_frozen_filtered_and_printable(tmp_path):
    path = app.init_workbook(tmp_path / "team.xlsx")
    sheet = openpyxl.load_workbook(path)["客户跟进"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["客户编号", "客户名称", "状态", "下次跟进日期", "跟进任务"]
    assert len(header) == len(FOLLOWUPS.columns) and sheet.freeze_panes == "C2"  # and header
    last = column_letter(len(FOLLOWUPS.columns))
    assert sheet.auto_filter.ref == f"A1:{last}1048576"  # every column, rows typed later too
    assert _print_setup(sheet) == ("landscape", 1, 0, True, "$1:$1")
    colours = {r.formula[0] for cf in sheet.conditional_formatting for r in cf.rules}
    assert colours == {'$C2="已逾期"', '$C2="今日跟进"'}  # the row colours read 状态 where it is


def test_a_sync_on_a_new_workbook_writes_the_status_beside_the_name(tmp_path):
    path = app.init_workbook(tmp_path / "team.xlsx", demo_for=TODAY)
    settings = load_settings(environ={}, workbook=str(path))
    app.run_sync(settings, TODAY, email=False)
    sheet = openpyxl.load_workbook(path)["客户跟进"]
    statuses = {sheet.cell(r, 3).value for r in range(2, sheet.max_row + 1)} - {None}
    assert statuses and statuses <= {"待跟进", "今日跟进", "已逾期", "暂缓", "资料不全", "已输单"}
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref.startswith(
        f"A1:{column_letter(len(FOLLOWUPS.columns))}"
    )


def _playbook(path, sized: dict[str, float]):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "客户跟进记录表"
    for row in FOLLOWUP_PLAYBOOK["客户跟进记录表"]:
        sheet.append(row)
    for letter, width in sized.items():
        sheet.column_dimensions[letter].width = width
    book.save(path)


def test_adopt_lays_out_the_tab_people_have_without_moving_a_column(tmp_path):
    path = tmp_path / "team.xlsx"
    _playbook(path, {"H": 33})  # 跟进内容摘要, sized by a person
    settings = load_settings(environ={}, workbook=str(path))
    app.run_adopt(settings, apply=True, today=DAY0)  # and the first sync
    app.run_sync(settings, DAY0 + dt.timedelta(days=1), email=False)
    sheet = openpyxl.load_workbook(path)["客户跟进记录表"]
    header = [c.value for c in sheet[1]]
    renamed = {"下次跟进日期": "约定跟进日期", "状态": "状态(手填)"}
    assert header[:12] == [renamed.get(h, h) for h in PLAYBOOK_HEADER]  # nothing moved
    assert "状态" in header[12:]  # the sync's own columns come after people's
    assert sheet.freeze_panes == "C2"
    last = openpyxl.utils.get_column_letter(len([h for h in header if h]))
    assert sheet.auto_filter.ref == f"A1:{last}1048576"  # all columns, rows added later too
    assert _print_setup(sheet) == ("landscape", 1, 0, True, "$1:$1")
    assert sheet.column_dimensions["H"].width == 33  # the person's width stays
    assert sheet.column_dimensions["D"].width == 16  # 联系人及职务: room for its header


def test_adopt_adds_the_summary_tab_once(tmp_path):
    """The first sync after adopt creates 汇总 with its charts: one tab, not two of one name
    (which Excel refuses to open without a repair)."""
    path = tmp_path / "team.xlsx"
    _playbook(path, {})
    app.run_adopt(load_settings(environ={}, workbook=str(path)), apply=True, today=DAY0)
    with zipfile.ZipFile(path) as package:
        names = re.findall(r'<sheet [^>]*name="([^"]+)"', package.read("xl/workbook.xml").decode())
    assert len(names) == len(set(names)) and "汇总" in names


def test_adopt_freezes_only_the_header_when_the_name_is_far_right(tmp_path):
    path = tmp_path / "team.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "客户跟进"
    header = ["负责人", "行业", "联系人及职务", "上次跟进日期", "客户编号", "客户名称"]
    sheet.append(header)
    sheet.append(["张伟", "制造业", "王总", dt.datetime(2026, 11, 16), "K1", "甲公司"])
    book.save(path)
    settings = load_settings(environ={}, workbook=str(path))
    app.run_adopt(settings, apply=True, today=DAY0)
    sheet = openpyxl.load_workbook(path)["客户跟进"]
    assert [c.value for c in sheet[1]][:6] == header
    assert sheet.freeze_panes == "A2"  # six frozen columns would fill the screen


def test_google_adopt_freezes_filters_and_keeps_the_columns(sheets_api, service_account):
    sheets_api.create(KEY)
    backend = GSheetsBackend(KEY, str(service_account), sheets_api.url)
    backend.read()
    rows = [list(r) for r in FOLLOWUP_PLAYBOOK["客户跟进记录表"]]
    backend.write(Changeset(replace={"客户跟进记录表": rows}))
    settings = load_settings(
        environ={}, workbook=KEY, **gsheets_settings(sheets_api, service_account)
    )
    app.run_adopt(settings, apply=True, today=DAY0)
    sheet = sheets_api.books[KEY].by_title("客户跟进记录表")
    header = sheet.grid()[0]
    assert header[0:2] == ["客户编号", "客户名称"] and header[12:]  # sync columns at the end
    assert (sheet.frozen_rows, sheet.frozen_cols) == (1, 2)
    area = sheet.basic_filter["range"]
    assert (area["startRowIndex"], area["startColumnIndex"], area["endColumnIndex"]) == (
        0,
        0,
        len(header),
    )
    assert "endRowIndex" not in area  # rows added later are in the filter too
    assert sheet.widths == {}  # Sheets does not say which widths people set: none changed


def test_google_init_freezes_the_id_and_name_and_sets_a_filter(
    tmp_path, sheets_api, service_account
):
    sheets_api.create("team-sheet", titles=("客户跟进",))
    config = tmp_path / "c.yaml"
    config.write_text(
        f"gsheets: {{credentials: '{service_account}', endpoint: '{sheets_api.url}'}}\n"
    )
    result = CliRunner().invoke(
        main, ["init", "--spreadsheet", "team-sheet", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    sheet = sheets_api.books["team-sheet"].by_title("客户跟进")
    assert sheet.grid()[0][:3] == ["客户编号", "客户名称", "状态"]
    assert (sheet.frozen_rows, sheet.frozen_cols) == (1, 2)
    assert sheet.basic_filter["range"]["endColumnIndex"] == len(FOLLOWUPS.columns)
