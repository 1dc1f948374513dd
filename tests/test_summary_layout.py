"""The 汇总 tab as a manager reads and prints it: bordered tables with filled headers, numbers
aligned right, 万元 amounts, real percentages, "—" where there is nothing to rate yet, names
not clipped, landscape pages broken between sections, and the week against last week."""

import datetime as dt
import email
import email.policy
import io
from pathlib import Path

import openpyxl
from conftest import (
    TODAY,
    customer,
    gsheets_settings,
    make_spreadsheet,
    make_workbook,
    sheet_rows,
    summary_section,
    sync,
)

from sheetsync.backends.xlsx import rewrite_with_openpyxl
from sheetsync.workbook.changes import Changeset, SheetLayout, Table

DAY = dt.timedelta(days=1)
LONG_NAME = "华辰科技(华东分公司)"
CUSTOMERS = [
    customer("K1", customer=LONG_NAME, last_contact=TODAY - 60 * DAY, annual_amount=60_000_000),
    customer("K2", owner="李娜", annual_amount=1_250_000, margin="40%", renewal_rate="95%"),
    customer("K3", stage="成交维护"),
]


def _summary(path):
    return openpyxl.load_workbook(path)["汇总"]


def _row_of(sheet, first: str) -> int:
    return next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == first)


def test_tables_are_bordered_with_filled_headers_and_numbers_aligned_right(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS)
    sync(path)
    sheet = _summary(path)
    title = _row_of(sheet, "按负责人")
    header = [sheet.cell(title + 1, c) for c in range(1, 7)]
    assert [c.value for c in header[:4]] == ["负责人", "客户数", "今日跟进", "已逾期"]
    for cell in header:
        assert cell.font.b and cell.fill.fgColor.rgb.endswith("DDEBF7")
        assert cell.border.bottom.style == "thin"
    assert header[0].alignment.horizontal == "left"
    assert {c.alignment.horizontal for c in header[1:]} == {"right"}  # over numbers
    first = [sheet.cell(title + 2, c) for c in range(1, 7)]
    assert all(c.border.left.style == "thin" and c.border.top.style == "thin" for c in first)
    assert first[1].alignment.horizontal == "right" and first[0].value == "张伟"
    assert sheet.cell(title, 1).font.b and sheet.cell(title, 1).border.left.style is None


def test_amounts_in_wan_yuan_and_shares_as_percentages(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS)
    sync(path)
    sheet = _summary(path)
    title = _row_of(sheet, "按价值分类")
    assert sheet.cell(title + 1, 4).value == "年合作金额(万元)"
    amounts = {sheet.cell(r, 1).value: sheet.cell(r, 4) for r in range(title + 2, title + 5)}
    shown = {k: c.value for k, c in amounts.items() if c.value is not None}
    assert sum(shown.values()) == 6_125  # 60,000,000 + 1,250,000 yuan
    assert {c.number_format for c in amounts.values() if c.value is not None} == {"#,##0.00"}
    grades = _row_of(sheet, "按等级")
    share = sheet.cell(grades + 2, 3)
    assert isinstance(share.value, float) and share.number_format == "0.0%"


def test_columns_are_wide_enough_for_long_names(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS)
    sync(path)
    sheet = _summary(path)
    late = _row_of(sheet, "逾期最久的客户")
    assert sheet.cell(late + 2, 2).value == LONG_NAME
    # 8 汉字 at two widths each, 2 brackets and 4 letters: 22 character widths
    assert sheet.column_dimensions["B"].width >= 22
    assert sheet.column_dimensions["C"].width >= 10  # the date beside the title: no ###


def test_prints_landscape_fit_to_width_and_breaks_between_sections(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS)
    sync(path)
    sheet = _summary(path)
    assert sheet.page_setup.orientation == "landscape"
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    breaks = [b.id for b in sheet.row_breaks.brk]
    assert breaks  # eleven sections do not fit one page
    rows = sheet_rows(path, "汇总")
    titles = [i for i, r in enumerate(rows, 1) if r and r[0] and sheet.cell(i, 1).font.b]
    for row in breaks:  # a page ends on a blank row and the next starts with a title
        assert all(v is None for v in rows[row - 1])
        following = next(i for i in range(row + 1, len(rows) + 1) if any(rows[i - 1]))
        assert following in titles
    late = _row_of(sheet, "逾期最久的客户")
    page_start = max([b + 1 for b in breaks if b < late], default=1)
    assert any(page_start <= t < late for t in titles)  # not alone on its page


def test_charts_sit_right_of_every_table(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS)
    sync(path)
    sheet = _summary(path)
    widest = max(len([v for v in r if v is not None]) for r in sheet.iter_rows(values_only=True))
    columns = {c.anchor._from.col + 1 for c in sheet._charts}  # 0-based in the anchor
    assert len(columns) == 1 and columns.pop() > widest


def test_a_rate_over_a_window_with_no_data_shows_a_dash_on_day_one(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS)
    sync(path)  # K1 was overdue before the sync ever ran: nothing to rate yet
    owners = {r[0]: r for r in summary_section(path, "按负责人")}
    assert owners["张伟"][3] == 1  # K1 is overdue
    assert owners["张伟"][5] == "—" and owners["李娜"][5] == "—"
    trend = {r[0]: r for r in summary_section(path, "本周与上周")}
    assert trend["按时完成率"][1:4] == ("—", "—", "—")
    assert trend["逾期客户数(日均)"][1:4] == (1, "—", "—")  # only today is known


def _with_sync_log(path, runs):
    book = openpyxl.load_workbook(path)
    log = book["同步日志"]
    for run_date, due, overdue in runs:
        log.append([f"{run_date} 09:00:00", run_date, 3, 0, due, overdue, 0, "ok", ""])
    book.save(path)


def test_trend_compares_this_week_with_last_week_from_the_sync_log(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS)
    _with_sync_log(
        path,
        [
            (dt.date(2026, 11, 6), 9, 9),  # the week before last: not counted
            (dt.date(2026, 11, 10), 1, 8),
            (dt.date(2026, 11, 12), 1, 5),
            (dt.date(2026, 11, 12), 2, 2),  # that day's last run counts
            (dt.date(2026, 11, 16), 0, 4),
            (dt.date(2026, 11, 17), 3, 6),
        ],
    )
    sync(path)  # Wednesday 11-18: K1 overdue
    trend = {r[0]: r for r in summary_section(path, "本周与上周")}
    # this week, Monday to Wednesday: (4 + 6 + 1) / 3 days = 3.7; last week's Monday to
    # Wednesday: 8 (11-10; 11-12 is a Thursday, not counted)
    assert trend["逾期客户数(日均)"][1:4] == (3.7, 8, -4.3)
    daily = summary_section(path, "每日跟进与逾期")
    assert [r[0] for r in daily] == ["11-06", "11-10", "11-12", "11-16", "11-17", "11-18"]
    assert [r[2] for r in daily] == [9, 8, 2, 4, 6, 1]
    line = [c for c in _summary(path)._charts if c.tagname == "lineChart"]
    assert len(line) == 1


def test_the_openpyxl_fallback_lays_out_a_table_the_same_way(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS)
    rows = [["标题"], ["名称", "金额"], ["甲", 1.5], ["乙", "—"]]
    layout = SheetLayout([Table(1, 4, 2, frozenset({2}))], {1: 24, 2: 12}, landscape=True)
    changes = Changeset(replace={"汇总": rows}, layout={"汇总": layout})
    data = rewrite_with_openpyxl(path.read_bytes(), changes)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["汇总"]
    assert sheet["A2"].font.b and sheet["A2"].fill.fgColor.rgb.endswith("DDEBF7")
    assert sheet["B4"].alignment.horizontal == "right" and sheet["A4"].border.left.style == "thin"
    assert sheet.column_dimensions["A"].width == 24
    assert sheet.page_setup.orientation == "landscape"


def test_google_summary_tables_are_bordered_filled_and_aligned(sheets_api, service_account):
    key = make_spreadsheet(sheets_api, service_account, CUSTOMERS)
    settings = gsheets_settings(sheets_api, service_account)
    sync(Path("unused.xlsx"), TODAY, workbook=key, **settings)
    sheet = sheets_api.books[key].by_title("汇总")
    grid = sheet.grid()
    owners = next(i for i, r in enumerate(grid) if r and r[0] == "按负责人")  # 0-based
    bordered = {(b["range"]["startRowIndex"], b["range"]["endColumnIndex"]) for b in sheet.borders}
    assert (owners + 1, 6) in bordered  # from its header row, all six columns
    filled = [
        f
        for f in sheet.formats
        if f["range"].get("startRowIndex") == owners + 1
        and "backgroundColor" in f["cell"]["userEnteredFormat"]
    ]
    assert filled and filled[0]["cell"]["userEnteredFormat"]["textFormat"]["bold"]
    right = {
        f["range"]["startColumnIndex"]
        for f in sheet.formats
        if f["range"].get("startRowIndex") == owners + 1
        and f["cell"]["userEnteredFormat"].get("horizontalAlignment") == "RIGHT"
    }
    assert right == {1, 2, 3, 4, 5}  # every column but the names
    value = next(i for i, r in enumerate(grid) if r and r[0] == "按价值分类")
    amounts = [sheet.cells.get((r, 3)) for r in range(value + 2, value + 5)]
    shown = [c for c in amounts if c]
    assert sum(c["v"] for c in shown) == 6_125
    assert {c["number_format"]["pattern"] for c in shown} == {"#,##0.00"}


def test_the_manager_mail_carries_the_same_figures(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS)
    sync(path, email=True, environ={"SHEETSYNC_EMAIL_MANAGER_SUMMARY": "yes"})
    eml = next((tmp_path / "outbox").glob("summary-*.eml")).read_bytes()
    message = email.message_from_bytes(eml, policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    assert "年合作金额(万元)" in html and "6,000.00" in html  # 60,000,000 yuan
    assert "本周与上周" in html and "逾期客户数(日均)" in html  # the trend section
    owners = html[html.index(">按负责人<") : html.index(">本周与上周<")]
    assert "—" in owners and "0.0%" not in owners  # nothing to rate on day one


def test_a_section_added_later_is_laid_out_and_charted_by_its_key():
    """Another step's section ("forecast_month") gets the same table layout and its chart,
    right of the widest table, with no change here."""
    from sheetsync.rules.summary import CHARTS, _Labels, _laid_out

    sections = {
        "title": [["汇总", "统计日期", TODAY]],
        "forecast_month": [
            ["加权商机(按月)"],
            ["月份", "商机数", "加权金额(万元)"],
            ["2026-12", 3, 120.5],
            ["2027-01", 1, 40.0],
            ["合计", 4, 160.5],  # not charted
        ],
        "wide": [["宽表"], ["甲", "乙", "丙", "丁", "戊"], ["x", 1, 2, 3, 4]],
    }
    summary = _laid_out(sections, _Labels("zh"))
    (chart,) = summary.charts
    assert chart.kind == CHARTS["forecast_month"][0] and chart.title == "加权商机(按月)"
    assert chart.values == (3, 5, 6) and chart.categories == (1, 5, 6)  # rows 5-6: the months
    assert chart.anchor[1] == 7  # five columns of the widest table, a gap, then the chart
    forecast = summary.layout.tables[0]
    assert (forecast.title_row, forecast.last_row, forecast.right) == (3, 7, {2, 3})


def test_google_trend_reads_the_sync_log_the_sheet_keeps(sheets_api, service_account):
    key = make_spreadsheet(sheets_api, service_account, CUSTOMERS)
    settings = gsheets_settings(sheets_api, service_account)
    sync(Path("unused.xlsx"), TODAY - DAY, workbook=key, **settings)  # Tuesday
    sync(Path("unused.xlsx"), TODAY, workbook=key, **settings)  # Wednesday
    sheet = sheets_api.books[key].by_title("汇总")
    grid = sheet.grid()
    start = next(i for i, r in enumerate(grid) if r and r[0] == "每日跟进与逾期")
    assert [r[0] for r in grid[start + 2 : start + 4]] == ["11-17", "11-18"]
    assert any(
        c["spec"]["basicChart"]["chartType"] == "LINE"
        for c in sheet.charts
        if "basicChart" in c["spec"]
    )


def test_a_section_longer_than_a_page_repeats_its_title_and_header_on_the_next():
    """60 salespeople: 按负责人 in page-sized parts, each under its title and header, each
    page broken between them; every owner shown once."""
    from sheetsync.rules.summary import PAGE_ROWS, _Labels, _laid_out, _paged

    label = _Labels("zh")
    owners = [[f"销售{i:02d}", i, 0] for i in range(60)]
    sections = {
        "title": [["汇总", "统计日期", TODAY]],
        "owners": [["按负责人"], ["负责人", "客户数", "已逾期"], *owners],
    }
    summary = _laid_out(_paged(sections, label), label)
    titles = [r[0] for r in summary.rows if r and str(r[0]).startswith("按负责人")]
    assert titles == ["按负责人", "按负责人(续)"]
    headers = [i for i, r in enumerate(summary.rows, 1) if r and r[0] == "负责人"]
    shown = [r[0] for r in summary.rows if r and str(r[0]).startswith("销售")]
    assert shown == [r[0] for r in owners]  # each once, in order
    assert len(headers) == 2 and summary.layout.breaks  # a page break between the parts
    assert all(b < headers[1] - 1 for b in summary.layout.breaks[:1])
    assert max(t.last_row - t.title_row + 1 for t in summary.layout.tables) <= PAGE_ROWS - 1
    assert not summary.charts  # no chart over part of the owners
