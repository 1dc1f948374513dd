"""The Google Sheets backend: the real gspread + google-auth client, over HTTP, against the
local fake (tests/sheets_fake.py). Nothing here reaches Google."""

import datetime as dt
import logging
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import (
    KEY,
    TODAY,
    ZH_TABS,
    customer,
    gsheets_settings,
    make_spreadsheet,
    make_workbook,
    results,
    sheet_results,
    sheet_values,
    sync,
)
from openpyxl.utils import get_column_letter
from sheets_fake import FakeClock

from sheetsync.workbook.schema import FOLLOWUPS, HISTORY, MEMORY

MIXED = [
    customer("K1", last_contact=dt.date(2026, 11, 1)),
    customer("K2", last_contact="2026年11月17日"),
    customer("K3", last_contact="not a date"),
    customer("K4", paused_until="是", budget=None),
    customer("K5", last_contact=None, customer='=HYPERLINK("http://x","点我")'),
    customer(
        "K6", budget="明确", intent="高", decision_cycle="30天", last_contact=dt.date(2026, 11, 13)
    ),
]


def gsync(sheets_api, service_account, today=TODAY, **kwargs):
    return sync_sheet(sheets_api, service_account, today, **kwargs)


def sync_sheet(sheets_api, service_account, today=TODAY, **kwargs):
    from pathlib import Path

    return sync(
        Path("unused.xlsx"),
        today,
        workbook=KEY,
        **gsheets_settings(sheets_api, service_account),
        **kwargs,
    )


def test_same_results_as_the_xlsx_backend(tmp_path, sheets_api, service_account):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    sync(path)
    make_spreadsheet(sheets_api, service_account, MIXED)
    report = gsync(sheets_api, service_account)
    assert sheet_results(sheets_api) == results(path)
    assert report.cells > 0 and report.invalid == 1


def test_second_run_writes_no_cells(sheets_api, service_account):
    make_spreadsheet(sheets_api, service_account, MIXED)
    gsync(sheets_api, service_account)
    assert gsync(sheets_api, service_account).cells == 0


def test_requests_per_daily_sync_do_not_grow_with_rows(sheets_api, service_account, monkeypatch):
    """A write is split past MAX_PAYLOAD; lowered to 100 kB here, so a run that rewrote every
    row of 1,000 (as a first sync does) would need several requests, as 10,000 rows would at
    the real 2 MB: the daily run must still be one batchUpdate."""
    monkeypatch.setattr("sheetsync.backends.gsheets_requests.MAX_PAYLOAD", 100_000)
    counts, first = [], []
    for size, key in ((10, "small-sheet"), (1_000, "large-sheet")):
        rows = [
            customer(f"K{i:05d}", last_contact=dt.date(2026, 11, 1 + i % 5)) for i in range(size)
        ]
        rows.append(customer("DUE", last_contact=TODAY - dt.timedelta(days=2)))  # due tomorrow
        make_spreadsheet(sheets_api, service_account, rows, key=key)
        settings = {"workbook": key, **gsheets_settings(sheets_api, service_account)}
        before = sheets_api.count("/v4/")
        sync(Path("unused.xlsx"), TODAY, **settings)  # the first sync writes every cell
        first.append(sheets_api.count("/v4/") - before)
        before = sheets_api.count("/v4/")
        sync(Path("unused.xlsx"), TODAY + dt.timedelta(days=1), **settings)  # the daily case
        counts.append(sheets_api.count("/v4/") - before)
    assert first[1] > first[0]  # writing every row of 1,000 is split: the limit bites
    # metadata, batchGet; write-time batchGet, one batchUpdate; the read-back, and one
    # batchUpdate that deletes the pending record (docs/operations.md: every value on its row)
    assert counts[0] == counts[1] == 6


def test_a_429_storm_is_ridden_out_honouring_retry_after(sheets_api, service_account, monkeypatch):
    pauses = []
    monkeypatch.setattr("sheetsync.backends.gsheets.pause_for", pauses.append)
    make_spreadsheet(sheets_api, service_account, MIXED)
    sheets_api.fail_next(429, times=3, retry_after="7")
    sheets_api.fail_next(503, times=1)
    gsync(sheets_api, service_account)
    assert pauses[:3] == [7.0, 7.0, 7.0] and len(pauses) == 4
    assert sheet_results(sheets_api)["K1"]["status"] == "已逾期"


def test_giving_up_after_the_bound_writes_nothing(sheets_api, service_account, monkeypatch):
    from sheetsync.errors import BackendError

    monkeypatch.setattr("sheetsync.backends.gsheets.pause_for", lambda s: None)
    make_spreadsheet(sheets_api, service_account, MIXED)
    before = sheet_values(sheets_api, "客户跟进")
    sheets_api.before("values:batchGet", lambda book: sheets_api.fail_next(503, times=50), skip=1)
    with pytest.raises(
        BackendError,
        match=r"Google 表格一直失败\(HTTP 503\),试了 \d+ 次、共等了 90 秒:这次什么也没写",
    ) as error:
        gsync(sheets_api, service_account)
    assert sheet_values(sheets_api, "客户跟进") == before  # the batchUpdate is all or nothing
    tries = int(re.search(r"试了 (\d+) 次", str(error.value))[1])
    assert sheets_api.count(":batchUpdate") == 1 + tries  # the setup's, then each refused try


@pytest.fixture
def waits_logged():
    """The warnings the sync logs (attached to its logger: the CLI turns propagation off)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("sheetsync")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def refused(sheets_api) -> list[str]:
    """The API paths the fake answered with Google's quota error."""
    return [
        path for path, _, body in sheets_api.exchanges if body.get("error", {}).get("code") == 429
    ]


def quota_streak_at_write(sheets_api, service_account, seconds: float, monkeypatch) -> FakeClock:
    """A spreadsheet whose write Google refuses for `seconds` on a fake clock that only the
    sync's waits move (real gspread sessions recorded 429 streaks of 35 and 41 s)."""
    clock = FakeClock()
    monkeypatch.setattr("sheetsync.backends.gsheets.pause_for", clock.sleep)
    make_spreadsheet(sheets_api, service_account, MIXED)
    sheets_api.before(
        "values:batchGet", lambda book: sheets_api.quota_streak(seconds, clock), skip=1
    )
    return clock


def test_a_45_second_quota_streak_is_ridden_out_and_each_wait_logged(
    sheets_api, service_account, monkeypatch, waits_logged
):
    quota_streak_at_write(sheets_api, service_account, 45, monkeypatch)
    gsync(sheets_api, service_account)
    assert sheet_results(sheets_api) == _xlsx_results_for(MIXED)
    history = [row[0] for row in sheet_values(sheets_api, "阶段记录")[1:]]
    assert sorted(history) == sorted(c["customer_id"] for c in MIXED)  # appended once, not per try
    assert len(sheet_values(sheets_api, "同步日志")) == 1 + 1  # header, this run
    paths = refused(sheets_api)
    assert paths and all(path.endswith(":batchUpdate") for path in paths)
    messages = [r.getMessage() for r in waits_logged]
    assert len(messages) == len(paths)  # one warning per wait
    for number, message in enumerate(messages, start=1):
        assert re.fullmatch(
            rf"Google Sheets try {number} failed \(HTTP 429, over the quota: Write "
            rf"requests per minute per user\); waiting [\d.]+ s \([\d.]+ s waited so far\)",
            message,
        )


@pytest.mark.parametrize("luck", ["shortest", "longest"])
def test_a_full_minute_of_refused_reads_is_outlasted_whatever_the_jitter(
    sheets_api, service_account, monkeypatch, luck
):
    from sheetsync.backends import gsheets

    pick = {"shortest": lambda low, high: low, "longest": lambda low, high: high}[luck]
    monkeypatch.setattr(gsheets, "random", SimpleNamespace(uniform=pick))
    clock = FakeClock()
    monkeypatch.setattr(gsheets, "pause_for", clock.sleep)
    make_spreadsheet(sheets_api, service_account, MIXED)
    sheets_api.quota_streak(60, clock)
    gsync(sheets_api, service_account)
    assert sheet_results(sheets_api) == _xlsx_results_for(MIXED)
    assert refused(sheets_api)[0].endswith(KEY)  # the metadata read was refused first


def test_a_quota_streak_longer_than_the_budget_stops_cleanly_writing_nothing(
    tmp_path, sheets_api, service_account, monkeypatch
):
    from click.testing import CliRunner

    from sheetsync.ops.cli import main

    quota_streak_at_write(sheets_api, service_account, 10 * 60, monkeypatch)
    before = {s.title: s.grid() for s in sheets_api.books[KEY].sheets}
    config = tmp_path / "c.yaml"
    config.write_text(
        f"backend: gsheets\nworkbook: {KEY}\nemail: {{enabled: false}}\n"
        f"gsheets: {{credentials: '{service_account}', endpoint: '{sheets_api.url}'}}\n"
    )
    result = CliRunner().invoke(main, ["sync", "--config", str(config)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    tries = len(refused(sheets_api))
    assert (  # in the sheet's language
        f"Google 表格一直失败(HTTP 429, over the quota: Write requests per minute per user),"
        f"试了 {tries} 次、共等了 90 秒:这次什么也没写。请稍后再运行" in result.output
    )
    assert {s.title: s.grid() for s in sheets_api.books[KEY].sheets} == before


def test_a_person_sorting_and_inserting_during_the_sync_loses_nothing(sheets_api, service_account):
    make_spreadsheet(sheets_api, service_account, MIXED)

    def sort_and_insert(book):  # between the sync's read and its write
        sheet = book.by_title("客户跟进")
        grid = sheet.grid()
        body = sorted(grid[1:], key=lambda r: str(r[0]), reverse=True)
        new = [
            "K0",
            "刚插入的客户",
            "",
            "",
            "",
            "",
            "需求确认",
            "中",
            "初步确认",
            "2个月",
            "",
            "",
            "",
            "",
            "张伟",
        ]
        sheet.cells = {}
        for r, row in enumerate([grid[0], new, *body]):
            for c, v in enumerate(row):
                if v != "":
                    sheet.cells[(r, c)] = {"v": v}

    sheets_api.before("values:batchGet", sort_and_insert, skip=1)
    gsync(sheets_api, service_account)
    got = sheet_results(sheets_api)
    assert got["K0"] == {
        "grade": None,
        "classification": None,
        "health": None,
        "stage_since": None,
        "next_date": None,
        "task": None,
        "status": None,
        "check": None,
    }
    expected = _xlsx_results_for(MIXED)
    assert {k: v for k, v in got.items() if k != "K0"} == expected
    names = {row[0]: row[1] for row in sheet_values(sheets_api, "客户跟进")[1:]}
    assert names["K2"] == "K2科技有限公司" and names["K0"] == "刚插入的客户"


def _xlsx_results_for(customers, *later_days):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = make_workbook(Path(folder) / "b.xlsx", customers)
        sync(path)
        for day in later_days:
            sync(path, day)
        return results(path)


def test_text_never_becomes_a_formula_and_dates_are_date_cells(sheets_api, service_account):
    make_spreadsheet(sheets_api, service_account, MIXED)
    gsync(sheets_api, service_account)
    gsync(sheets_api, service_account, today=TODAY + dt.timedelta(days=3))
    book = sheets_api.books[KEY]
    cells = [c for s in book.sheets for c in s.cells.values()]
    assert not any("formula" in c for c in cells)
    assert any(
        c["v"] == '=HYPERLINK("http://x","点我")' and c["kind"] == "stringValue" for c in cells
    )
    followups = book.by_title("客户跟进")
    next_date = followups.cells[(1, 34)]  # K1's 下次跟进日期
    assert next_date["date"] and next_date["kind"] == "numberValue"


@pytest.mark.parametrize(
    "locale, said",
    [
        ("zh", '工作表"客户跟进"的"状态"列在同步期间被改名或删除了:什么也没写'),
        (
            "en",
            'the column "Status" was renamed or removed while the sync ran; nothing was written',
        ),
    ],
)
def test_a_renamed_header_is_refused_and_nothing_written(sheets_api, service_account, locale, said):
    """A header renamed while the run computes stops the write, said in the sheet's
    language (the backend, which knows no language, raises it in English)."""
    from sheetsync.errors import ConflictError

    make_spreadsheet(sheets_api, service_account, MIXED, locale=locale)
    title = "客户跟进" if locale == "zh" else "Follow-ups"

    def rename(book):
        book.by_title(title).cells[(0, 36)] = {"v": "状态(旧)"}

    sheets_api.before("values:batchGet", rename, skip=1)
    with pytest.raises(ConflictError, match=re.escape(said)):
        gsync(sheets_api, service_account)
    assert sheets_api.count(":batchUpdate") == 1


@pytest.mark.parametrize(
    "setup, message",
    [
        (
            "unshared",
            "is not shared with the service account sync@sheetsync-test.iam.gserviceaccount.com",
        ),
        ("missing", "no spreadsheet with key"),
        ("no-credentials", "needs a service-account key file"),
        ("bad-credentials", "is not a service-account key file"),
    ],
)
def test_access_problems_are_one_clear_line(tmp_path, sheets_api, service_account, setup, message):
    from click.testing import CliRunner

    from sheetsync.ops.cli import main

    make_spreadsheet(sheets_api, service_account, MIXED)
    sheets_api.books[KEY].shared = setup != "unshared"
    key = "no-such-key" if setup == "missing" else KEY
    credentials = {"no-credentials": "", "bad-credentials": str(tmp_path / "x.json")}.get(
        setup, str(service_account)
    )
    (tmp_path / "x.json").write_text('{"type": "authorized_user"}')
    config = tmp_path / "c.yaml"
    config.write_text(
        f"backend: gsheets\nworkbook: {key}\nemail: {{enabled: false}}\n"
        f"gsheets: {{credentials: '{credentials}', endpoint: '{sheets_api.url}'}}\n"
    )
    result = CliRunner().invoke(
        main, ["sync", "--config", str(config)], env={"GOOGLE_APPLICATION_CREDENTIALS": ""}
    )
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output and "PRIVATE KEY" not in result.output


def test_a_sheet_url_as_workbook_picks_the_google_backend(sheets_api, service_account):
    make_spreadsheet(sheets_api, service_account, MIXED)
    url = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0"
    sync(
        Path("unused.xlsx"),
        TODAY,
        workbook=url,
        gsheets={"credentials": str(service_account), "endpoint": sheets_api.url},
    )
    assert sheet_results(sheets_api)["K1"]["status"] == "已逾期"


def test_today_follows_the_spreadsheets_time_zone(sheets_api, service_account):
    make_spreadsheet(sheets_api, service_account, MIXED)
    sheets_api.books[
        KEY
    ].time_zone = "Pacific/Kiritimati"  # UTC+14: already tomorrow in most places
    report = sync(
        Path("unused.xlsx"),
        None,
        workbook=KEY,
        timezone="auto",
        **gsheets_settings(sheets_api, service_account),
    )
    from zoneinfo import ZoneInfo

    assert report.today == dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()


def test_init_sets_up_a_partly_filled_spreadsheet_without_touching_its_data(
    tmp_path, sheets_api, service_account
):
    from click.testing import CliRunner

    from sheetsync.ops.cli import main

    book = sheets_api.create("team-sheet", titles=("客户跟进",))
    followups = book.by_title("客户跟进")
    for c, v in enumerate(["客户编号", "客户名称", "负责人", "自己的列"]):
        followups.cells[(0, c)] = {"v": v}
    for c, v in enumerate(["K1", "甲公司", "张伟", "keep me"]):
        followups.cells[(1, c)] = {"v": v}
    config = tmp_path / "c.yaml"
    config.write_text(
        f"gsheets: {{credentials: '{service_account}', endpoint: '{sheets_api.url}'}}\n"
    )
    runner = CliRunner()
    result = runner.invoke(main, ["init", "--spreadsheet", "team-sheet", "--config", str(config)])
    assert result.exit_code == 0, result.output
    book = sheets_api.books["team-sheet"]
    assert [s.title for s in book.sheets] == ZH_TABS
    grid = book.by_title("客户跟进").grid()
    assert grid[1] == ["K1", "甲公司", "张伟", "keep me"]  # people's data untouched
    assert grid[0][:4] == ["客户编号", "客户名称", "负责人", "自己的列"] and "状态" in grid[0]
    assert book.by_title("分级标准").grid()[1][0] == "A"
    sheet = book.by_title("客户跟进")
    assert sheet.frozen_rows == 1
    lists = {
        v["range"]["startColumnIndex"]: [
            x["userEnteredValue"] for x in v["rule"]["condition"]["values"]
        ]
        for v in sheet.validations
    }
    assert ["高", "中", "低"] in lists.values() and ["A", "B", "C"] in lists.values()
    formulas = [
        r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in sheet.conditional
    ]
    status_letter = get_column_letter(grid[0].index("状态") + 1)
    assert sorted(formulas) == sorted(
        [f'=${status_letter}2="已逾期"', f'=${status_letter}2="今日跟进"']
    )
    (protection,) = sheet.protected
    assert protection["warningOnly"] is True
    assert sheets_api.count(":batchUpdate") == 1
    runner.invoke(main, ["init", "--spreadsheet", "team-sheet", "--config", str(config)])
    sheet = sheets_api.books["team-sheet"].by_title("客户跟进")
    assert (
        len(sheet.conditional) == 2 and len(sheet.protected) == 1
    )  # running it again adds nothing twice
    report = sync(
        Path("unused.xlsx"),
        TODAY,
        workbook="team-sheet",
        **gsheets_settings(sheets_api, service_account),
    )
    assert report.rows == 1


def test_doctor_checks_the_google_setup(tmp_path, sheets_api, service_account):
    from click.testing import CliRunner

    from sheetsync.ops.cli import main

    make_spreadsheet(sheets_api, service_account, MIXED)
    config = tmp_path / "c.yaml"
    good = (
        f"backend: gsheets\nworkbook: {KEY}\nemail: {{enabled: false}}\n"
        f"gsheets: {{credentials: '{service_account}', endpoint: '{sheets_api.url}'}}\n"
    )
    config.write_text(good)
    ok = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    assert ok.exit_code == 0, ok.output
    assert "service account sync@sheetsync-test.iam.gserviceaccount.com" in ok.output
    config.write_text(good.replace(str(service_account), str(tmp_path / "missing.json")))
    bad = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    assert bad.exit_code == 1 and "cannot read the service-account key file" in bad.output


def test_a_customer_deleted_during_the_sync_is_skipped(sheets_api, service_account):
    make_spreadsheet(sheets_api, service_account, MIXED)

    def delete_k2(book):
        sheet = book.by_title("客户跟进")
        grid = sheet.grid()
        kept = [row for row in grid if row[0] != "K2"]
        sheet.cells = {
            (r, c): {"v": v} for r, row in enumerate(kept) for c, v in enumerate(row) if v != ""
        }

    sheets_api.before("values:batchGet", delete_k2, skip=1)
    gsync(sheets_api, service_account)
    got = sheet_results(sheets_api)
    assert "K2" not in got and got["K3"]["status"] == "资料不全" and got["K1"]["status"] == "已逾期"


def test_the_fake_answers_with_the_real_apis_shapes(sheets_api, service_account):
    """Checked through the real gspread client: what the backend relies on."""
    from sheetsync.backends.gsheets import GSheetsBackend

    book = sheets_api.create("shapes", titles=("Sheet1", "客户 跟进"))
    book.by_title("Sheet1").cells[(0, 0)] = {"v": "a"}
    book.by_title("Sheet1").cells[(0, 3)] = {"v": 45422, "date": True}
    http = GSheetsBackend("shapes", str(service_account), sheets_api.url).http
    answer = http.values_batch_get(
        "shapes", ["Sheet1", "'客户 跟进'"], {"valueRenderOption": "UNFORMATTED_VALUE"}
    )
    first, second = answer["valueRanges"]
    assert first == {
        "range": "Sheet1!A1:Z1000",
        "majorDimension": "ROWS",
        "values": [["a", "", "", 45422]],
    }
    assert second == {
        "range": "'客户 跟进'!A1:Z1000",
        "majorDimension": "ROWS",
    }  # empty: no values key
    meta = http.fetch_sheet_metadata("shapes")
    assert meta["sheets"][0]["properties"]["gridProperties"] == {
        "rowCount": 1000,
        "columnCount": 26,
    }
    from gspread.exceptions import APIError

    with pytest.raises(APIError) as error:
        http.batch_update(
            "shapes",
            {
                "requests": [
                    {
                        "updateCells": {
                            "start": {"sheetId": 0, "rowIndex": 1000, "columnIndex": 0},
                            "rows": [{"values": [{"userEnteredValue": {"stringValue": "x"}}]}],
                            "fields": "userEnteredValue",
                        }
                    }
                ]
            },
        )
    assert error.value.response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "exceeds grid limits" in error.value.response.json()["error"]["message"]


def test_the_fakes_quota_refusal_is_googles_and_applies_nothing(sheets_api, service_account):
    """Shaped as in gspread's recorded sessions; a refused batchUpdate is not applied, which
    is what makes retrying it safe."""
    from gspread.exceptions import APIError
    from gspread.http_client import HTTPClient

    from sheetsync.backends.gsheets import GSheetsBackend

    sheets_api.create("quota")
    backend = GSheetsBackend("quota", str(service_account), sheets_api.url)
    plain = HTTPClient(backend.credentials, backend.http.session)  # no retries
    sheets_api.quota_streak(60, FakeClock())
    with pytest.raises(APIError) as error:
        plain.batch_update(
            "quota",
            {
                "requests": [
                    {
                        "updateCells": {
                            "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 0},
                            "rows": [{"values": [{"userEnteredValue": {"stringValue": "x"}}]}],
                            "fields": "userEnteredValue",
                        }
                    }
                ]
            },
        )
    answer = error.value.response
    assert answer.status_code == 429 and "Retry-After" not in answer.headers
    body = answer.json()["error"]
    assert body["status"] == "RESOURCE_EXHAUSTED" and "per minute per user" in body["message"]
    assert body["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    assert sheet_values(sheets_api, "Sheet1", key="quota") == []


def test_new_sync_columns_go_after_data_people_keep_without_a_header(sheets_api, service_account):
    """As in an .xlsx (test_sync_xlsx): a column people fill without a header is theirs, and
    the sync's columns are added after it, not over it."""
    book = sheets_api.create(KEY, titles=("客户跟进", "分级标准"))
    rows = {
        "客户跟进": [
            ["客户编号", "客户名称", "负责人", "上次跟进日期"],
            ["K1", "甲公司", "张伟", "2026/11/17", None, "no header, still mine"],
        ],
        "分级标准": [["等级", "跟进间隔(天)"], ["A", 2]],
    }
    for title, grid in rows.items():
        for r, row in enumerate(grid):
            for c, v in enumerate(row):
                if v is not None:
                    book.by_title(title).cells[(r, c)] = {"v": v}
    gsync(sheets_api, service_account)
    grid = sheet_values(sheets_api, "客户跟进")
    assert grid[1][5] == "no header, still mine" and grid[0][5] in ("", None)  # no header put
    assert grid[0][6] == "客户等级" and grid[1][6] == "A"  # over it: theirs stays theirs


def _cli_sync(tmp_path, sheets_api, service_account, extra: str = ""):
    from click.testing import CliRunner

    from sheetsync.ops.cli import main

    config = tmp_path / "c.yaml"
    config.write_text(
        f"backend: gsheets\nworkbook: {KEY}\nemail: {{enabled: false}}\n{extra}"
        f"gsheets: {{credentials: '{service_account}', endpoint: '{sheets_api.url}'}}\n"
    )
    return CliRunner().invoke(main, ["sync", "--config", str(config)])


ACCOUNT = "sync@sheetsync-test.iam.gserviceaccount.com"


@pytest.mark.parametrize(
    "refusal, said",
    [
        (
            "not shared",
            [
                f"表格 {KEY} 没有共享给服务账号 {ACCOUNT}",
                f"the spreadsheet {KEY} is not shared with the service account {ACCOUNT}: "
                "in Google Sheets, Share it with that address as Editor",
            ],
        ),
        (
            "API disabled",
            [
                "Google Cloud 项目 1071851248496 没有启用 Google Sheets API:请打开 "
                "https://console.developers.google.com/apis/api/sheets.googleapis.com/overview"
                "?project=1071851248496 点“启用”",
                "the Google Sheets API is not enabled in the service account's Google Cloud "
                "project 1071851248496: open https://console.developers.google.com/apis/api/"
                "sheets.googleapis.com/overview?project=1071851248496, click Enable",
            ],
        ),
    ],
)
def test_a_refused_read_says_which_refusal_and_what_to_do(
    tmp_path, sheets_api, service_account, refusal, said
):
    """Before the sheet is read its language is unknown: said in Chinese and in English."""
    from sheets_fake import NOT_SHARED, service_disabled

    make_spreadsheet(sheets_api, service_account, MIXED)
    sheets_api.answer_next(NOT_SHARED if refusal == "not shared" else service_disabled())
    result = _cli_sync(tmp_path, sheets_api, service_account)
    assert result.exit_code == 1 and "Traceback" not in result.output
    for sentence in said:
        assert sentence in " ".join(result.output.split("\n"))
    other = "not shared" if refusal != "not shared" else "not enabled"
    assert other not in result.output


@pytest.mark.parametrize("status", [400, 403])
@pytest.mark.parametrize(
    "locale, said",
    [
        ("zh", f"表格 {KEY} 里有受保护的范围拒绝了同步的写入(服务账号 {ACCOUNT} 不能编辑它)"),
        ("en", f"a protected range in the spreadsheet {KEY} refused the sync's write"),
    ],
)
def test_a_protected_range_refusing_the_write_is_not_taken_for_an_unshared_sheet(
    tmp_path, sheets_api, service_account, locale, said, status
):
    """Google answers 400 with its "protected cell or object" message; whatever the
    status, the body says what it is, in the sheet's language, with what to do."""
    from sheets_fake import PROTECTED

    make_spreadsheet(sheets_api, service_account, MIXED, locale=locale)
    refused = dict(PROTECTED, code=status)
    sheets_api.before("values:batchGet", lambda book: sheets_api.answer_next(refused), skip=1)
    result = _cli_sync(tmp_path, sheets_api, service_account)
    assert result.exit_code == 1 and "Traceback" not in result.output
    output = " ".join(result.output.split("\n"))
    assert said in output and ("Show a warning" in output or "显示警告" in output)
    assert "not shared" not in output and "没有共享" not in output


def _impatient(sheets_api, service_account, **more) -> dict:
    """Settings whose requests give up after 0.5 s without an answer (10 s connect)."""
    settings = gsheets_settings(sheets_api, service_account)
    settings["gsheets"].update(read_timeout=0.5, **more)
    return settings


def test_a_request_google_never_answers_is_given_up_and_retried(
    sheets_api, service_account, monkeypatch, waits_logged
):
    """One read left unanswered: the sync does not wait for ever, it retries and completes."""
    monkeypatch.setattr("sheetsync.backends.gsheets.pause_for", lambda s: None)
    make_spreadsheet(sheets_api, service_account, MIXED)
    sheets_api.hang_next("before")  # the first metadata read
    sync(Path("unused.xlsx"), TODAY, workbook=KEY, **_impatient(sheets_api, service_account))
    assert sheet_results(sheets_api) == _xlsx_results_for(MIXED)
    (waited,) = [r.getMessage() for r in waits_logged]
    assert "try 1 failed (no answer within 0.5 s)" in waited


def test_a_google_that_never_answers_stops_the_run_cleanly(
    sheets_api, service_account, monkeypatch
):
    from sheetsync.errors import BackendError

    monkeypatch.setattr("sheetsync.backends.gsheets.pause_for", lambda s: None)
    make_spreadsheet(sheets_api, service_account, MIXED)
    sheets_api.hang_next("before", times=100)
    with pytest.raises(
        BackendError, match=r"kept failing \(no answer within 0.5 s\) after 3 tries"
    ):
        sync(
            Path("unused.xlsx"),
            TODAY,
            workbook=KEY,
            **_impatient(sheets_api, service_account, retries=3),
        )


@pytest.mark.parametrize("tab_added", [False, True], ids=["daily", "tab added"])
def test_a_write_google_applied_but_never_answered_is_not_applied_twice(
    sheets_api, service_account, monkeypatch, tab_added
):
    """The write's answer is lost, the write retried: the sync-log row is there once, and a
    tab the write adds is taken as made (not "同步日志 already exists")."""
    monkeypatch.setattr("sheetsync.backends.gsheets.pause_for", lambda s: None)
    make_spreadsheet(sheets_api, service_account, MIXED)
    settings = {"workbook": KEY, **_impatient(sheets_api, service_account)}
    book = sheets_api.books[KEY]
    if tab_added:
        book.sheets = [s for s in book.sheets if s.title != "同步日志"]
    else:
        sync(Path("unused.xlsx"), TODAY, **settings)  # the daily run is the next one
    sheets_api.before("values:batchGet", lambda book: sheets_api.hang_next("after"), skip=1)
    sync(Path("unused.xlsx"), TODAY + dt.timedelta(days=1), **settings)
    log = sheet_values(sheets_api, "同步日志")
    assert len(log) == 1 + (1 if tab_added else 2)  # header, one row a run
    assert len({tuple(row) for row in log[1:]}) == len(log) - 1  # no row twice (two runs can
    # share a second of 运行时间: each row is told by all its cells)
    assert sheet_results(sheets_api)["K1"]["status"] == "已逾期"
    # the setup's (and the first sync's write and its record's deletion), then the write twice
    # and the deletion of its record
    assert sheets_api.count(":batchUpdate") == (1 if tab_added else 3) + 3


@pytest.mark.slow  # 300 customers cut into 30 kB requests, two syncs and their .xlsx twin
def test_every_request_stays_under_the_limit_as_sent(sheets_api, service_account, monkeypatch):
    """Measured as sent (Chinese escaped to \\uXXXX, six bytes each), a first sync's large
    updates cut into pieces and appended rows too: no body passes the limit, scaled down
    here with Google's hard limit (10 MiB against 2 MB) so that 300 customers show it."""
    monkeypatch.setattr("sheetsync.backends.gsheets_requests.MAX_PAYLOAD", 30_000)
    sheets_api.max_body = 52_000
    name = "上海某某国际贸易有限公司华东区分公司"
    customers = [
        customer(f"K{i:04d}", customer=f"{name}{i}", last_contact=dt.date(2026, 11, 1 + i % 9))
        for i in range(300)
    ]
    make_spreadsheet(sheets_api, service_account, customers)
    gsync(sheets_api, service_account)
    gsync(sheets_api, service_account, today=TODAY + dt.timedelta(days=1))
    bodies = [
        size - len(path) for _, path, size in sheets_api.requests if path.endswith(":batchUpdate")
    ]
    assert len(bodies) > 10 and max(bodies) <= 30_000
    assert sheet_results(sheets_api) == _xlsx_results_for(customers, TODAY + dt.timedelta(days=1))
    assert len(sheet_values(sheets_api, "同步日志")) == 3


@pytest.mark.slow  # 300 customers in 30 kB requests, on two spreadsheets
def test_a_first_sync_failing_halfway_says_what_it_wrote_and_the_next_run_finishes(
    sheets_api, service_account, monkeypatch
):
    """A large first sync is many writes: one failing after two says so (not "nothing was
    written"), in the sheet's language, and the next run writes the rest."""
    from sheetsync.errors import BackendError

    monkeypatch.setattr("sheetsync.backends.gsheets_requests.MAX_PAYLOAD", 30_000)
    monkeypatch.setattr("sheetsync.backends.gsheets.pause_for", lambda s: None)
    customers = [
        customer(f"K{i:04d}", customer=f"客户{i}", last_contact=dt.date(2026, 11, 1 + i % 9))
        for i in range(300)
    ]
    make_spreadsheet(sheets_api, service_account, customers)
    sheets_api.before(":batchUpdate", lambda book: sheets_api.fail_next(503, times=50), skip=1)
    with pytest.raises(BackendError) as error:
        gsync(sheets_api, service_account)
    total = int(re.search(r"已写入 (\d+) 批中的 2 批,下次运行会接着写完", str(error.value))[1])
    assert total > 2 and "Google 表格一直失败(HTTP 503)" in str(error.value)
    assert "什么也没写" not in str(error.value)
    sheets_api.failures.clear()
    gsync(sheets_api, service_account)
    assert sheet_results(sheets_api) == _xlsx_results_for(customers)
    make_spreadsheet(sheets_api, service_account, customers, key="uninterrupted")
    settings = gsheets_settings(sheets_api, service_account)
    sync(Path("unused.xlsx"), TODAY, workbook="uninterrupted", **settings)
    for tab in sheets_api.books[KEY].sheets:  # every tab as one run would leave it
        if tab.title != "同步日志":  # (its rows carry each run's time)
            assert tab.grid() == sheet_values(sheets_api, tab.title, "uninterrupted"), tab.title


def test_a_sheet_past_googles_cell_limit_is_told_so_and_what_to_do(
    tmp_path, sheets_api, service_account
):
    """Google counts every tab's rows x columns; past 10 million it refuses the write whole
    (scaled down here to 150,000, so that 1,200 customers pass it)."""
    customers = [customer(f"K{i:04d}") for i in range(1_200)]
    make_spreadsheet(sheets_api, service_account, customers)
    sheets_api.max_cells = 150_000
    result = _cli_sync(tmp_path, sheets_api, service_account)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"表格 {KEY} 会超过 Google 每个表格 150,000 个单元格的上限" in result.output
    assert "跟进历史" in result.output


def test_the_grids_grow_only_as_far_as_the_rows_need(sheets_api, service_account):
    """Google counts every cell of every grid against its 10 million: a tab the sync fills is
    grown to its rows, not twice that, and a long or hidden tab it makes gets the columns it
    needs, not Google's 26."""
    customers = [customer(f"K{i:04d}") for i in range(1_500)]
    make_spreadsheet(sheets_api, service_account, customers)
    gsync(sheets_api, service_account)
    for tab in sheets_api.books[KEY].sheets:
        assert tab.rows == max(1000, len(tab.grid())), tab.title
    widths = {tab.title: tab.cols for tab in sheets_api.books[KEY].sheets}
    assert widths["同步快照"] == len(MEMORY.columns) and widths["跟进历史"] == len(HISTORY.columns)
    assert widths["客户跟进"] == len(FOLLOWUPS.columns)  # each column the sheet has, no more
