"""Occasions that earn their own task: renewals (合同到期日) and care (生日/纪念日)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
from conftest import TODAY, customer, make_workbook, results, sheet_rows, sync
from test_channels import DING, TEAM, channels, vendors  # noqa: F401  (vendors: chat fakes)
from test_serve import clock, serve_until  # noqa: F401  (the fake clock)
from test_serve import settings as serve_settings

from sheetsync.config import load_settings
from sheetsync.ops.app import run_logged
from sheetsync.ops.serve import DailyRunner
from sheetsync.workbook.schema import PEOPLE_COLUMNS

DAY = dt.timedelta(days=1)


def tasks(path: Path) -> list[dict]:
    rows = sheet_rows(path, "任务记录")
    header = rows[0]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]


def record_contact(path: Path, customer_id: str, day: dt.date) -> None:
    """What a rep does after the call: a new 上次跟进日期 in the row."""
    wb = openpyxl.load_workbook(path)
    ws = wb["客户跟进"]
    headers = [c.value for c in ws[1]]
    col = headers.index("上次跟进日期") + 1
    for row in ws.iter_rows(min_row=2):
        if row[headers.index("客户编号")].value == customer_id:
            ws.cell(row=row[0].row, column=col, value=day)
    wb.save(path)


def on(value: object) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def test_contract_ending_in_20_days_opens_a_renewal_task_due_today(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("A1", contract_end=TODAY + 20 * DAY)])
    sync(path, TODAY)
    (task,) = [t for t in tasks(path) if t["客户编号"] == "A1"]
    assert task["任务类型"] == "续约跟进"
    assert on(task["到期日期"]) == TODAY
    assert task["任务状态"] == "待办"
    row = results(path)["A1"]
    assert on(row["next_date"]) == TODAY
    assert "续约跟进" in row["task"] and (TODAY + 20 * DAY).isoformat() in row["task"]


def test_renewal_due_date_moves_to_a_workday(tmp_path):
    saturday = dt.date(2026, 11, 21)
    path = make_workbook(
        tmp_path / "b.xlsx",
        [customer("A1", contract_end=saturday + 20 * DAY, last_contact=saturday - DAY)],
    )
    sync(path, saturday)
    (task,) = tasks(path)
    assert task["任务类型"] == "续约跟进"
    assert on(task["到期日期"]) == dt.date(2026, 11, 23)  # Monday


def test_renewal_is_done_by_a_contact_and_never_duplicated(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("A1", contract_end=TODAY + 20 * DAY)])
    sync(path, TODAY)
    sync(path, TODAY)  # a re-run the same day
    sync(path, TODAY + DAY)  # and the next day, nobody called: still the same task, overdue
    renewals = [t for t in tasks(path) if t["任务类型"] == "续约跟进"]
    assert len(renewals) == 1 and on(renewals[0]["到期日期"]) == TODAY
    assert results(path)["A1"]["status"] == "已逾期"
    record_contact(path, "A1", TODAY + 2 * DAY)
    sync(path, TODAY + 2 * DAY)
    sync(path, TODAY + 3 * DAY)
    renewals = [t for t in tasks(path) if t["任务类型"] == "续约跟进"]
    assert [r["任务状态"] for r in renewals] == ["已完成"]
    assert "续约跟进" not in results(path)["A1"]["task"]  # back to the regular follow-up


def test_birthday_within_a_week_opens_a_care_task_with_a_greeting(tmp_path):
    sunday = dt.date(2026, 11, 22)
    path = make_workbook(tmp_path / "b.xlsx", [customer("A1", birthday="11月22日")])
    sync(path, TODAY)
    sync(path, TODAY)
    (care,) = [t for t in tasks(path) if t["任务类型"] == "客户关怀"]
    assert on(care["到期日期"]) == dt.date(2026, 11, 20)  # the Friday before the Sunday
    row = results(path)["A1"]
    assert "建议问候" in row["task"] and sunday.isoformat() in row["task"]
    record_contact(path, "A1", dt.date(2026, 11, 20))
    sync(path, dt.date(2026, 11, 20))
    (care,) = [t for t in tasks(path) if t["任务类型"] == "客户关怀"]
    assert care["任务状态"] == "已完成"
    assert "建议问候" not in results(path)["A1"]["task"]


def test_birthday_further_than_a_week_opens_no_care_task(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("A1", birthday="12月20日")])
    sync(path, TODAY)
    assert {t["任务类型"] for t in tasks(path)} == {"常规跟进"}


# --- complaints and pauses -------------------------------------------------------------------
def test_complaint_marks_the_customer_and_opens_a_task_due_today(tmp_path):
    path = make_workbook(
        tmp_path / "b.xlsx",
        [
            customer("A1", feedback="客户对交付不满,要求退款"),
            customer("A2", feedback="客戶投訴售後回覆太慢"),  # traditional characters
            customer("A3", feedback="本月无投诉,合作顺利"),
        ],
    )
    sync(path, TODAY)
    sync(path, TODAY)
    rows = results(path)
    for cid in ("A1", "A2"):
        assert "需重点关注" in rows[cid]["check"] and "需重点关注" in rows[cid]["task"]
        assert on(rows[cid]["next_date"]) == TODAY and rows[cid]["status"] == "今日跟进"
    assert not rows["A3"]["check"]
    complaint = [t for t in tasks(path) if t["任务类型"] == "投诉处理"]
    assert sorted(t["客户编号"] for t in complaint) == ["A1", "A2"]
    assert all(on(t["到期日期"]) == TODAY for t in complaint)


def test_edited_word_list_in_the_rules_tab_is_honoured(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("A1", feedback="客户说价格太贵要走人")])
    wb = openpyxl.load_workbook(path)
    ws = wb["价值分级"]
    for row in ws.iter_rows():
        if row[0].value == "需重点关注":
            row[1].value = "要走人、太贵"
    wb.save(path)
    sync(path, TODAY)
    assert "需重点关注" in results(path)["A1"]["check"]


def test_no_need_to_talk_suggests_a_pause_and_changes_no_people_column(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("A1", feedback="近期无需沟通,明年再说")])
    before = sheet_rows(path, "客户跟进")
    sync(path, TODAY)
    check = results(path)["A1"]["check"]
    assert "近期无需沟通" in check and "暂缓至" in check
    after = sheet_rows(path, "客户跟进")
    people = [h for h in after[0] if h in {c.zh for c in PEOPLE_COLUMNS}]
    index = [after[0].index(h) for h in people]
    assert [[r[i] for i in index] for r in after] == [[r[i] for i in index] for r in before]


# --- the manager hears of a complaint in the same run ----------------------------------------
def test_complaint_alerts_the_manager_by_mail_and_chat_once(tmp_path, vendors):  # noqa: F811
    path = make_workbook(
        tmp_path / "b.xlsx",
        [customer("A1", customer="老客户", feedback="客户要求解约并退款")],
        team=TEAM,
    )
    chat = channels(team=(), 陈静私聊={**DING, "private": True})
    environ = {"SHEETSYNC_EMAIL_ENABLED": "yes"}
    report = sync(path, TODAY, email=True, environ=environ, channels=chat)
    notes = " ".join(report.notes)  # said in the sheet's language
    assert "投诉提醒:邮件:1封写入发件箱" in notes and "投诉提醒(群消息):发出1条,失败0条" in notes
    (eml,) = (tmp_path / "outbox").glob("alert-A1-*.eml")
    mail = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert mail["To"] == "chen.jing@example.com" and "需重点关注" in mail["Subject"]
    assert "老客户" in mail.get_body(("plain",)).get_content()
    alerts = [t for t in vendors["ding"].texts() if "需重点关注" in t]
    assert len(alerts) == 1 and "张伟" in alerts[0]
    assert any(str(r[1]).startswith("alert/A1/") for r in sheet_rows(path, "邮件记录")[1:])
    sync(path, TODAY, email=True, environ=environ, channels=chat)  # a re-run
    assert len(list((tmp_path / "outbox").glob("alert-*.eml"))) == 1
    assert len([t for t in vendors["ding"].texts() if "需重点关注" in t]) == 1


# --- serve: an events-only check every hour in working hours ----------------------------------
def test_serve_checks_events_hourly_in_working_hours_without_a_second_digest(clock):  # noqa: F811
    zone = ZoneInfo("Asia/Shanghai")
    clock.now = dt.datetime(2026, 11, 18, 0, 0, tzinfo=zone).astimezone(dt.UTC)
    runs, checks = [], []
    runner = DailyRunner(
        [serve_settings()],
        run=lambda s: runs.append(clock.now.astimezone(zone)),
        clock=clock,
        last_run=lambda s: None,
        events=lambda s: checks.append(clock.now.astimezone(zone)),
        events_every=60,
    )
    serve_until(runner, clock, clock.now + dt.timedelta(days=1))
    assert [r.strftime("%H:%M") for r in runs] == ["08:30"]
    assert [c.strftime("%H:%M") for c in checks] == [f"{h:02d}:00" for h in range(9, 19)]


def test_serve_events_hours_are_the_teams_and_a_bad_value_is_said(clock, monkeypatch):  # noqa: F811
    from click.testing import CliRunner

    from sheetsync.ops import serve as serve_module
    from sheetsync.ops.cli import main

    zone = ZoneInfo("Asia/Shanghai")
    clock.now = dt.datetime(2026, 11, 18, 0, 0, tzinfo=zone).astimezone(dt.UTC)
    checks = []
    runner = DailyRunner(
        [serve_settings()],
        run=lambda s: None,
        clock=clock,
        last_run=lambda s: None,
        events=lambda s: checks.append(clock.now.astimezone(zone)),
        events_every=120,
        events_hours=("08:00", "12:00"),
    )
    serve_until(runner, clock, clock.now + dt.timedelta(days=1))
    assert [c.strftime("%H:%M") for c in checks] == ["08:00", "10:00", "12:00"]

    bad = CliRunner().invoke(main, ["serve", "--events-hours", "18:00-09:00"])
    assert bad.exit_code == 2 and "the start must be before the end" in bad.output
    seen = {}
    monkeypatch.setattr(
        serve_module.DailyRunner, "serve", lambda self, stop: seen.update(hours=self.events_hours)
    )
    monkeypatch.setattr("sheetsync.ops.cli.load_all", lambda config: [serve_settings()])
    ok = CliRunner().invoke(main, ["serve", "--events-hours", "7:30-17:00"])
    assert ok.exit_code == 0, ok.output
    assert seen["hours"] == ("07:30", "17:00")


def test_events_check_alerts_a_new_complaint_and_sends_no_digest(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("A1"), customer("A2")], team=TEAM)
    environ = {"SHEETSYNC_EMAIL_ENABLED": "yes"}
    sync(path, TODAY, email=True, environ=environ)  # the morning's run: digests
    digests = sorted(p.name for p in (tmp_path / "outbox").glob("digest-*.eml"))
    wb = openpyxl.load_workbook(path)
    ws = wb["客户跟进"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=3, column=headers.index("客户反馈/需求变化") + 1, value="客户投诉交付延期")
    wb.save(path)
    config = load_settings(
        environ={"SHEETSYNC_EMAIL_OUTBOX": str(tmp_path / "outbox"), **environ},
        workbook=str(path),
    )
    for _ in range(2):  # 10:00 and 11:00: alerted once
        run_logged(config, TODAY, events_only=True)
    assert len(list((tmp_path / "outbox").glob("alert-A2-*.eml"))) == 1
    assert sorted(p.name for p in (tmp_path / "outbox").glob("digest-*.eml")) == digests
    assert "需重点关注" in results(path)["A2"]["check"]  # written through the normal write


def test_a_leap_day_birthday_is_kept_every_year():
    from sheetsync.rules.events import next_birthday

    born = pd.Series([pd.Timestamp(1992, 2, 29), pd.NaT, pd.Timestamp(1985, 11, 20)])
    assert next_birthday(born, dt.date(2027, 2, 1)).tolist()[0] == pd.Timestamp(2027, 2, 28)
    assert next_birthday(born, dt.date(2028, 2, 1)).tolist()[0] == pd.Timestamp(2028, 2, 29)
    assert next_birthday(born, dt.date(2100, 1, 1)).tolist()[0] == pd.Timestamp(2100, 2, 28)
    got = next_birthday(born, dt.date(2026, 11, 21)).tolist()
    assert pd.isna(got[1]) and got[2] == pd.Timestamp(2027, 11, 20)  # this year's has passed
