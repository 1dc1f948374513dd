"""Signals a team can trust: complaint alerts and chat reminders that arrive once, in the
sheet's language, through each vendor's configured host (the local fakes of chat_fakes.py)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import json
import re

import pytest
import yaml
from click.testing import CliRunner
from conftest import TODAY, customer, make_workbook, sheet_rows, sync
from test_channels import (
    CUSTOMERS,
    DING,
    DING_SECRET,
    DING_TOKEN,
    FEISHU,
    TEAM,
    WECOM_KEY,
    A,
    book,
    channels,
    chat_note,
    run,
    running_vendors,
)
from test_email import known_since_due

from sheetsync.config import load_settings
from sheetsync.errors import ConfigError
from sheetsync.ops.cli import main


@pytest.fixture
def chat_fakes(monkeypatch):
    """The vendors' fakes, reached through channels.hosts (test_channels.py)."""
    yield from running_vendors(monkeypatch)


MAIL_ON = {"SHEETSYNC_EMAIL_ENABLED": "yes"}
DAY = dt.timedelta(days=1)
D10 = dt.date(2026, 11, 10)  # a contact before the first sync (11-11), none since


def complaint(name: str = "老客户", **values) -> dict:
    return customer("A1", customer=name, feedback="客户要求解约并退款", **values)


def alert_mail(tmp_path) -> email.message.EmailMessage:
    (eml,) = (tmp_path / "outbox").glob("alert-A1-*.eml")
    return email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)


# --- complaint alerts --------------------------------------------------------------------
def test_a_complaint_alert_reaches_the_managers_group_bot(tmp_path, chat_fakes):
    path = make_workbook(tmp_path / "b.xlsx", [complaint()], team=TEAM)
    chat = channels(team=(), 陈静私聊=DING)  # 陈静's bot, a group others read too
    report = sync(path, TODAY, email=True, environ=MAIL_ON, channels=chat)
    notes = " ".join(report.notes)
    assert "投诉提醒(群消息):发出1条,失败0条" in notes and "Error" not in notes
    (alert,) = [t for t in chat_fakes["ding"].texts() if "需重点关注" in t]
    assert "老客户" in alert and "张伟" in alert
    assert "退款" not in alert  # the customer's words stay out of a group


def test_alert_subjects_in_plain_text_are_not_html_escaped(tmp_path, chat_fakes):
    path = make_workbook(tmp_path / "b.xlsx", [complaint("A&B <x>")], team=TEAM)
    chat = channels(team=(), 陈静私聊={**DING, "private": True})
    sync(path, TODAY, email=True, environ=MAIL_ON, channels=chat)
    mail = alert_mail(tmp_path)
    assert "A&B <x>" in mail["Subject"] and "&amp;" not in mail["Subject"]
    assert "A&amp;B &lt;x&gt;" in mail.get_body(("html",)).get_content()  # escaped in HTML only
    (text,) = [t for t in chat_fakes["ding"].texts() if "需重点关注" in t]
    assert text.startswith("【需重点关注】A&B <x>") and "&amp;" not in text and "&lt;" not in text


def test_a_group_alert_names_the_customer_unescaped(tmp_path, chat_fakes):
    path = make_workbook(tmp_path / "b.xlsx", [complaint("A&B <x>")], team=TEAM)
    sync(path, TODAY, email=True, environ=MAIL_ON, channels=channels(team=(), 陈静私聊=DING))
    (text,) = [t for t in chat_fakes["ding"].texts() if "需重点关注" in t]
    assert "A&B <x>" in text and "&amp;" not in text


def test_the_alert_mail_holds_the_contact_the_owners_phone_and_the_words(tmp_path):
    team = [[*TEAM[0]], [*TEAM[1][:5], "138 0000 1111", "ou_zhang"], TEAM[2]]
    row = complaint(contact="王总", phone="139 1111 2222")
    path = make_workbook(tmp_path / "b.xlsx", [row], team=team)
    sync(path, TODAY, email=True, environ=MAIL_ON)
    mail = alert_mail(tmp_path)
    page = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert 'name="viewport"' in page and "<html" in page  # a page a phone lays out, not 980 px
    for body in (html.unescape(page), text):
        assert "王总" in body and "139 1111 2222" in body  # whom to call at the customer
        assert "张伟" in body and "138 0000 1111" in body  # and the owner, to call first
        word = re.search(r'需重点关注:"([^"]+)"', body)  # the words that raised it, quoted
        assert word and word[1] in "客户要求解约并退款"
    assert 'href="tel:13911112222"' in page and 'href="tel:13800001111"' in page


# --- the settings and doctor -----------------------------------------------------------------
def test_doctor_accepts_a_bot_address_variable_named_by_url_env(tmp_path, chat_fakes, monkeypatch):
    path = book(tmp_path)
    monkeypatch.setenv(
        "SHEETSYNC_BOT_DING", f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}"
    )
    monkeypatch.setenv("SHEETSYNC_BOT_DING_SECRET", DING_SECRET)
    bot = {"url_env": "SHEETSYNC_BOT_DING", "secret_env": "SHEETSYNC_BOT_DING_SECRET"}
    config = tmp_path / "sheetsync.yaml"
    settings = {"workbook": str(path), "channels": channels(钉钉群=bot, team=("钉钉群",))}
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    assert "unknown setting" not in result.output and "SHEETSYNC_TAB" not in result.output
    assert "chat bot 钉钉群: DingTalk address and secret readable" in result.output
    monkeypatch.setenv("SHEETSYNC_TAB_GRADNG", "x")  # a real typo is still caught
    typo = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    assert (
        "SHEETSYNC_TAB_GRADNG: unknown setting, did you mean SHEETSYNC_TAB_GRADING?" in typo.output
    )


def test_each_vendors_host_is_a_setting_defaulting_to_the_public_one(tmp_path):
    hosts = load_settings(environ={}, workbook=str(tmp_path / "b.xlsx")).channels.hosts
    assert hosts == {
        "dingtalk": "https://oapi.dingtalk.com",
        "wecom": "https://qyapi.weixin.qq.com",
        "feishu": "https://open.feishu.cn",
        "lark": "https://open.larksuite.com",
    }
    own = {"hosts": {"dingtalk": "https://ding.example.com/"}}
    settings = load_settings(environ={}, workbook="b.xlsx", channels=own)
    assert settings.channels.hosts["dingtalk"] == "https://ding.example.com"
    assert settings.channels.hosts["wecom"] == "https://qyapi.weixin.qq.com"
    for bad, said in (({"dingtlak": "https://x"}, "not a vendor"), ({"wecom": "x"}, "http")):
        with pytest.raises(ConfigError, match=said):
            load_settings(environ={}, workbook="b.xlsx", channels={"hosts": bad})


def test_a_private_deployments_own_webhook_address_is_posted_to_its_host(
    tmp_path, chat_fakes, monkeypatch
):
    """钉钉专属版 / 私有化企业微信: the webhook address the deployment shows is on its host."""
    ding, wecom = chat_fakes["ding"], chat_fakes["wecom"]
    monkeypatch.setenv("BOT_DING", f"{ding.url}/robot/send?access_token={DING_TOKEN}")
    monkeypatch.setenv("BOT_WECOM", f"{wecom.url}/cgi-bin/webhook/send?key={WECOM_KEY}")
    path = book(tmp_path)
    wecom_bot = {"url_env": "BOT_WECOM"}
    report = run(path, channels(team=("钉钉群", "企微群"), 钉钉群=DING, 企微群=wecom_bot))
    assert chat_note(report).startswith("群消息:发出4条,失败0条")
    assert len(ding.received) == 2 and len(wecom.received) == 2


# --- once, and again when it failed -------------------------------------------------------
def test_a_failed_chat_escalation_is_sent_on_a_later_day_and_the_mail_not_again(
    tmp_path, chat_fakes, monkeypatch
):
    path = book(tmp_path)
    chat = channels(team=(), 陈静私聊={**DING, "private": True})
    known_since_due(path)
    monkeypatch.setenv("BOT_DING_SECRET", "SECwrongwrongwrong0")  # DingTalk refuses today
    run(path, chat)
    outbox = tmp_path / "outbox"
    assert len(list(outbox.glob("escalation-*.eml"))) == 1 and not chat_fakes["ding"].received
    monkeypatch.setenv("BOT_DING_SECRET", DING_SECRET)
    for day in (TODAY + DAY, TODAY + 2 * DAY):
        run(path, chat, day)
    escalations = [t for t in chat_fakes["ding"].texts() if "逾期升级" in t]
    assert len(escalations) == 1 and "张伟的老客户" in escalations[0]  # once, the next day
    assert len(list(outbox.glob("escalation-*.eml"))) == 1  # the mail was not sent again


def test_a_delivered_chat_escalation_is_not_sent_again_on_a_runner_without_the_journal(
    tmp_path, chat_fakes
):
    """A fresh runner (CI) has only the workbook: its 邮件记录 tab says what each bot carried."""
    path = book(tmp_path)
    chat = channels(team=(), 陈静私聊={**DING, "private": True})
    known_since_due(path)
    journal = tmp_path / ".b.xlsx.sent.jsonl"
    for day in (TODAY, TODAY + DAY, TODAY + 2 * DAY):
        run(path, chat, day)
        journal.unlink()
    escalations = [t for t in chat_fakes["ding"].texts() if "逾期升级" in t]
    assert len(escalations) == 1 and "张伟的老客户" in escalations[0]
    assert len(list((tmp_path / "outbox").glob("escalation-*.eml"))) == 1


def test_a_failed_chat_escalation_is_sent_once_on_a_later_day_without_the_journal(
    tmp_path, chat_fakes, monkeypatch
):
    """What the bot still owes is in 邮件记录 too: a fresh runner retries it, once."""
    path = book(tmp_path)
    chat = channels(team=(), 陈静私聊={**DING, "private": True})
    known_since_due(path)
    journal = tmp_path / ".b.xlsx.sent.jsonl"
    monkeypatch.setenv("BOT_DING_SECRET", "SECwrongwrongwrong0")  # DingTalk refuses today
    run(path, chat)
    journal.unlink()
    monkeypatch.setenv("BOT_DING_SECRET", DING_SECRET)
    for day in (TODAY + DAY, TODAY + 2 * DAY):
        run(path, chat, day)
        journal.unlink()
    escalations = [t for t in chat_fakes["ding"].texts() if "逾期升级" in t]
    assert len(escalations) == 1 and "张伟的老客户" in escalations[0]
    assert len(list((tmp_path / "outbox").glob("escalation-*.eml"))) == 1


def test_a_bot_added_later_gets_no_escalations_the_mail_already_delivered(tmp_path, chat_fakes):
    """The manager read yesterday's escalation in the mail: a new bot starts with today's."""
    later = customer("Z3", customer="张伟的新单", last_contact=TODAY, **A)  # due 11-19
    path = book(tmp_path, rows=[*CUSTOMERS, later])
    known_since_due(path)
    sync(path, TODAY, email=True, environ=MAIL_ON)  # mail only: Z1 escalated to 陈静
    assert len(list((tmp_path / "outbox").glob("escalation-*.eml"))) == 1
    chat = channels(team=(), 陈静私聊={**DING, "private": True})
    for day in (TODAY + DAY, TODAY + 2 * DAY, TODAY + 3 * DAY):
        run(path, chat, day)
    escalations = [t for t in chat_fakes["ding"].texts() if "逾期升级" in t]
    assert len(escalations) == 1 and "张伟的新单" in escalations[0]  # escalated on 11-20
    assert "张伟的老客户" not in escalations[0]


def test_escalations_a_bot_delivered_before_it_kept_their_tasks_are_not_sent_again(
    tmp_path, chat_fakes
):
    """A journal written before each bot kept its escalated tasks: what the mail escalated
    on the day of the bot's escalation counts as carried."""
    path = book(tmp_path)
    chat = channels(team=(), 陈静私聊={**DING, "private": True})
    known_since_due(path)
    run(path, chat)
    journal = tmp_path / ".b.xlsx.sent.jsonl"
    lines = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert any("chat_escalates" in e for e in lines)
    older = [{k: v for k, v in e.items() if k != "chat_escalates"} for e in lines]
    journal.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in older))
    run(path, chat, TODAY + DAY)
    assert len([t for t in chat_fakes["ding"].texts() if "逾期升级" in t]) == 1


def test_a_vendor_answering_too_late_gets_the_message_at_most_twice(
    tmp_path, chat_fakes, monkeypatch
):
    wecom = chat_fakes["wecom"]
    wecom.delay = 1.5  # takes the message, answers after the client's 0.3 s
    monkeypatch.setenv(
        "BOT_WECOM", f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}&rto=0.3"
    )
    path = book(tmp_path, rows=[CUSTOMERS[0]])  # one digest: 张伟's
    chat = channels(企微群={"url_env": "BOT_WECOM"}, team=("企微群",))
    first = chat_note(run(path, chat, mail=False))
    assert len(wecom.received) == 1
    assert "1条不确定是否送达" in first and "下次运行重发一次" in first
    second = chat_note(run(path, chat, mail=False))
    assert len(wecom.received) == 2  # the one retry
    assert "重发后仍不确定是否送达" in second and "不再重发" in second
    for _ in range(2):
        run(path, chat, mail=False)
    assert len(wecom.received) == 2  # never again
    journal = (tmp_path / ".b.xlsx.sent.jsonl").read_text(encoding="utf-8").splitlines()
    states = [json.loads(line).get("state") for line in journal]
    assert "uncertain" in states


# --- in the sheet's language --------------------------------------------------------------
def test_missing_managers_and_addresses_are_said_in_the_sheets_language(tmp_path):
    team = [
        ["陈静", "", "", "经理", "", "", ""],  # no address: the complaint alert cannot go
        ["张伟", "zhang.wei@example.com", "陈静", "销售", "", "", ""],
        ["李娜", "li.na@example.com", "", "销售", "", "", ""],  # no manager
    ]
    rows = [complaint(last_contact=D10), customer("L1", owner="李娜", last_contact=D10)]
    rows[1].update(budget="明确", intent="高", decision_cycle="20天")  # escalated after a day
    path = make_workbook(tmp_path / "b.xlsx", rows, team=team)
    sync(path, dt.date(2026, 11, 11))  # the sync knew L1's task before it was overdue
    report = sync(path, TODAY, email=True, environ=MAIL_ON)
    notes = " ".join(report.notes)
    assert "李娜没有上级" in notes and "逾期升级未发出" in notes
    assert "没有收件地址" in notes
    assert "no manager" not in notes and "no address" not in notes


# --- an id that means everyone (issue 28) --------------------------------------------------
@pytest.mark.parametrize("typed", ["all", "@all", "所有人", 'x"></at><at user_id="all'])
def test_a_feishu_id_meaning_everyone_mentions_nobody_and_is_named(tmp_path, chat_fakes, typed):
    team = [list(r) for r in TEAM]
    team[1][6] = typed  # 张伟's 飞书ID
    path = book(tmp_path, team=team)
    report = run(path, channels(销售群=FEISHU))
    texts = chat_fakes["feishu"].texts()
    assert texts and not any('user_id="all"' in t for t in texts)
    assert any("不能用来@人" in n and "第3行" in n and "张伟" in n for n in report.notes)


# --- bounded messages (issue 28) -------------------------------------------------------------
def test_a_huge_cell_is_cut_in_the_mail_and_the_chat(tmp_path, chat_fakes):
    """A name or a note of any length is shown cut, with "…": the mail and each chat message
    stay the size of an ordinary one."""
    name, note = "名" * 300_000, "记" * 100_000
    rows = [customer("Z1", customer=name, summary=note, feedback=note, last_contact=D10)]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    run(path, channels(销售群=DING, team=("销售群",)))
    (digest,) = (tmp_path / "outbox").glob("digest-张伟-*.eml")
    assert digest.stat().st_size < 40_000
    mail = email.message_from_bytes(digest.read_bytes(), policy=email.policy.default)
    text = mail.get_body(("plain",)).get_content()
    assert len(text) < 5_000 and "名" * 79 + "…" in text
    texts = chat_fakes["ding"].texts()
    assert len(texts) == 1 and len(texts[0]) < 5_000


def test_the_chat_step_ends_at_its_deadline_and_the_rest_go_out_next_run(
    tmp_path, chat_fakes, monkeypatch
):
    """A vendor that holds each answer for seconds does not hold the run: past
    channels.deadline nothing more is tried, the sheet is written, the next run sends it."""
    wecom = chat_fakes["wecom"]
    wecom.delay = 3.0  # takes the message, answers long after the step's deadline
    monkeypatch.setenv(
        "BOT_WECOM", f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"
    )
    path = book(tmp_path)  # two owners: two group digests
    chat = {**channels(企微群={"url_env": "BOT_WECOM"}, team=("企微群",)), "deadline": 0.5}
    note = chat_note(run(path, chat, mail=False))
    assert "1条超过发送时限(0.5秒" in note and "1条不确定是否送达" in note
    assert len(wecom.received) == 1
    assert len(sheet_rows(path, "同步日志")) == 2  # the sheet was written all the same
    wecom.delay = 0.0
    run(path, chat, mail=False)
    owners = {t.split("\n")[0] for t in wecom.texts()}
    assert len(wecom.received) == 3 and len(owners) == 2  # the late one, and the one retry


def test_alerts_to_one_person_are_capped_per_run_and_the_rest_follow(tmp_path):
    """12 complaints at once (a pasted column): 5 alerts to the manager this run, the rest
    said in one line and sent on the next runs, each once."""
    rows = [customer(f"A{i:02d}", feedback="客户要求解约并退款") for i in range(12)]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    outbox = tmp_path / "outbox"
    counts, notes = [], []
    for _ in range(3):
        report = sync(path, TODAY, email=True, environ=MAIL_ON, max_alerts=5)
        counts.append(len(list(outbox.glob("alert-*.eml"))))
        notes.append(" ".join(report.notes))
    assert counts == [5, 10, 12]
    assert "另有7条下次运行再发" in notes[0] and "另有2条" in notes[1] and "另有" not in notes[2]
