"""Reminder mail received by a real SMTP server (aiosmtpd) on 127.0.0.1."""

import datetime as dt
import email
import email.policy
import socket
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import (
    KEY,
    TODAY,
    customer,
    gsheets_settings,
    make_spreadsheet,
    make_workbook,
    results,
    sheet_rows,
    sheet_values,
    sync,
)
from sheets_fake import _copy_book
from smtp_server import Smtp, parts

from sheetsync.delivery.mailer import Journal, Renderer
from sheetsync.delivery.remind import Mail
from sheetsync.delivery.transports import OutboxTransport
from sheetsync.ops.cli import main

TEAM = [
    ["陈静", "chen.jing@example.com", "", "经理"],
    ["张伟", "zhang.wei@example.com", "陈静", "销售"],
    ["李娜", "li.na@example.com", "陈静", "销售"],
]
A = {"budget": "明确", "intent": "高", "decision_cycle": "20天"}  # A: daily, escalated after 1 day
CUSTOMERS = [
    customer(
        "Z1", customer="张伟的老客户", phone="13911112222", last_contact=dt.date(2026, 11, 10), **A
    ),
    customer(
        "Z2", customer="张伟的新客户", phone="13933334444", last_contact=dt.date(2026, 11, 15)
    ),
    customer("Z3", customer="张伟不急的客户", last_contact=TODAY),
    customer(
        "L1",
        customer="李娜的客户",
        phone="13955556666",
        owner="李娜",
        last_contact=dt.date(2026, 11, 15),
    ),
]


def known_since_due(path: Path) -> None:
    """A sync on the day Z1 fell due (A: the day after its last contact, 11-10): the sync
    knew its task before it was overdue, so it escalates by its due date, not as the first
    sync's backlog (tests/test_send_calendar.py)."""
    sync(path, dt.date(2026, 11, 11))


def test_each_owner_gets_one_digest_of_their_own_customers(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    report = sync(path, email=True, environ=smtp.env())
    assert "邮件:发出3封,失败0封" in report.notes[-1]
    (zhang,) = smtp.inbox.to("zhang.wei@example.com")
    assert zhang["Subject"] == "2026-11-18 跟进提醒:2 项待办(张伟)"
    body = parts(zhang)
    assert set(body) == {"text/plain", "text/html"}
    text = body["text/plain"]
    assert "张伟的老客户" in text and "张伟的新客户" in text and "13911112222" in text
    # due later this week: a heads-up in its own section after today's, not a task
    assert (
        text.index("【今日跟进】") < text.index("【本周即将到期】") < text.index("张伟不急的客户")
    )
    assert "李娜的客户" not in text and "13955556666" not in body["text/html"]
    assert text.index("张伟的老客户") < text.index("张伟的新客户")  # A before B, most overdue first
    # due Wed 11 Nov: 5 workdays late on Wed 18 Nov (the weekend is no day late)
    assert "已逾期 5 天" in text and "电话沟通需求、同步方案进展、邀请演示" in text
    (li,) = smtp.inbox.to("li.na@example.com")
    assert "李娜的客户" in parts(li)["text/plain"] and "张伟" not in parts(li)["text/plain"]


def test_manager_escalation_once_and_without_contact_details(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    known_since_due(path)
    sync(path, email=True, environ=smtp.env())
    (escalation,) = smtp.inbox.to("chen.jing@example.com")
    text = parts(escalation)["text/plain"]
    assert "张伟的老客户" in text and "13911112222" not in text
    assert "张伟的新客户" not in text  # B escalates after 3 days; it is due today
    html = parts(escalation)["text/html"]  # one template, its headers in the sheet's language
    assert "逾期天数" in html and "应跟进日期" in html and "Days overdue" not in html
    monday = TODAY + dt.timedelta(days=5)  # Saturday and Sunday send nothing
    sync(path, monday, email=True, environ=smtp.env())
    later = smtp.inbox.to("chen.jing@example.com")[1:]
    assert len(later) == 1 and "张伟的老客户" not in parts(later[0])["text/plain"]  # not twice
    assert "张伟的新客户" in parts(later[0])["text/plain"]  # now 3 workdays late
    log = {(r[0], r[1].date()): r for r in sheet_rows(path, "任务记录")[1:]}
    assert log[("Z1", dt.date(2026, 11, 11))][9]  # escalated_at recorded


def test_a_second_run_the_same_day_sends_nothing_new(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    count = len(smtp.inbox.messages)
    report = sync(path, email=True, environ=smtp.env())
    assert len(smtp.inbox.messages) == count and "邮件:发出0封" in report.notes[-1]
    sync(path, TODAY + dt.timedelta(days=1), email=True, environ=smtp.env())
    assert len(smtp.inbox.to("zhang.wei@example.com")) == 2  # tomorrow's digest


def test_a_task_reminded_again_keeps_its_first_reminder_and_its_log_row(tmp_path, smtp):
    """Each morning's digest repeats an overdue task; its row of 任务记录 keeps the first
    reminder, so the log is not rewritten (nor uploaded) row by row every day."""
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    first = {(r[0], r[1]): r for r in sheet_rows(path, "任务记录")[1:]}
    time.sleep(1.1)  # stamps are to the second: the second send must stamp differently
    sync(path, TODAY + dt.timedelta(days=1), email=True, environ=smtp.env())
    (_, tomorrow) = smtp.inbox.to("zhang.wei@example.com")
    assert "张伟的老客户" in parts(tomorrow)["text/plain"]  # reminded again the next day
    then = {(r[0], r[1]): r for r in sheet_rows(path, "任务记录")[1:]}
    z1 = ("Z1", dt.datetime(2026, 11, 11))
    assert then[z1][8] and then[z1][8] == first[z1][8]


def test_login_with_password_from_the_environment(tmp_path):
    server = Smtp(password="s3cret")
    server.controller.start()
    try:
        path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
        env = server.env(SHEETSYNC_SMTP_USERNAME="sheetsync")
        wrong = sync(path, email=True, environ=env)  # no password set at all
        assert "失败3封" in wrong.notes[-1] and not server.inbox.messages
        (tmp_path / "pw").write_text("wrong\n")
        refused = sync(
            path, email=True, environ={**env, "SHEETSYNC_SMTP_PASSWORD_FILE": str(tmp_path / "pw")}
        )
        assert "邮件服务器拒绝登录" in refused.notes[-1]
        assert "wrong" not in " ".join(refused.notes)
        (tmp_path / "pw").write_text("s3cret\n")
        sync(
            path, email=True, environ={**env, "SHEETSYNC_SMTP_PASSWORD_FILE": str(tmp_path / "pw")}
        )
        assert len(server.inbox.messages) == 3
    finally:
        server.controller.stop()


def test_server_down_sheet_still_synced_and_mail_retried_next_run(tmp_path):
    server = Smtp()
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    report = sync(path, email=True, environ=server.env())  # nothing listens yet
    assert "邮件:发出0封,失败3封" in report.notes[-1]
    assert results(path)["Z1"]["status"] == "已逾期"  # the sheet work was done
    assert all(r[8] is None for r in sheet_rows(path, "任务记录")[1:])  # nothing marked reminded
    assert "失败3封" in sheet_rows(path, "同步日志")[-1][8]
    server.controller.start()
    try:
        sync(path, email=True, environ=server.env())
        assert len(server.inbox.messages) == 3
    finally:
        server.controller.stop()


def test_a_bad_address_goes_to_the_fallback_and_never_stops_the_others(tmp_path, smtp):
    team = [*TEAM[:2], ["李娜", "li.na at example", "陈静", "销售"]]
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=team)
    report = sync(path, email=True, environ=smtp.env(SHEETSYNC_EMAIL_FALLBACK="ops@example.com"))
    assert "李娜没有有效邮箱:邮件改发给ops@example.com" in report.notes
    assert "李娜的客户" in parts(smtp.inbox.to("ops@example.com")[0])["text/plain"]
    assert smtp.inbox.to("zhang.wei@example.com")
    assert "李娜没有有效邮箱" in sheet_rows(path, "同步日志")[-1][8]


def test_without_a_fallback_the_manager_gets_the_owners_mail(tmp_path, smtp):
    team = [*TEAM[:2], ["李娜", "", "陈静", "销售"]]
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=team)
    sync(path, email=True, environ=smtp.env())
    subjects = [m["Subject"] for m in smtp.inbox.to("chen.jing@example.com")]
    assert any("李娜" in s for s in subjects)


def test_names_cannot_inject_headers_or_markup(tmp_path, smtp):
    evil_owner = "王五\r\nBcc: spy@evil.example"
    team = [*TEAM, [evil_owner, "wang.wu@example.com", "陈静", "销售"]]
    rows = [
        customer(
            "X1",
            customer="<script>alert(1)</script>\n有限公司",
            owner=evil_owner,
            last_contact=dt.date(2026, 11, 15),
        )
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=team)
    sync(path, email=True, environ=smtp.env())
    ((rcpt, message),) = [(r, m) for r, m in smtp.inbox.messages if "wang.wu@example.com" in r]
    assert rcpt == ["wang.wu@example.com"] and message["Bcc"] is None
    assert "\n" not in message["Subject"]
    html = parts(message)["text/html"]
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_contract_endings_and_birthdays_appear_in_the_owners_digest(tmp_path, smtp):
    rows = [
        customer(
            "Z9",
            customer="续约客户",
            last_contact=TODAY,
            contract_end=TODAY + dt.timedelta(days=20),
            birthday=f"{TODAY.month}月{TODAY.day + 3}日",
        )
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    text = parts(smtp.inbox.to("zhang.wei@example.com")[0])["text/plain"]
    assert "30 天内合同到期" in text and "2026-12-08,还有 20 天" in text
    assert "3 天后" in text


def test_the_digest_shows_value_class_health_and_a_stalled_deal(tmp_path, smtp):
    start = TODAY - dt.timedelta(days=22)
    rows = [
        customer(
            "Z8",
            customer="老客户",
            stage="方案展示",
            last_contact=start,
            annual_amount="120万",
            margin="35%",
            renewal_rate="95%",
            potential="高",
        )
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    sync(path, start)  # the sync first sees the deal in 方案展示 22 days ago
    sync(path, email=True, environ=smtp.env())
    body = parts(smtp.inbox.to("zhang.wei@example.com")[-1])
    text, html = body["text/plain"], body["text/html"]
    assert "客户分类:A类+高潜力+新接触(100分)" in text
    assert (
        "健康度:预警" in text and "停滞:方案展示已22天" in text
    )  # 22 days silent, B: 3-day interval
    assert "停滞:方案展示已22天" in html and "A类+高潜力+新接触(100分)" in html


class Killed(BaseException):
    """The process dying: nothing after it runs."""


def test_death_after_the_server_accepted_repeats_that_mail_at_most_once(
    tmp_path, smtp, monkeypatch
):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS[:1], team=TEAM[:2])
    from sheetsync.delivery import mailer

    def die(self, mail, at):
        raise Killed  # the server has the mail; the journal never hears of it

    with monkeypatch.context() as patch:
        patch.setattr(mailer.Journal, "record", die)
        with pytest.raises(Killed):
            sync(path, email=True, environ=smtp.env())
    assert len(smtp.inbox.to("zhang.wei@example.com")) == 1
    sync(path, email=True, environ=smtp.env())
    sync(path, email=True, environ=smtp.env())
    again = smtp.inbox.to("zhang.wei@example.com")
    assert len(again) == 2 and again[0]["Message-ID"] == again[1]["Message-ID"]


def test_death_after_the_journal_write_sends_nothing_again_and_records_it(
    tmp_path, smtp, monkeypatch
):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS[:1], team=TEAM[:2])
    from sheetsync.delivery import mailer

    record = mailer.Journal.record

    def record_then_die(self, mail, at):
        record(self, mail, at)
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(mailer.Journal, "record", record_then_die)
        with pytest.raises(Killed):
            sync(path, email=True, environ=smtp.env())
    assert all(r[8] is None for r in sheet_rows(path, "任务记录")[1:])  # the log missed it
    sync(path, email=True, environ=smtp.env())
    assert len(smtp.inbox.to("zhang.wei@example.com")) == 1
    assert any(r[8] for r in sheet_rows(path, "任务记录")[1:])  # recorded from the journal
    assert Journal(Path(path.parent / ".b.xlsx.sent.jsonl")).entries()


def test_outbox_is_the_default_and_no_email_sends_nothing(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    known_since_due(path)
    env = {"SHEETSYNC_EMAIL_OUTBOX": str(tmp_path / "outbox")}
    runner = CliRunner()
    runner.invoke(
        main, ["sync", "--workbook", str(path), "--today", "2026-11-18", "--no-email"], env=env
    )
    assert not (tmp_path / "outbox").exists()
    runner.invoke(main, ["sync", "--workbook", str(path), "--today", "2026-11-18"], env=env)
    files = sorted(p.name for p in (tmp_path / "outbox").glob("*.eml"))
    assert files == [
        "digest-张伟-2026-11-18.eml",
        "digest-李娜-2026-11-18.eml",
        "escalation-陈静-2026-11-18.eml",
    ]


def test_two_workbooks_sharing_an_outbox_keep_each_others_mail(tmp_path):
    """Two teams' workbooks in one folder, the same people in both: each writes its own
    digest for 张伟 the same day, neither overwrites the other's, and they are two mails to
    a mail program (two Message-IDs); the same mail written again (its content unchanged)
    stays one file, whichever of the two it is."""
    east = make_workbook(tmp_path / "east.xlsx", CUSTOMERS, team=TEAM)
    west = make_workbook(tmp_path / "west.xlsx", [{**c, "customer": "西区" + c["customer"]}
                                                   for c in CUSTOMERS], team=TEAM)  # fmt: skip
    env = {"SHEETSYNC_EMAIL_OUTBOX": str(tmp_path / "outbox")}
    for path in (east, west):
        done = CliRunner().invoke(
            main, ["sync", "--workbook", str(path), "--today", "2026-11-18"], env=env
        )
        assert done.exit_code == 0, done.output
    files = sorted((tmp_path / "outbox").glob("digest-张伟-*.eml"))
    assert len(files) == 2
    mails = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    texts = [parts(m)["text/plain"] for m in mails]
    assert sum("西区张伟的老客户" in t for t in texts) == 1  # one from each workbook
    assert sum("张伟的老客户" in t and "西区" not in t for t in texts) == 1
    assert mails[0]["Message-ID"] != mails[1]["Message-ID"]
    with OutboxTransport(tmp_path / "outbox") as outbox:  # both, under the name they share
        for mail in mails:
            outbox.send(mail, "digest-张伟-2026-11-18")
    assert sorted((tmp_path / "outbox").glob("digest-张伟-*.eml")) == files


def test_remind_dry_run_prints_the_mails_and_sends_nothing(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    result = CliRunner().invoke(
        main,
        ["remind", "--workbook", str(path), "--today", "2026-11-18", "--dry-run"],
        env=smtp.env(),
    )
    assert result.exit_code == 0, result.output
    assert "收件人:zhang.wei@example.com" in result.output and "张伟的老客户" in result.output
    assert not smtp.inbox.messages
    assert "客户跟进" not in result.output  # no cell of the sheet would change
    before = _followups_and_runs(path)
    CliRunner().invoke(
        main, ["remind", "--workbook", str(path), "--today", "2026-11-18"], env=smtp.env()
    )
    assert len(smtp.inbox.messages) == 3
    assert _followups_and_runs(path) == before  # remind leaves the sheet and sync log alone


def _followups_and_runs(path: Path) -> tuple[list, list]:
    book = openpyxl.load_workbook(path)
    runs = list(book["同步日志"].values) if "同步日志" in book.sheetnames else []
    return list(book["客户跟进"].values), runs


def test_escalations_go_only_to_the_owners_own_manager(tmp_path, smtp):
    team = [
        *TEAM,
        ["周敏", "zhou.min@example.com", "", "经理"],
        ["王强", "wang.qiang@example.com", "周敏", "销售"],
    ]
    rows = [
        *CUSTOMERS,
        customer(
            "W1", customer="王强的客户", owner="王强", last_contact=dt.date(2026, 11, 10), **A
        ),
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=team)
    sync(path, email=True, environ=smtp.env())
    (chen,) = smtp.inbox.to("chen.jing@example.com")
    (zhou,) = smtp.inbox.to("zhou.min@example.com")
    assert (
        "王强的客户" not in parts(chen)["text/plain"]
        and "张伟的老客户" in parts(chen)["text/plain"]
    )
    assert "王强的客户" in parts(zhou)["text/plain"] and "张伟" not in parts(zhou)["text/plain"]


def test_a_refused_recipient_fails_alone_and_is_retried(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    smtp.inbox.refuse.add("li.na@example.com")
    report = sync(path, email=True, environ=smtp.env())
    assert (
        "邮件:发出2封,失败1封; 发给李娜 <li.na@example.com>失败:邮件服务器拒收这个地址"
        in report.notes[-1]
    )
    smtp.inbox.refuse.clear()
    sync(path, email=True, environ=smtp.env())
    assert (
        len(smtp.inbox.to("li.na@example.com")) == 1
        and len(smtp.inbox.to("zhang.wei@example.com")) == 1
    )


def test_optional_summary_mail_to_managers(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    assert all("汇总" not in m["Subject"] for m in smtp.inbox.to("chen.jing@example.com"))
    sync(
        path,
        TODAY + dt.timedelta(days=1),
        email=True,
        environ=smtp.env(SHEETSYNC_EMAIL_MANAGER_SUMMARY="yes"),
    )
    (summary,) = [
        m for m in smtp.inbox.to("chen.jing@example.com") if "客户跟进汇总" in m["Subject"]
    ]
    text = parts(summary)["text/plain"]
    assert "按负责人" in text and "张伟的老客户" in text  # the longest-overdue list
    assert "13911112222" not in text  # no contact details
    sync(
        path,
        TODAY + dt.timedelta(days=1),
        email=True,
        environ=smtp.env(SHEETSYNC_EMAIL_MANAGER_SUMMARY="yes"),
    )
    assert len([m for m in smtp.inbox.to("chen.jing@example.com") if "汇总" in m["Subject"]]) == 1


def test_english_workbook_gets_english_mail(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM, locale="en")
    sync(path, email=True, environ=smtp.env())
    (zhang,) = smtp.inbox.to("zhang.wei@example.com")
    assert zhang["Subject"] == "2026-11-18 follow-ups: 2 to do (张伟)"
    text = parts(zhang)["text/plain"]
    assert "5 days overdue" in text and "Next step: Call about needs" in text
    (escalation,) = smtp.inbox.to("chen.jing@example.com")
    assert "Days overdue" in parts(escalation)["text/html"]


def test_a_traditional_workbook_gets_traditional_mail_with_names_as_written():
    mail = Mail(
        "digest",
        "张伟",
        "zhang.wei@example.com",
        "digest/张伟/2026-11-18",
        {
            "owner": "张伟",
            "today": TODAY,
            "tasks": [],
            "contracts": [],
            "birthdays": [],
            "fixes": [],
        },
    )
    message = Renderer("zh-Hant", "sheetsync@localhost").render(mail, dt.datetime(2026, 11, 18, 8))
    assert message["Subject"] == "2026-11-18 跟進提醒:0 項待辦(张伟)"  # the name stays as typed
    assert "今天沒有到期的跟進任務" in parts(message)["text/plain"]


def test_a_journal_line_cut_off_by_a_crash_is_skipped_and_said(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    known_since_due(path)
    sync(path, email=True, environ=smtp.env())
    journal = path.parent / ".b.xlsx.sent.jsonl"
    with open(journal, "ab") as out:
        out.write('{"key": "digest/张伟'.encode()[:-1])  # cut inside a character, too
    tomorrow = TODAY + dt.timedelta(days=1)
    report = sync(path, tomorrow, email=True, environ=smtp.env())
    assert "邮件:发出2封,失败0封" in report.notes[-1]  # tomorrow's digests went out
    torn = "邮件日志 .b.xlsx.sent.jsonl 有 1 行不完整"
    assert any(n.startswith(torn) for n in report.notes)
    assert torn in sheet_rows(path, "同步日志")[-1][8]
    count = len(smtp.inbox.messages)
    again = sync(path, tomorrow, email=True, environ=smtp.env())
    assert len(smtp.inbox.messages) == count  # what was sent after the cut is known as sent
    assert not any(n.startswith(torn) for n in again.notes)


class Mute:
    """A server on 127.0.0.1 that accepts and never finishes greeting: silent, or sending a
    "220-" continuation line every 50 ms, so that no single read ever times out. It gives up
    after a minute, so a sync with no deadline fails the test rather than hanging it."""

    def __init__(self, trickle):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port, self.trickle = self.listener.getsockname()[1], trickle
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._greet_forever, args=(conn,), daemon=True).start()

    def _greet_forever(self, conn):
        with conn:
            for _ in range(1200):
                if self.stop.wait(0.05):
                    return
                if self.trickle:
                    try:
                        conn.sendall(b"220-still saying hello\r\n")
                    except OSError:
                        return

    def close(self):
        self.stop.set()
        self.listener.close()


@pytest.mark.parametrize("trickle", [False, True], ids=["silent", "endless-greeting"])
def test_a_server_that_never_greets_is_cut_off_and_the_sheet_is_still_written(
    tmp_path, smtp, trickle
):
    mute = Mute(trickle)
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    env = smtp.env(SHEETSYNC_SMTP_PORT=str(mute.port), SHEETSYNC_SMTP_DEADLINE="0.5")
    try:
        report = sync(path, email=True, environ=env)
    finally:
        mute.close()
    assert "邮件:发出0封,失败3封" in report.notes[-1]
    assert report.notes[-1].count("发送超过总时限(email.smtp.deadline),下次运行重发") == 3
    assert results(path)["Z1"]["status"] == "已逾期"  # the sheet was written
    assert "发送超过总时限" in sheet_rows(path, "同步日志")[-1][8]
    assert all(r[8] is None for r in sheet_rows(path, "任务记录")[1:])  # nothing marked sent
    sync(path, email=True, environ=smtp.env())
    assert len(smtp.inbox.messages) == 3  # the next run sends them


def sheet_row(path, customer_id):
    """The row number people see in the follow-up tab for `customer_id`."""
    rows = sheet_rows(path, "客户跟进")
    return next(i for i, r in enumerate(rows, start=1) if r[0] == customer_id)


def test_owners_are_told_which_of_their_rows_to_fix_even_with_nothing_else_to_do(tmp_path, smtp):
    rows = [
        *CUSTOMERS,
        customer("ZBAD", customer="张伟的坏日期客户", last_contact="上周三"),
        customer("LBAD", customer=None, owner="李娜", last_contact=dt.date(2026, 11, 17)),
    ]
    team = [*TEAM, ["王强", "wang.qiang@example.com", "陈静", "销售"]]
    rows += [customer("WBAD", owner="王强", agreed_date="下周")]  # 王强 has nothing else
    path = make_workbook(tmp_path / "b.xlsx", rows, team=team)
    sync(path, email=True, environ=smtp.env())
    checks = {k: v["check"] for k, v in results(path).items()}
    (zhang,) = smtp.inbox.to("zhang.wei@example.com")
    assert zhang["Subject"] == "2026-11-18 跟进提醒:2 项待办,1 行资料待修正(张伟)"
    text, html = parts(zhang)["text/plain"], parts(zhang)["text/html"]
    line = f"- 第 {sheet_row(path, 'ZBAD')} 行 张伟的坏日期客户(ZBAD):{checks['ZBAD']}"
    assert line in text and "资料不全、需要你修正的行" in text
    assert f"b.xlsx 第 {sheet_row(path, 'ZBAD')} 行" in html and "张伟的坏日期客户" in html
    assert "LBAD" not in text and "WBAD" not in text  # only the owner's own rows
    (wang,) = smtp.inbox.to("wang.qiang@example.com")  # only a row to fix: still a digest
    assert f"第 {sheet_row(path, 'WBAD')} 行" in parts(wang)["text/plain"]
    assert checks["WBAD"] in parts(wang)["text/plain"] and "ZBAD" not in parts(wang)["text/plain"]
    (li,) = smtp.inbox.to("li.na@example.com")
    assert f"第 {sheet_row(path, 'LBAD')} 行 (无客户名称)(LBAD)" in parts(li)["text/plain"]


UNOWNED = [
    *CUSTOMERS,
    customer("NOBODY", owner=None),
    customer("GHOST", customer="没人认识的负责人", owner="赵六"),
]
TWO_MANAGERS = [
    *TEAM,
    ["周敏", "zhou.min@example.com", "", "经理"],
    ["王强", "wang.qiang@example.com", "周敏", "销售"],
]


def test_rows_nobody_in_the_team_owns_go_to_every_manager(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", UNOWNED, team=TWO_MANAGERS)
    sync(path, email=True, environ=smtp.env())
    for manager in ("chen.jing@example.com", "zhou.min@example.com"):
        (notice,) = [m for m in smtp.inbox.to(manager) if "资料待修正" in m["Subject"]]
        assert notice["Subject"] == "2026-11-18 资料待修正:2 行没有负责人"
        text = parts(notice)["text/plain"]
        assert (
            f"- 第 {sheet_row(path, 'NOBODY')} 行 NOBODY科技有限公司(NOBODY),负责人:未填写" in text
        )
        assert f"第 {sheet_row(path, 'GHOST')} 行 没人认识的负责人(GHOST),负责人:赵六" in text
        assert "张伟的老客户" not in text and "13800000000" not in text  # names, rows, reasons
        assert "<td>赵六</td>" in parts(notice)["text/html"]
    (zhang,) = smtp.inbox.to("zhang.wei@example.com")
    assert "NOBODY" not in parts(zhang)["text/plain"]


def test_with_a_fallback_unowned_rows_go_there_and_not_to_the_managers(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", UNOWNED, team=TWO_MANAGERS)
    sync(path, email=True, environ=smtp.env(SHEETSYNC_EMAIL_FALLBACK="ops@example.com"))
    (notice,) = smtp.inbox.to("ops@example.com")
    assert "NOBODY" in parts(notice)["text/plain"] and "GHOST" in parts(notice)["text/plain"]
    assert parts(notice)["text/plain"].startswith("你好:")
    for manager in ("chen.jing@example.com", "zhou.min@example.com"):
        assert all("资料待修正" not in m["Subject"] for m in smtp.inbox.to(manager))


def test_a_copy_of_the_workbook_does_not_mail_the_day_again(tmp_path, smtp):
    rows = [
        *CUSTOMERS,
        customer(
            "Z9",
            customer="续约客户",
            last_contact=TODAY,
            contract_end=TODAY + dt.timedelta(days=20),
        ),
        customer("ZBAD", last_contact="上周三"),
        customer("NOBODY", owner=None),
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    env = smtp.env(SHEETSYNC_EMAIL_MANAGER_SUMMARY="yes")
    sync(path, email=True, environ=env)
    sent = len(smtp.inbox.messages)
    assert sent == 5  # two digests, an escalation, a summary, the unowned rows
    copy = tmp_path / "b (副本).xlsx"
    copy.write_bytes(path.read_bytes())
    report = sync(copy, email=True, environ=env)
    assert len(smtp.inbox.messages) == sent
    assert "邮件:发出0封,失败0封" in report.notes[-1]
    record = sheet_rows(copy, "邮件记录")
    assert record[0] == ("发送时间", "邮件标识", "收件人", "发往")
    assert ("fixes/陈静/2026-11-18", "陈静", "chen.jing@example.com") in [r[1:] for r in record]
    sync(copy, TODAY + dt.timedelta(days=1), email=True, environ=env)
    assert len(smtp.inbox.to("zhang.wei@example.com")) == 2  # the next day is a new day


def test_the_mail_record_is_kept_in_a_google_sheet_too(
    tmp_path, smtp, monkeypatch, sheets_api, service_account
):
    monkeypatch.chdir(tmp_path)  # a Google sheet's journal is kept in the working directory
    make_spreadsheet(sheets_api, service_account, CUSTOMERS, team=TEAM)
    google = gsheets_settings(sheets_api, service_account)
    env = smtp.env(SHEETSYNC_EMAIL_MANAGER_SUMMARY="yes")
    sync(tmp_path / "unused.xlsx", email=True, environ=env, workbook=KEY, **google)
    sent = len(smtp.inbox.messages)
    sheets_api.books["copy"] = copied = _copy_book(sheets_api.books[KEY])
    copied.key = "copy"
    sync(tmp_path / "unused.xlsx", email=True, environ=env, workbook="copy", **google)
    assert sent == 4 and len(smtp.inbox.messages) == sent
    keys = [r[1] for r in sheet_values(sheets_api, "邮件记录", key="copy")[1:]]
    assert sorted(keys) == [
        # the first sync: Z1's week-old task is in the backlog mail, not escalated
        f"{k}/2026-11-18"
        for k in ("backlog/陈静", "digest/张伟", "digest/李娜", "summary/陈静")
    ]


def test_with_no_manager_and_no_fallback_the_sync_log_says_who_was_not_told(tmp_path, smtp):
    team = [["张伟", "zhang.wei@example.com", "", "销售"]]  # nobody in the 上级 column
    path = make_workbook(
        tmp_path / "b.xlsx", [*CUSTOMERS[:1], customer("NOBODY", owner=None)], team=team
    )
    report = sync(path, email=True, environ=smtp.env())
    note = "1 行资料需修正,但没有负责人、上级或 email.fallback 可以通知"
    assert note in report.notes and note in sheet_rows(path, "同步日志")[-1][8]
    assert all("NOBODY" not in parts(m)["text/plain"] for _, m in smtp.inbox.messages)


def test_the_mail_record_tab_may_have_a_title_of_its_own(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    env = smtp.env(SHEETSYNC_TAB_MAIL_LOG="发信记录")
    sync(path, email=True, environ=env)
    sent = len(smtp.inbox.messages)
    assert sent and "发信记录" in openpyxl.load_workbook(path).sheetnames
    assert "邮件记录" not in openpyxl.load_workbook(path).sheetnames
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(path.read_bytes())
    sync(copy, email=True, environ=env)
    assert len(smtp.inbox.messages) == sent  # the copy read its record from 发信记录
