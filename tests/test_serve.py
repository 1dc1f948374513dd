"""`serve`, `sync --all` and `doctor`. serve runs on a fake clock: a week passes in
milliseconds and nothing sleeps."""

import datetime as dt
import json
import threading
import types
from zoneinfo import ZoneInfo

import pytest
import schedule
import yaml
from click.testing import CliRunner
from conftest import customer, make_workbook, sheet_rows

from sheetsync.config import load_settings
from sheetsync.ops.app import last_run_date, run_logged
from sheetsync.ops.cli import main
from sheetsync.ops.serve import DailyRunner

UTC = dt.UTC


class FakeClock:
    """Aware UTC time, seen by our code directly and by `schedule` through its datetime."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(dt.datetime(2026, 11, 18, tzinfo=UTC))

    class FakeDatetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return fake.now.astimezone(tz) if tz else fake.now.astimezone().replace(tzinfo=None)

    module = types.ModuleType("datetime")
    module.__dict__.update(vars(dt))
    module.datetime = FakeDatetime
    monkeypatch.setattr(schedule, "datetime", module)  # schedule reads the clock itself
    return fake


def settings(zone="Asia/Shanghai", at="08:30", name="A"):
    return load_settings(environ={}, timezone=zone, run_at=at, name=name)


def serve_until(runner, clock, end: dt.datetime):
    """Run the loop, advancing the fake clock by each wait, until `end`."""
    stop = threading.Event()

    def wait(seconds):
        clock.advance(max(seconds, 1))
        if clock.now >= end:
            stop.set()

    runner.serve(stop, wait)


@pytest.mark.parametrize(
    "zone, start, expected",
    [
        (
            "Asia/Shanghai",
            dt.datetime(2026, 11, 18, 0, 0),
            ["2026-11-18 08:30", "2026-11-19 08:30", "2026-11-20 08:30"],
        ),
        # New York leaves daylight saving time on 2026-11-01: 08:30 stays 08:30 local
        (
            "America/New_York",
            dt.datetime(2026, 10, 31, 0, 0),
            ["2026-10-31 08:30", "2026-11-01 08:30", "2026-11-02 08:30"],
        ),
    ],
)
def test_runs_every_day_at_the_local_time(clock, zone, start, expected):
    clock.now = start.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    runs = []
    runner = DailyRunner(
        [settings(zone)],
        run=lambda s: runs.append(clock.now.astimezone(ZoneInfo(zone))),
        clock=clock,
        last_run=lambda s: None,
    )
    serve_until(runner, clock, clock.now + dt.timedelta(days=3))
    assert [r.strftime("%Y-%m-%d %H:%M") for r in runs] == expected


@pytest.mark.parametrize(
    "last_run, immediate", [(dt.date(2026, 11, 17), True), (dt.date(2026, 11, 18), False)]
)
def test_started_late_it_catches_up_unless_today_already_ran(clock, last_run, immediate):
    zone = ZoneInfo("Asia/Shanghai")
    clock.now = dt.datetime(2026, 11, 18, 10, 0, tzinfo=zone).astimezone(UTC)
    runs = []
    runner = DailyRunner(
        [settings()],
        run=lambda s: runs.append(clock.now.astimezone(zone)),
        clock=clock,
        last_run=lambda s: last_run,
    )
    serve_until(runner, clock, clock.now + dt.timedelta(days=1))
    times = [r.strftime("%m-%d %H:%M") for r in runs]
    assert times == (["11-18 10:00", "11-19 08:30"] if immediate else ["11-19 08:30"])


def test_a_failing_run_does_not_stop_the_next(clock):
    clock.now = dt.datetime(2026, 11, 18, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    calls = []

    def flaky(s):
        calls.append(clock.now)
        if len(calls) == 1:
            raise RuntimeError("disk full")

    runner = DailyRunner([settings()], run=flaky, clock=clock, last_run=lambda s: None)
    serve_until(runner, clock, clock.now + dt.timedelta(days=2))
    assert len(calls) == 2


def _open_until(clock, zone, closes_at: str | None):
    """Who holds the workbook: 张伟 in Excel until `closes_at` local time (None: all day)."""

    def held(settings):
        local = clock.now.astimezone(zone).strftime("%H:%M")
        return "Excel/WPS (张伟)" if closes_at is None or local < closes_at else None

    return held


def _locked_runner(clock, held, **config):
    """A runner whose run fails while `held` says the workbook is open, as run_logged does."""
    zone = ZoneInfo("Asia/Shanghai")
    tries = []

    def run(s):
        tries.append(clock.now.astimezone(zone).strftime("%m-%d %H:%M"))
        return types.SimpleNamespace(ok=not held(s))

    runner = DailyRunner(
        [load_settings(environ={}, run_at="08:30", **config)],
        run=run,
        clock=clock,
        last_run=lambda s: None,
        held=held,
    )
    return runner, tries


def test_a_workbook_open_at_run_time_is_tried_again_until_it_is_closed(clock):
    zone = ZoneInfo("Asia/Shanghai")
    clock.now = dt.datetime(2026, 11, 18, 8, 0, tzinfo=zone).astimezone(UTC)
    runner, tries = _locked_runner(clock, _open_until(clock, zone, "10:10"))
    serve_until(runner, clock, clock.now + dt.timedelta(days=1, hours=1))
    assert tries == [
        "11-18 08:30",
        "11-18 09:00",
        "11-18 09:30",
        "11-18 10:00",
        "11-18 10:30",
        "11-19 08:30",
    ]


@pytest.mark.parametrize(
    "minutes, day_one",
    [
        (
            30,
            [f"11-18 {h:02d}:{m:02d}" for h in range(8, 24) for m in (0, 30)][1:],
        ),  # 08:30 .. 23:30
        (0, ["11-18 08:30"]),  # no retry: tomorrow's run only
    ],
)
def test_a_workbook_open_all_day_is_given_up_at_the_end_of_the_day(clock, minutes, day_one):
    zone = ZoneInfo("Asia/Shanghai")
    clock.now = dt.datetime(2026, 11, 18, 8, 0, tzinfo=zone).astimezone(UTC)
    runner, tries = _locked_runner(
        clock, _open_until(clock, zone, None), retry_locked_minutes=minutes
    )
    serve_until(runner, clock, dt.datetime(2026, 11, 19, 8, 45, tzinfo=zone).astimezone(UTC))
    assert tries == [*day_one, "11-19 08:30"]


def test_serve_syncs_a_real_workbook_once_excel_closes_it(clock, tmp_path):
    book = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    owner = tmp_path / "~$b.xlsx"
    owner.write_bytes(b"\x06" + "张伟".encode("gbk") + b"\x00" * 160)  # Excel: 张伟 has it open
    zone = ZoneInfo("Asia/Shanghai")
    clock.now = dt.datetime(2026, 11, 18, 8, 0, tzinfo=zone).astimezone(UTC)
    config = load_settings(environ={}, workbook=str(book), email={"enabled": False})
    tries = []
    runner = DailyRunner(
        [config],
        run=lambda s: tries.append(clock.now) or run_logged(s),
        clock=clock,
        last_run=lambda s: None,
    )
    stop, closes = threading.Event(), dt.datetime(2026, 11, 18, 9, 15, tzinfo=zone)

    def wait(seconds):
        clock.advance(max(seconds, 1))
        if clock.now >= closes:
            owner.unlink(missing_ok=True)  # 张伟 closes Excel
        if clock.now >= closes + dt.timedelta(hours=1):
            stop.set()

    runner.serve(stop, wait)
    assert [t.astimezone(zone).strftime("%H:%M") for t in tries] == ["08:30", "09:00", "09:30"]
    assert len(sheet_rows(book, "同步日志")) == 2  # the header and the one run that wrote


def test_stop_request_ends_the_loop_between_runs(clock):
    stop = threading.Event()
    runs = []
    runner = DailyRunner(
        [settings()], run=lambda s: runs.append(1), clock=clock, last_run=lambda s: None
    )
    waits = []

    def wait(seconds):
        waits.append(seconds)
        stop.set()  # SIGTERM arrives while idle

    runner.serve(stop, wait)
    assert len(waits) == 1 and runs == []


def test_sync_log_tells_whether_today_ran(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    config = load_settings(environ={}, workbook=str(path))
    assert last_run_date(config) is None
    CliRunner().invoke(
        main, ["sync", "--workbook", str(path), "--today", "2026-11-17", "--no-email"]
    )
    assert last_run_date(config) == dt.date(2026, 11, 17)


def _config(tmp_path, *workbooks, **extra):
    path = tmp_path / "sheetsync.yaml"
    data = {"email": {"outbox": str(tmp_path / "outbox")}, "workbooks": list(workbooks), **extra}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_sync_all_runs_each_workbook_and_fails_if_one_did(tmp_path):
    good = make_workbook(tmp_path / "good.xlsx", [customer("K1")])
    config = _config(
        tmp_path,
        {"name": "东区", "workbook": str(good)},
        {"name": "西区", "workbook": str(tmp_path / "missing.xlsx")},
    )
    result = CliRunner().invoke(
        main, ["--log-format", "json", "sync", "--all", "--config", config, "--today", "2026-11-18"]
    )
    assert result.exit_code == 1
    assert "FAILED 西区: workbook" in result.output and "1 of 2 workbook(s) synced" in result.output
    assert sheet_rows(good, "客户跟进")[1][36] == "待跟进"  # the good one was synced
    logs = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert {(entry["workbook"], entry["ok"]) for entry in logs} == {("东区", True), ("西区", False)}


def test_serve_once_runs_every_workbook_and_exits(tmp_path):
    a = make_workbook(tmp_path / "a.xlsx", [customer("K1")])
    b = make_workbook(tmp_path / "b.xlsx", [customer("K2")])
    config = _config(tmp_path, {"workbook": str(a)}, {"workbook": str(b)})
    result = CliRunner().invoke(main, ["serve", "--once", "--config", config])
    assert result.exit_code == 0 and "2 of 2 workbook(s) synced" in result.output
    assert len(sheet_rows(b, "同步日志")) == 2


def test_doctor_on_a_good_and_a_broken_setup(tmp_path):
    good = make_workbook(tmp_path / "good.xlsx", [customer("K1")])
    ok = CliRunner().invoke(
        main, ["doctor", "--config", _config(tmp_path, {"workbook": str(good)})]
    )
    assert ok.exit_code == 0, ok.output
    assert "FAIL" not in ok.output and ok.output.count("[ok  ]") == 6
    assert "team emails: 4 members, all with a valid email" in ok.output

    bad_team = make_workbook(
        tmp_path / "team.xlsx", [customer("K1")], team=[["张伟", "not-an-email", "", "销售"]]
    )
    config = _config(
        tmp_path,
        {"workbook": str(bad_team)},
        {"workbook": str(tmp_path / "gone.xlsx")},
        email={
            "transport": "smtp",
            "smtp": {"host": "127.0.0.1", "port": 9, "security": "none", "timeout": 2},
        },
    )
    broken = CliRunner().invoke(main, ["doctor", "--config", config])
    assert broken.exit_code == 1
    assert "[FAIL] " in broken.output and "no valid email for 张伟" in broken.output
    assert "fix: fill in 邮箱 in the 团队 tab" in broken.output
    assert (
        "gone.xlsx not found" in broken.output
        and "fix: create it with `python3 run.py init" in broken.output
    )
    assert "SMTP 127.0.0.1:9" in broken.output


def test_doctor_reports_a_broken_config(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("timezone: Nowhere/City\n")
    result = CliRunner().invoke(main, ["doctor", "--config", str(path)])
    assert result.exit_code == 1 and 'timezone: "Nowhere/City"' in result.output


def test_sigterm_stops_a_real_serve_process_cleanly(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    book = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    # Nothing due while we watch: later today (past midnight, today's run would be missed and
    # run at once, and the stop would wait for it).
    later = min(now + dt.timedelta(hours=2), now.replace(hour=23, minute=59)).strftime("%H:%M")
    config = _config(tmp_path, {"workbook": str(book)}, run_at=later, email={"enabled": False})
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, str(root / "run.py"), "serve", "--config", config],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 20
        line = ""
        while "serving" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        assert "serving 1 workbook(s)" in line
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0  # a stop, not a kill (a busy test machine is slow)
        assert "stopped" in proc.stderr.read()
    finally:
        proc.kill()
