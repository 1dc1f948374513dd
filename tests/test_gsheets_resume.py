"""A Google first sync is many batchUpdates (10,000 customers: ~26). Stopped part way (a
failure, a killed process), the next run finishes it: the same cells and layouts in the end as
one uninterrupted first sync, nothing of the sync's taken for a hand edit, no row twice, and
the run says what the stopped one had written. On the Sheets fake through real gspread, the
2 MB request limit scaled down (30 kB) so that 120 customers take ~24 batchUpdates."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import KEY, TODAY, gsheets_settings, sync
from sheets_fake import FakeSheets

from sheetsync.backends.gsheets import GSheetsBackend
from sheetsync.ops.bench import bench_customers
from sheetsync.ops.demo import TEAM
from sheetsync.workbook.changes import Changeset
from sheetsync.workbook.schema import FOLLOWUPS, MEMORY
from sheetsync.workbook.template import new_workbook

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 30_000  # MAX_PAYLOAD, scaled down with the rows
CUSTOMERS = bench_customers(120)  # the demo's customers: grades, stages, notes, owners vary
# A real `run.py sync` process, the request limit scaled down as in-process tests do.
CLI = (
    "import sys; sys.argv[0] = 'run.py'; "
    f"import sheetsync.backends.gsheets_requests as r; r.MAX_PAYLOAD = {LIMIT}; "
    "from sheetsync.ops.cli import main; main()"
)


@pytest.fixture(autouse=True)
def small_requests(monkeypatch):
    monkeypatch.setattr("sheetsync.backends.gsheets_requests.MAX_PAYLOAD", LIMIT)
    monkeypatch.setattr("sheetsync.backends.gsheets.pause_for", lambda s: None)


def spreadsheet(fake: FakeSheets, account: Path, key: str = KEY) -> None:
    """What `init` makes, with CUSTOMERS in the follow-up tab."""
    fake.create(key)
    backend = GSheetsBackend(key, str(account), fake.url)
    backend.read()
    content = new_workbook("zh", TEAM, CUSTOMERS, work_first=False)
    hidden = {t.title for t in content.tabs if t.hidden}
    backend.write(Changeset(replace={t.title: t.rows for t in content.tabs}, hidden=hidden))


def first_sync(fake: FakeSheets, account: Path, key: str = KEY, today=TODAY):
    return sync(Path("unused.xlsx"), today, workbook=key, **gsheets_settings(fake, account))


def tabs(fake: FakeSheets, key: str = KEY) -> dict[str, tuple]:
    """Every tab as people see it: its cells, and its frozen rows, filter, widths, grid and
    charts (a tab made without its layout shows no frozen header and no filter)."""
    return {
        s.title: (
            s.grid(),
            s.frozen_rows,
            s.basic_filter,
            s.widths,
            (s.rows, s.cols, s.hidden),
            [c["spec"] for c in s.charts],
        )
        for s in fake.books[key].sheets
    }


def the_same(resumed: dict, uninterrupted: dict) -> None:
    assert list(resumed) == list(uninterrupted)  # the same tabs, in the same order
    for title, seen in resumed.items():
        if title == "同步日志":  # its row carries the run's time: one row, the finishing run's
            assert len(seen[0]) == 2 and seen[1:] == uninterrupted[title][1:]
        else:
            assert seen == uninterrupted[title], title


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, private_key_pem):
    """One uninterrupted first sync of the same sheet, on another fake: its tabs, how many
    batchUpdates it took and which of them wrote 同步快照 rows (the memory hand edits are
    found with). Once for the module: every test compares with it."""
    fake = FakeSheets().start()
    try:
        account = tmp_path_factory.mktemp("uninterrupted") / "account.json"
        info = {"type": "service_account", "private_key": private_key_pem}
        info.update(client_email="sync@x.iam.gserviceaccount.com", private_key_id="k")
        account.write_text(json.dumps({**info, "token_uri": f"{fake.url}/token"}))
        with pytest.MonkeyPatch.context() as patch:  # the module's scaled-down limit
            patch.setattr("sheetsync.backends.gsheets_requests.MAX_PAYLOAD", LIMIT)
            yield _uninterrupted(fake, account)
    finally:
        fake.stop()


def _uninterrupted(fake: FakeSheets, account: Path) -> tuple[dict, int, list[int]]:
    spreadsheet(fake, account)
    before = len(fake.exchanges)
    first_sync(fake, account)
    sent = [  # the write's own batchUpdates, each stamped with its progress (not the check's)
        s
        for p, s, _ in fake.exchanges[before:]
        if p.endswith(":batchUpdate")
        and any("DeveloperMetadata" in k for r in s["requests"] for k in r)
    ]
    memory = fake.books[KEY].by_title(MEMORY.zh).sheet_id
    writes_memory = [
        i + 1
        for i, body in enumerate(sent)
        if any(
            r.get("updateCells", {}).get("start", {}).get("sheetId") == memory
            for r in body["requests"]
        )
    ]
    return tabs(fake), len(sent), writes_memory


def stop_after(fake: FakeSheets, written: int) -> None:
    """The write's batchUpdate `written` + 1 (and its retries) refused: `written` applied."""
    fake.before(":batchUpdate", lambda book: fake.fail_next(503, times=50), skip=written - 1)


STOPS = {  # where a first sync stops: after which of its batchUpdates
    "new tabs added, nothing in them": lambda total, memory: [1],
    # its rows part there: stopped after its first batchUpdate and after a later one
    "同步快照 part written": lambda total, memory: sorted({memory[0], memory[-2]}),
    "all but the last": lambda total, memory: [total - 1],
}


@pytest.mark.parametrize("where", STOPS)
def test_a_first_sync_stopped_part_way_is_finished_by_the_next_run(
    sheets_api, service_account, uninterrupted, where
):
    from sheetsync.errors import BackendError

    want, total, writes_memory = uninterrupted
    assert (
        total > 10 and len(writes_memory) >= 2
    )  # the limit bites: many writes, 同步快照 in several
    for written in STOPS[where](total, writes_memory):
        sheets_api.books.clear()
        sheets_api.failures.clear()
        spreadsheet(sheets_api, service_account)
        stop_after(sheets_api, written)
        with pytest.raises(BackendError) as stopped:
            first_sync(sheets_api, service_account)
        assert f"已写入 {total} 批中的 {written} 批,下次运行会接着写完" in str(stopped.value)
        sheets_api.failures.clear()
        report = first_sync(sheets_api, service_account)
        assert any(
            f"写入 {total} 批中的 {written} 批后停了,这次已接着写完" in n for n in report.notes
        ), written
        the_same(tabs(sheets_api), want)  # no hand edit seen, no row twice, every tab laid out
        assert "developerMetadata" not in sheets_api.metadata(sheets_api.books[KEY])


def test_a_first_sync_finished_a_day_later_takes_none_of_its_own_cells_for_hand_edits(
    sheets_api, service_account, uninterrupted
):
    """Stopped inside 同步快照 and finished the next day: what it had written is the sync's
    (no 校验提示 about a hand edit, no grade or date pinned), and no log row is there twice."""
    from sheetsync.errors import BackendError

    _, total, writes_memory = uninterrupted
    spreadsheet(sheets_api, service_account)
    stop_after(sheets_api, writes_memory[0])  # 同步快照 part written
    with pytest.raises(BackendError):
        first_sync(sheets_api, service_account)
    sheets_api.failures.clear()
    first_sync(sheets_api, service_account, today=TODAY + dt.timedelta(days=1))
    grid = tabs(sheets_api)[FOLLOWUPS.zh][0]
    check = grid[0].index(FOLLOWUPS.column("check").zh)
    assert not [r for r in grid[1:] if len(r) > check and "同步写的列" in str(r[check])]
    memory = tabs(sheets_api)[MEMORY.zh][0]
    pins = [memory[0].index(MEMORY.column(k).zh) for k in ("pinned_next", "pinned_grade")]
    assert not [r for r in memory[1:] if any(len(r) > p and r[p] != "" for p in pins)]
    for title in ("跟进历史", "阶段记录", "分类记录", "预测记录", "同步日志"):
        rows = [tuple(r) for r in tabs(sheets_api)[title][0]]
        assert len(rows) == len(set(rows)), title


def _cli(tmp_path: Path, fake: FakeSheets, account: Path) -> list[str]:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"backend: gsheets\nworkbook: {KEY}\nemail: {{enabled: false}}\n"
        f"gsheets: {{credentials: '{account}', endpoint: '{fake.url}'}}\n"
    )
    return ["sync", "--config", str(config), "--today", TODAY.isoformat()]


@pytest.mark.parametrize("where", ["first", "in 同步快照"])
def test_a_killed_first_sync_is_finished_by_the_next_run(
    tmp_path, sheets_api, service_account, uninterrupted, where
):
    """A real `run.py sync` process killed (SIGKILL) while Google holds its next write: the
    next run finishes what it began, and says what it had written."""
    from click.testing import CliRunner

    from sheetsync.ops.cli import main

    want, total, writes_memory = uninterrupted
    written = 1 if where == "first" else writes_memory[0]
    spreadsheet(sheets_api, service_account)
    # batchUpdate `written` applied, the next one held unanswered (never applied)
    sheets_api.before(":batchUpdate", lambda book: sheets_api.hang_next(), skip=written - 1)
    before = sheets_api.count(":batchUpdate")
    args = _cli(tmp_path, sheets_api, service_account)
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 120
        while sheets_api.count(":batchUpdate") < before + written + 1:  # held: the next one
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
    sheets_api.released.set()  # the held request ends, unapplied
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"写入 {total} 批中的 {written} 批后停了,这次已接着写完" in result.output
    the_same(tabs(sheets_api), want)


@pytest.mark.parametrize("lost", ["first", "last"])
def test_a_first_sync_write_applied_but_never_answered_is_taken_as_made(
    sheets_api, service_account, uninterrupted, lost
):
    """The answer to one of the first sync's writes is lost and the write retried: the retry
    of the first (its progress record and tabs already made) is taken as made, not failed as
    "already exists"; a later one lands on the same cells; the end is one first sync's."""
    want, total, _ = uninterrupted
    spreadsheet(sheets_api, service_account)
    index = 0 if lost == "first" else total - 1  # the one making the record, the one deleting it
    sheets_api.before(":batchUpdate", lambda book: sheets_api.hang_next("after"), skip=index)
    settings = gsheets_settings(sheets_api, service_account)
    settings["gsheets"]["read_timeout"] = 0.5  # the lost answer is given up soon
    sync(Path("unused.xlsx"), TODAY, workbook=KEY, **settings)
    the_same(tabs(sheets_api), want)
    assert "developerMetadata" not in sheets_api.metadata(sheets_api.books[KEY])


def test_a_write_applied_though_no_try_of_it_was_answered_goes_on(
    sheets_api, service_account, uninterrupted
):
    """Every try of a middle write is applied and left unanswered until the tries run out:
    the record in the spreadsheet says it was applied, so the sync goes on and completes,
    instead of stopping with one write fewer counted than was made."""
    want, total, _ = uninterrupted
    spreadsheet(sheets_api, service_account)
    hang = lambda book: sheets_api.hang_next("after", times=2)  # noqa: E731
    sheets_api.before(":batchUpdate", hang, skip=total // 2)
    settings = gsheets_settings(sheets_api, service_account)
    settings["gsheets"].update(read_timeout=0.5, retries=2)
    sync(Path("unused.xlsx"), TODAY, workbook=KEY, **settings)
    the_same(tabs(sheets_api), want)
