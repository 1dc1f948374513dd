"""backend: feishu against the local Feishu Sheets fake (tests/feishu_sheets_fake.py): the
fake answers as the published reference says; a write Feishu cannot make all or nothing is
still never half-done without saying so; a person sorting, inserting or deleting rows while
the sync writes puts no value on the wrong customer and loses no edit; refusals say what to
do in Feishu's admin console, with Feishu's code; each run counts its API calls."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import (
    FEISHU_TOKEN,
    TODAY,
    customer,
    feishu_results,
    feishu_settings,
    feishu_values,
    make_feishu_sheet,
    make_workbook,
    results,
    sync,
)

from sheetsync.backends import feishu as feishu_backend
from sheetsync.errors import BackendError
from sheetsync.feishu_api import FeishuClient, FeishuCredentials, FeishuError
from sheetsync.ops.cli import main

D = dt.date
URL = f"https://acme.feishu.cn/sheets/{FEISHU_TOKEN}?sheet=x1"
CUSTOMERS = [
    customer("K1", last_contact=D(2026, 11, 10)),
    customer("K2", last_contact=D(2026, 11, 15)),
    customer("K3", last_contact=D(2026, 11, 17), budget="明确", intent="高", decision_cycle="20天"),
    customer("K4", paused_until=D(2026, 12, 1)),
    customer("K5", last_contact="2026-11-31"),
    customer("K6", owner=None),
    customer("K7", decision_cycle="91天"),
    customer("K8", last_contact=D(2026, 11, 16)),
]
FOLLOWUPS = "客户跟进"


def client(fake) -> FeishuClient:
    return FeishuClient(FeishuCredentials("cli_test", "s3cret"), fake.url, max_wait=5)


def base(path: str = "") -> str:
    return f"/open-apis/sheets/v2/spreadsheets/{FEISHU_TOKEN}{path}"


def fsync(api, today=TODAY, **kwargs):
    return sync(Path("unused.xlsx"), today, workbook=URL, **feishu_settings(api), **kwargs)


def reference(tmp_path, customers=CUSTOMERS) -> dict:
    """The same customers synced as an .xlsx: what every backend must write."""
    path = make_workbook(tmp_path / "reference.xlsx", customers)
    sync(path, TODAY)
    return results(path)


# --- the fake, as the reference describes Feishu -----------------------------------------
def test_the_fake_reads_dates_as_serial_numbers_unless_asked_for_text(feishu_api):
    book = feishu_api.create(FEISHU_TOKEN)
    sheet = book.sheets[0]
    feishu_api.person_type(FEISHU_TOKEN, sheet.title, "B2", D(2026, 11, 18))
    feishu_api.person_type(FEISHU_TOKEN, sheet.title, "A1", "客户")
    ranges = f"{sheet.sheet_id}!A1:C3"
    read = client(feishu_api).call("GET", base("/values_batch_get"), params={"ranges": ranges})
    (found,) = read["valueRanges"]
    assert found["values"] == [["客户", None], [None, 46344]]  # to the data; empty is null
    assert found["range"] == f"{sheet.sheet_id}!A1:B2"
    params = {"ranges": ranges, "dateTimeRenderOption": "FormattedString"}
    shown = client(feishu_api).call("GET", base("/values_batch_get"), params=params)
    assert shown["valueRanges"][0]["values"][1] == [None, "2026/11/18"]


def test_the_fake_refuses_what_the_reference_limits(feishu_api):
    book = feishu_api.create(FEISHU_TOKEN)
    sheet_id = book.sheets[0].sheet_id
    app = client(feishu_api)
    app.call(  # grown first: a write outside the grid is refused
        "POST",
        base("/dimension_range"),
        {"dimension": {"sheetId": sheet_id, "majorDimension": "ROWS", "length": 5000}},
    )

    def write(range_, values):
        body = {"valueRanges": [{"range": f"{sheet_id}!{range_}", "values": values}]}
        with pytest.raises(FeishuError) as refused:
            app.call("POST", base("/values_batch_update"), body)
        return refused.value.code

    assert write("A1:A5001", [["x"]] * 5001) == 90226  # 5,000 rows per write
    assert write("A1:A1", [["x" * 50_001]]) == 90222  # 50,000 characters per cell
    assert write("A5300:A5300", [["x"]]) == 90202  # past the grid
    big = [["y" * 30_000] * 20 for _ in range(20)]  # 12 MB to read back
    app.call(
        "POST",
        base("/values_batch_update"),
        {"valueRanges": [{"range": f"{sheet_id}!A1:T20", "values": big}]},
    )
    with pytest.raises(FeishuError) as refused:
        app.call("GET", base("/values_batch_get"), params={"ranges": sheet_id})
    assert refused.value.code == 90221  # 10 MB per read


def test_a_read_too_large_for_one_answer_is_asked_in_parts(feishu_api):
    make_feishu_sheet(feishu_api, CUSTOMERS)
    sheet = feishu_api.books[FEISHU_TOKEN].by_title("任务记录")
    for r in range(1, 40):  # a long log: 40 rows x 10 cells of 30,000 characters
        for c in range(10):
            sheet.cells[(r, c)] = "记" * 30_000
    grids = feishu_backend.FeishuBackend(URL, client(feishu_api)).read()
    assert len(grids["任务记录"]) == 40 and grids["任务记录"][39][9] == "记" * 30_000


# --- the same rules, the same cells ---------------------------------------------------------
def test_a_first_sync_writes_what_the_xlsx_backend_writes(feishu_api, tmp_path):
    make_feishu_sheet(feishu_api, CUSTOMERS)
    fsync(feishu_api)
    assert feishu_results(feishu_api) == reference(tmp_path)
    assert not list(Path.cwd().glob(".sheetsync-*.writes.json"))  # nothing left half-done


def test_a_link_or_mention_in_a_cell_reads_as_its_text(feishu_api):
    make_feishu_sheet(feishu_api, CUSTOMERS)
    mention = [{"type": "mention", "text": "张伟", "mentionType": 0, "token": "ou_x"}]
    feishu_api.person_type(FEISHU_TOKEN, FOLLOWUPS, "O7", mention)  # K6's 负责人
    fsync(feishu_api)
    assert feishu_results(feishu_api)["K6"]["status"] != "资料不全"
    assert feishu_values(feishu_api, FOLLOWUPS)[6][14] == mention  # never rewritten


def test_dates_are_written_as_dates(feishu_api):
    make_feishu_sheet(feishu_api, CUSTOMERS)
    fsync(feishu_api)
    sheet = feishu_api.books[FEISHU_TOKEN].by_title(FOLLOWUPS)
    column = feishu_values(feishu_api, FOLLOWUPS)[0].index("下次跟进日期")
    assert sheet.is_date(1, column)  # a number shown yyyy/MM/dd: sorts and filters as a date


# --- safe without an all-or-nothing write ---------------------------------------------------
def test_a_sort_while_the_sync_writes_puts_no_value_on_the_wrong_customer(feishu_api, tmp_path):
    make_feishu_sheet(feishu_api, CUSTOMERS)

    def sort(book):  # another user sorts by 客户名称, Z to A, between the sync's batches
        feishu_api.person_sort(FEISHU_TOKEN, FOLLOWUPS, 2, desc=True)

    feishu_api.before("values_batch_update", sort)
    report = fsync(feishu_api)
    assert feishu_results(feishu_api) == reference(tmp_path)
    assert [r[0] for r in feishu_values(feishu_api, FOLLOWUPS)[1:]] == [
        f"K{i}" for i in range(8, 0, -1)
    ]  # the sort stays
    assert any("按客户编号重新写到正确的行" in n for n in report.notes)


def test_rows_inserted_deleted_and_typed_while_the_sync_writes_lose_nothing(feishu_api, tmp_path):
    make_feishu_sheet(feishu_api, CUSTOMERS)

    def people_at_work(book):
        feishu_api.person_delete_rows(FEISHU_TOKEN, FOLLOWUPS, 3)  # K2 gone
        feishu_api.person_insert_rows(FEISHU_TOKEN, FOLLOWUPS, 2, 2)  # two rows on top
        feishu_api.person_type(FEISHU_TOKEN, FOLLOWUPS, "A2", "K0")
        feishu_api.person_type(FEISHU_TOKEN, FOLLOWUPS, "B2", "刚插入的客户")
        feishu_api.person_type(FEISHU_TOKEN, FOLLOWUPS, "M5", "客户说下周再联系")  # K3 摘要

    feishu_api.before("values_batch_update", people_at_work)
    fsync(feishu_api)
    got = feishu_results(feishu_api)
    expected = {k: v for k, v in reference(tmp_path).items() if k != "K2"}
    assert got.pop("K0") == dict.fromkeys(expected["K1"])  # a new row: the next run's
    got.pop("", None)  # the other inserted row, empty
    assert got == expected
    grid = feishu_values(feishu_api, FOLLOWUPS)
    assert [r for r in grid if r and r[0] == "K3"][0][12] == "客户说下周再联系"


def test_a_write_cut_off_says_what_was_written_and_the_next_run_finishes(
    feishu_api, tmp_path, monkeypatch
):
    make_feishu_sheet(feishu_api, CUSTOMERS)
    monkeypatch.setattr(feishu_backend, "MAX_ROWS", 3)  # many small batches
    refusal = {"code": 90203, "msg": "Fail"}
    feishu_api.refuse("values_batch_update", 400, refusal, skip=1)
    with pytest.raises(BackendError) as cut:
        fsync(feishu_api)
    message = str(cut.value)
    assert "批中的" in message and "下次运行会接着写完" in message and "90203" in message
    journal = json.loads(Path(f".sheetsync-{FEISHU_TOKEN}.writes.json").read_text())
    assert 0 < journal["done"] < journal["total"]
    assert f"已写入 {journal['total']} 批中的 {journal['done']} 批" in message
    report = fsync(feishu_api)
    assert feishu_results(feishu_api) == reference(tmp_path)
    said = f"上次同步只写入了 {journal['total']} 批中的 {journal['done']} 批,本次已接着写完"
    assert said in report.notes
    assert not Path(f".sheetsync-{FEISHU_TOKEN}.writes.json").exists()


def test_rate_limits_are_waited_out(feishu_api, tmp_path, monkeypatch):
    from sheetsync import feishu_api as api

    waits = []
    monkeypatch.setattr(api, "pause_for", waits.append)
    make_feishu_sheet(feishu_api, CUSTOMERS)
    feishu_api.fake.rate_limit(3, reset=1)
    fsync(feishu_api)
    assert waits == [1, 1, 1]  # as x-ogw-ratelimit-reset asked
    assert feishu_results(feishu_api) == reference(tmp_path)


def test_a_write_feishu_made_but_did_not_answer_is_not_made_twice(feishu_api, tmp_path):
    make_feishu_sheet(feishu_api, CUSTOMERS)
    book = feishu_api.books[FEISHU_TOKEN]
    book.sheets.remove(book.by_title("同步日志"))  # the first sync adds it (and 汇总, ...)
    feishu_api.lose_answer("sheets_batch_update")  # the tabs made, the answer lost: retried
    feishu_api.lose_answer("values_batch_update")  # the values written, the answer lost
    fsync(feishu_api)
    titles = [s.title for s in book.sheets]
    assert titles.count("同步日志") == 1 and titles.count("汇总") == 1
    assert feishu_results(feishu_api) == reference(tmp_path)
    assert len(feishu_values(feishu_api, "同步日志")) == 2  # the header and one run's row


# --- errors in Feishu's terms -------------------------------------------------------------
def cli_sync(api, tmp_path, *args):
    config = tmp_path / "c.yaml"
    config.write_text(
        f"backend: feishu\nworkbook: '{URL}'\nemail: {{enabled: false}}\n"
        f"feishu: {{base_url: '{api.url}', max_wait: 1}}\n"
    )
    return CliRunner().invoke(main, [*args, "--config", str(config)])


@pytest.mark.parametrize(
    "break_it, code, words",
    [
        (lambda api, mp: api.books[FEISHU_TOKEN].shared.clear(), 1310213, "分享"),
        (lambda api, mp: api.scopes.update(cli_test=set()), 99991672, "/app/cli_test/auth"),
        (
            lambda api, mp: mp.setenv("SHEETSYNC_FEISHU_APP_SECRET", "not-the-secret-42"),
            10014,
            "凭证与基础信息",
        ),
        (lambda api, mp: setattr(api.books[FEISHU_TOKEN], "deleted", True), 1310214, "回收站"),
    ],
    ids=["not shared", "no scope", "wrong secret", "deleted"],
)
def test_each_refusal_is_one_line_saying_what_to_do(
    feishu_api, tmp_path, monkeypatch, break_it, code, words
):
    make_feishu_sheet(feishu_api, CUSTOMERS)
    break_it(feishu_api, monkeypatch)
    result = cli_sync(feishu_api, tmp_path, "sync")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"错误码 {code}" in result.output and words in result.output
    assert "s3cret" not in result.output and "not-the-secret-42" not in result.output
    said = [line for line in result.output.splitlines() if f"错误码 {code}" in line]
    assert len(said) == 1  # one line (and its English one: the sheet's language is not known)


def test_a_tab_deleted_while_the_sync_writes_is_said_so(feishu_api, tmp_path):
    make_feishu_sheet(feishu_api, CUSTOMERS)

    def delete_tab(book):
        book.sheets.remove(book.by_title(FOLLOWUPS))

    feishu_api.before("values_batch_update", delete_tab)
    result = cli_sync(feishu_api, tmp_path, "sync")
    assert result.exit_code == 1 and "错误码 90215" in result.output
    assert "在同步时被删除了" in result.output


# --- quota ------------------------------------------------------------------------------------
def test_each_run_records_its_api_calls_in_the_sync_log(feishu_api):
    make_feishu_sheet(feishu_api, CUSTOMERS)
    fsync(feishu_api)
    before = feishu_api.fake.calls
    fsync(feishu_api)  # the next day's run with nothing new: a handful of calls
    made = feishu_api.fake.calls - before
    last = feishu_values(feishu_api, "同步日志")[-1]
    assert f"本次飞书 API 调用约 {made} 次" in last[8]
    assert made <= 7


# --- the commands ---------------------------------------------------------------------------
def config_file(api, tmp_path, extra: str = "") -> str:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"backend: feishu\nworkbook: '{URL}'\nemail: {{enabled: false}}\n"
        f"feishu: {{base_url: '{api.url}', max_wait: 1{extra}}}\n"
    )
    return str(config)


def test_init_validate_sync_adopt_remind_serve_and_doctor_work_on_a_feishu_sheet(
    feishu_api, tmp_path
):
    feishu_api.create(FEISHU_TOKEN)  # a new, empty Feishu sheet shared with the app
    config = config_file(feishu_api, tmp_path)
    runner = CliRunner()
    made = runner.invoke(main, ["init", "--spreadsheet", URL, "--config", config])
    assert made.exit_code == 0, made.output
    titles = [s.title for s in feishu_api.books[FEISHU_TOKEN].sheets]
    assert {"客户跟进", "分级标准", "团队", "同步日志"} <= set(titles)
    commands = (["validate"], ["sync"], ["adopt"], ["adopt", "--apply"], ["remind"])
    for command in (*commands, ["serve", "--once"]):
        result = runner.invoke(main, [*command, "--config", config])
        assert result.exit_code == 0, (command, result.output)
    checks = runner.invoke(main, ["doctor", "--config", config, "--events-every", "60"])
    assert "[ok  ] " in checks.output and "the Feishu app's token was fetched" in checks.output
    assert "Feishu API quota: about" in checks.output and "of the plan's 10,000" in checks.output


def test_doctor_counts_the_apps_private_messages_against_the_quota(feishu_api, tmp_path):
    """Each private message from the app is a call of the same monthly quota: a team that
    turns on channels.feishu_app sees the month's estimate grow by a month of digests and
    escalations, not the sheet's calls alone."""
    make_feishu_sheet(feishu_api, CUSTOMERS)
    plain = config_file(feishu_api, tmp_path)
    app = tmp_path / "app.yaml"
    app.write_text(
        Path(plain).read_text(encoding="utf-8") + "channels: {enabled: true, feishu_app: true}\n",
        encoding="utf-8",
    )

    def month(config: str) -> tuple[int, str]:
        out = CliRunner().invoke(main, ["doctor", "--config", config, "--events-every", "60"])
        line = next(x for x in out.output.splitlines() if "Feishu API quota" in x)
        return int(re.search(r"about ([\d,]+) API calls", line)[1].replace(",", "")), line

    without, _ = month(plain)
    with_app, line = month(str(app))
    team = feishu_values(feishu_api, "团队")
    members = sum(1 for row in team[1:] if row and str(row[0] or "").strip())
    assert members and with_app - without >= 31 * members
    assert "private messages a day" in line


def test_doctor_warns_before_the_schedule_would_exhaust_the_quota(feishu_api, tmp_path):
    make_feishu_sheet(feishu_api, CUSTOMERS)
    config = config_file(feishu_api, tmp_path, ", monthly_quota: 5000")
    hourly = CliRunner().invoke(main, ["doctor", "--config", config, "--events-every", "60"])
    line = next(x for x in hourly.output.splitlines() if "Feishu API quota" in x)
    assert line.startswith("[ok  ]") and "a run" in line
    often = CliRunner().invoke(main, ["doctor", "--config", config, "--events-every", "15"])
    line = next(x for x in often.output.splitlines() if "Feishu API quota" in x)
    assert line.startswith("[FAIL]") and "the schedule would exhaust it" in line
    assert "fix: serve --events-every 60" in often.output
    assert often.exit_code == 1
