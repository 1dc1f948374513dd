"""Every value on its customer's row, whatever people do while a Google sync runs (issue 26,
item 1): a sort, an inserted or deleted row and edits of the sync's cells at each moment of a
sync, on the fake through the real gspread client. A twin spreadsheet where the same people
did the same before the sync started says what each customer's cells must hold."""

import datetime as dt
from pathlib import Path

import pytest
import sheets_semantics as google
from conftest import (
    KEY,
    TODAY,
    customer,
    gsheets_settings,
    make_spreadsheet,
    sheet_results,
    sheet_values,
    sync,
)

from sheetsync.errors import SheetSyncError
from sheetsync.workbook.schema import FOLLOWUPS

TWIN = "twin-spreadsheet-key-without-anyone-in-it"
TAB = FOLLOWUPS.title("zh")
STAGE_NAMES = ("初步接触", "需求确认", "方案展示", "商务谈判")
CUSTOMERS = [
    customer(
        f"C{i:04d}",
        customer=f"客户{(i * 37) % 300:03d}有限公司",  # sorting by name shuffles the rows
        stage=STAGE_NAMES[i % 4],
        intent=("低", "中", "高")[i % 3],
        budget=("未定", "初步确认", "明确")[(i // 3) % 3],
        last_contact=TODAY - dt.timedelta(days=1 + i % 40),
    )
    for i in range(300)
]
EDITS = {"C0007": ("客户等级", "A"), "C0150": ("下次跟进日期", "2026-12-24")}
GONE, NEW = "C0100", "N0001"


def run(sheets_api, service_account, key: str, today: dt.date = TODAY):
    settings = {"workbook": key, **gsheets_settings(sheets_api, service_account)}
    return sync(Path("unused.xlsx"), today, **settings)


def act(sheets_api, key: str, *requests: dict) -> None:
    """What people do in the browser, applied as Google applies it (the fake's lock is held by
    the hook that calls this: the book is changed directly)."""
    sheets_api.batch_update(sheets_api.books[key], {"requests": list(requests)})


def tab_id(sheets_api, key: str) -> int:
    return sheets_api.books[key].by_title(TAB).sheet_id


def row_of(sheets_api, key: str, customer_id: str) -> int:
    """0-based row of a customer in the follow-up tab now."""
    grid = sheets_api.books[key].by_title(TAB).grid()
    return next(r for r, row in enumerate(grid) if row and row[0] == customer_id)


def sort_by_name(sheets_api, key: str) -> None:
    area = {"sheetId": tab_id(sheets_api, key), "startRowIndex": 1}
    act(sheets_api, key, {"sortRange": {"range": area, "sortSpecs": [{"dimensionIndex": 1}]}})


def insert_and_delete(sheets_api, key: str) -> None:
    """A row inserted at the top (a new customer typed into it), a customer's row deleted."""
    sheet = tab_id(sheets_api, key)
    rows = {"sheetId": sheet, "dimension": "ROWS"}
    act(sheets_api, key, {"insertDimension": {"range": dict(rows, startIndex=1, endIndex=2)}})
    gone = row_of(sheets_api, key, GONE)
    gone = dict(rows, startIndex=gone, endIndex=gone + 1)
    act(sheets_api, key, {"deleteDimension": {"range": gone}})
    book = sheets_api.books[key].by_title(TAB)
    header = book.grid()[0]
    for k, v in customer(NEW, customer="刚加的客户").items():
        text = v.isoformat() if isinstance(v, dt.date) else v
        book.set(1, header.index(FOLLOWUPS.column(k).zh), google.typed(text))


def type_edits(sheets_api, key: str) -> None:
    sheet = sheets_api.books[key].by_title(TAB)
    header = sheet.grid()[0]
    for cid, (column, text) in EDITS.items():
        sheet.set(row_of(sheets_api, key, cid), header.index(column), google.typed(text))


def everything(key: str, typing: bool = True):
    """Sort, insert, delete, and (`typing`) edit: all at one moment."""

    def hook(book, sheets_api):
        sort_by_name(sheets_api, key)
        insert_and_delete(sheets_api, key)
        if typing:
            type_edits(sheets_api, key)

    return hook


def twin(sheets_api, service_account, *days: dt.date) -> dict:
    """The same people's moves made before the sync started: each customer's right values."""
    make_spreadsheet(sheets_api, service_account, CUSTOMERS, key=TWIN)
    sort_by_name(sheets_api, TWIN)
    insert_and_delete(sheets_api, TWIN)
    for day in days:
        run(sheets_api, service_account, TWIN, day)
    return sheet_results(sheets_api, key=TWIN)


def misplaced(got: dict, right: dict, edited: set[str]) -> list[str]:
    return [
        f"{cid} {k}: {got[cid][k]!r} (should be {right[cid][k]!r})"
        for cid in right
        if cid not in edited
        for k in right[cid]
        if got.get(cid, {}).get(k) != right[cid][k]
    ]


def edits_kept(sheets_api) -> list[str]:
    values = sheet_values(sheets_api, TAB)
    header = values[0]
    lost = []
    for cid, (column, text) in EDITS.items():
        row = next(r for r in values if r and r[0] == cid)
        stored = google.typed(text)["v"]
        if row[header.index(column)] != stored:
            lost.append(f"{cid} {column}: {row[header.index(column)]!r}, typed {text!r}")
    return lost


def once_cells_written(sheets_api, action, every: bool = False) -> None:
    """`action` before the first batchUpdate after some (`every`: all) of the sync's cells of
    the follow-up tab were written (a first sync writes them in several batches)."""

    def hook(book):
        grid = book.by_title(TAB).grid()
        status = grid[0].index("状态")
        written = [len(row) > status and row[status] != "" for row in grid[1:]]
        if all(written) if every else any(written):
            action(book)
        else:
            sheets_api.before(":batchUpdate", hook)

    sheets_api.before(":batchUpdate", hook)


# When people act: before which request (the first read is the run's first values:batchGet,
# the write-time read its second), how many such requests go first, and whether they type
# into the sync's cells too. Between two batches of a first sync the sync reads the tab
# before the next (it notices and places the rest by customer); typed into the very cell a
# batch on its way then overwrites, an edit is lost (docs/operations.md): moves only there.
MOMENTS = {
    "after the first read": ("values:batchGet", 1, True),
    "between the write-time read and the write": (":batchUpdate", 0, True),
    "between two batches of a first sync": ("between", 0, True),
    "as a later batch of a first sync is sent": ("batch", 0, False),
    "after the write, before the read-back": ("read-back", 0, True),
}


@pytest.mark.slow  # 300 customers, three days of syncs on the sheet and on its twin, per moment
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_people_moving_rows_and_typing_during_a_first_sync_lose_nothing_and_misplace_nothing(
    sheets_api, service_account, monkeypatch, moment
):
    monkeypatch.setattr("sheetsync.backends.gsheets_requests.MAX_PAYLOAD", 60_000)
    make_spreadsheet(sheets_api, service_account, CUSTOMERS)
    when, skip, typing = MOMENTS[moment]
    hook = everything(KEY, typing)

    def act_before(suffix):
        return lambda book: sheets_api.before(suffix, lambda b: hook(b, sheets_api))

    if when == "between":  # some of the tab's cells written: before the next read
        once_cells_written(sheets_api, act_before("values:batchGet"))
    elif when == "batch":
        once_cells_written(sheets_api, lambda book: hook(book, sheets_api))
    elif when == "read-back":  # all written: the next read is the read-back
        once_cells_written(sheets_api, act_before("values:batchGet"), every=True)
    else:
        sheets_api.before(when, lambda book: hook(book, sheets_api), skip=skip)
    report = run(sheets_api, service_account, KEY)
    assert not sheets_api.hooks  # the people's moves happened during the run
    assert sheets_api.count(":batchUpdate") > 3  # a first sync of many batches

    typed = set(EDITS) if typing else set()
    right = twin(sheets_api, service_account, TODAY)
    got = sheet_results(sheets_api)
    assert misplaced(got, right, {*typed, NEW}) == []  # NEW: typed in after the first read
    assert not typing or edits_kept(sheets_api) == []
    assert GONE not in got and all(v is None for v in got[NEW].values())
    assert "同步待核对" not in [s.title for s in sheets_api.books[KEY].sheets]
    if moment != "after the write, before the read-back":  # then the write was already right
        assert any("同步期间" in note or "放回" in note for note in report.notes), report.notes

    # the following days: nothing misplaced kept as a hand edit, the people's edits kept
    for day in (TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)):
        run(sheets_api, service_account, KEY, day)
    right = twin_days(sheets_api, service_account)
    got = sheet_results(sheets_api)
    assert misplaced(got, right, {*typed, NEW}) == []  # NEW's stage began a day later
    assert got[NEW]["grade"] == right[NEW]["grade"] and got[NEW]["task"] == right[NEW]["task"]
    assert not typing or edits_kept(sheets_api) == []


def twin_days(sheets_api, service_account) -> dict:
    for day in (TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)):
        run(sheets_api, service_account, TWIN, day)
    return sheet_results(sheets_api, key=TWIN)


def test_a_daily_sync_sorted_under_its_write_puts_every_value_back_on_its_row(
    sheets_api, service_account
):
    """The next day's write (one batchUpdate) lands after a sort: read back and repaired."""
    make_spreadsheet(sheets_api, service_account, CUSTOMERS)
    run(sheets_api, service_account, KEY)
    later = TODAY + dt.timedelta(days=3)
    sheets_api.before(":batchUpdate", lambda book: sort_by_name(sheets_api, KEY))
    report = run(sheets_api, service_account, KEY, later)
    assert sheets_api.hooks == []
    make_spreadsheet(sheets_api, service_account, CUSTOMERS, key=TWIN)
    sort_by_name(sheets_api, TWIN)
    run(sheets_api, service_account, TWIN)
    run(sheets_api, service_account, TWIN, later)
    right = sheet_results(sheets_api, key=TWIN)
    assert misplaced(sheet_results(sheets_api), right, set()) == []
    said = "本次写入时有人排序、插入或删除了行"
    assert any(said in note for note in report.notes), report.notes
    assert said in sheet_values(sheets_api, "同步日志")[-1][-1]  # the run's sync-log row


@pytest.mark.slow  # 300 customers, several syncs on the sheet and on its twin
def test_a_run_stopped_before_its_check_is_repaired_by_the_next_before_anything_is_computed(
    sheets_api, service_account, monkeypatch
):
    """Rows sorted under the write, and the run stops before it reads back (its read-backs
    refused): the next run repairs from the pending record first, so no misplaced value is
    taken for a hand edit (kept as an agreed date or a grade for ever)."""
    monkeypatch.setattr("sheetsync.backends.gsheets.pause_for", lambda s: None)
    make_spreadsheet(sheets_api, service_account, CUSTOMERS)
    sheets_api.before(":batchUpdate", lambda book: sort_by_name(sheets_api, KEY))
    sheets_api.before("values:batchGet", lambda book: sheets_api.fail_next(503, times=100), skip=2)
    with pytest.raises(SheetSyncError):
        run(sheets_api, service_account, KEY)
    assert "同步待核对" in [s.title for s in sheets_api.books[KEY].sheets]
    sheets_api.failures.clear()
    days = (TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2))
    left = {s.title: s.grid() for s in sheets_api.books[KEY].sheets}
    settings = {"workbook": KEY, **gsheets_settings(sheets_api, service_account)}
    sync(Path("unused.xlsx"), days[0], dry_run=True, **settings)  # a dry run writes nothing
    assert {s.title: s.grid() for s in sheets_api.books[KEY].sheets} == left
    report = run(sheets_api, service_account, KEY, days[0])
    assert any("上次" in note for note in report.notes), report.notes
    run(sheets_api, service_account, KEY, days[1])
    make_spreadsheet(sheets_api, service_account, CUSTOMERS, key=TWIN)
    sort_by_name(sheets_api, TWIN)
    for day in (TODAY, *days):
        run(sheets_api, service_account, TWIN, day)
    right = sheet_results(sheets_api, key=TWIN)
    assert misplaced(sheet_results(sheets_api), right, set()) == []
    assert "同步待核对" not in [s.title for s in sheets_api.books[KEY].sheets]


@pytest.mark.slow  # 300 customers sorted again at every check of several syncs
def test_people_sorting_through_every_check_leave_it_to_the_next_run(sheets_api, service_account):
    """Rows sorted again before each write of the run (its three repairs too): the run says
    what it could not check, keeps its record, and the next run puts every value on its row
    before computing anything."""
    make_spreadsheet(sheets_api, service_account, CUSTOMERS)
    run(sheets_api, service_account, KEY)
    later = TODAY + dt.timedelta(days=3)
    flips = iter(range(1, 100))  # by name first: the rows are in id order

    def sort_again(book):  # by name backwards, then by id, then by name backwards...
        flip = next(flips)
        area = {"sheetId": tab_id(sheets_api, KEY), "startRowIndex": 1}
        spec = {"dimensionIndex": flip % 2, "sortOrder": ("ASCENDING", "DESCENDING")[flip % 2]}
        act(sheets_api, KEY, {"sortRange": {"range": area, "sortSpecs": [spec]}})
        if flip < 4:  # before the write and each of its three repairs, then no more
            sheets_api.before(":batchUpdate", sort_again)

    sheets_api.before(":batchUpdate", sort_again)
    report = run(sheets_api, service_account, KEY, later)
    sheets_api.hooks.clear()
    assert any("没能核对" in note for note in report.notes), report.notes
    assert "同步待核对" in [s.title for s in sheets_api.books[KEY].sheets]
    report = run(sheets_api, service_account, KEY, later + dt.timedelta(days=1))
    assert any("上次同步写入后没能核对完" in note for note in report.notes), report.notes
    assert "同步待核对" not in [s.title for s in sheets_api.books[KEY].sheets]
    make_spreadsheet(sheets_api, service_account, CUSTOMERS, key=TWIN)
    for day in (TODAY, later, later + dt.timedelta(days=1)):
        run(sheets_api, service_account, TWIN, day)
    right = sheet_results(sheets_api, key=TWIN)
    assert misplaced(sheet_results(sheets_api), right, set()) == []


def test_the_end_of_a_write_applied_but_never_answered_is_not_a_failure(
    sheets_api, service_account, monkeypatch
):
    """The batchUpdate that deletes the pending record is applied and its answer lost: the
    retry finds the record gone, which is what it asked for."""
    from test_gsheets import _impatient

    monkeypatch.setattr("sheetsync.backends.gsheets.pause_for", lambda s: None)
    make_spreadsheet(sheets_api, service_account, CUSTOMERS[:20])
    settings = {"workbook": KEY, **_impatient(sheets_api, service_account)}
    sync(Path("unused.xlsx"), TODAY, **settings)
    # the run's reads: the first, the write-time one, the read-back; then the record's end
    sheets_api.before("values:batchGet", lambda book: sheets_api.hang_next("after"), skip=2)
    sync(Path("unused.xlsx"), TODAY + dt.timedelta(days=1), **settings)
    assert not sheets_api.hangs
    assert "同步待核对" not in [s.title for s in sheets_api.books[KEY].sheets]
