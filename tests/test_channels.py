"""Reminders in WeCom, DingTalk and Feishu/Lark: the real apprise (with our plugins) speaking
HTTP to local fakes of each vendor's webhook (chat_fakes.py), through a whole sync."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import logging
from pathlib import Path

import pytest
from chat_fakes import DingTalkFake, FeishuFake, WeComFake
from click.testing import CliRunner
from conftest import TODAY, customer, make_workbook, results, sheet_rows, sync

from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import load_settings
from sheetsync.delivery import chat_plugins
from sheetsync.delivery.records import Journal
from sheetsync.errors import ConfigError
from sheetsync.ops.cli import main

DING_TOKEN, DING_SECRET = "d1n9t0ken0001", "SEC0a1b2c3d4e5f6a7b8c9d0"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
FEISHU_TOKEN, FEISHU_SECRET = "f0e1d2c3-b4a5-4968-8778-feishu000001", "feishuSecretValue42"
TEAM = [
    ["陈静", "chen.jing@example.com", "", "经理", "陈静私聊", "13700000000", "ou_chen"],
    ["张伟", "zhang.wei@example.com", "陈静", "销售", "", "13800001111", "ou_zhang"],
    ["李娜", "li.na@example.com", "陈静", "销售", "", "+86 138-0000-2222", "ou_li"],
]
A = {"budget": "明确", "intent": "高", "decision_cycle": "20天"}  # A: daily, escalated after 1 day
CUSTOMERS = [
    customer(
        "Z1",
        customer="张伟的老客户",
        contact="王总 采购总监",
        phone="13911112222",
        summary="报价88万,等采购回复",
        annual_amount=880000,
        last_contact=dt.date(2026, 11, 10),
        **A,
    ),
    customer("Z2", customer="张伟的新客户", last_contact=dt.date(2026, 11, 15)),
    customer(
        "L1",
        customer="李娜的客户",
        phone="13955556666",
        owner="李娜",
        last_contact=dt.date(2026, 11, 15),
    ),
]
PRIVATE_WORDS = ("13911112222", "王总", "88万", "880000", "880,000", "13955556666")


HOSTS: dict[str, str] = {}  # channels.hosts while the fakes run (set by `vendors`)


@pytest.fixture
def vendors(monkeypatch):
    yield from running_vendors(monkeypatch)


def running_vendors(monkeypatch):
    """The three fakes, reached through channels.hosts (see `channels`), with no pacing."""
    fakes = {"ding": DingTalkFake(), "wecom": WeComFake(), "feishu": FeishuFake()}
    for fake in fakes.values():
        fake.start()
    fakes["ding"].add_bot(DING_TOKEN, DING_SECRET)
    fakes["wecom"].add_bot(WECOM_KEY)
    fakes["feishu"].add_bot(FEISHU_TOKEN, FEISHU_SECRET)
    HOSTS.update(
        dingtalk=fakes["ding"].url,
        wecom=fakes["wecom"].url,
        feishu=fakes["feishu"].url,
        lark=fakes["feishu"].url,
    )
    for plugin in chat_plugins.PLUGINS:
        monkeypatch.setattr(plugin, "request_rate_per_sec", 0.0)
    monkeypatch.setenv(
        "BOT_DING", f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}"
    )
    monkeypatch.setenv("BOT_DING_SECRET", DING_SECRET)
    monkeypatch.setenv(
        "BOT_WECOM", f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"
    )
    monkeypatch.setenv("BOT_FEISHU", f"https://open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_TOKEN}")
    monkeypatch.setenv("BOT_FEISHU_SECRET", FEISHU_SECRET)
    yield fakes
    HOSTS.clear()
    for fake in fakes.values():
        fake.stop()


DING = {"url_env": "BOT_DING", "secret_env": "BOT_DING_SECRET"}
WECOM = {"url_env": "BOT_WECOM"}
FEISHU = {"url_env": "BOT_FEISHU", "secret_env": "BOT_FEISHU_SECRET"}


def channels(team=("销售群",), **bots) -> dict:
    return {"team": list(team), "bots": bots, **({"hosts": dict(HOSTS)} if HOSTS else {})}


def run(path: Path, chat: dict, today: dt.date = TODAY, mail: bool = True, **settings):
    environ = {"SHEETSYNC_EMAIL_ENABLED": "yes" if mail else "no"}
    return sync(path, today, email=True, environ=environ, channels=chat, **settings)


def book(tmp_path: Path, team=TEAM, rows=CUSTOMERS, name="b.xlsx", **kwargs) -> Path:
    return make_workbook(tmp_path / name, rows, team=team, **kwargs)


def chat_note(report) -> str:
    return next(n for n in report.notes if n.startswith(("群消息", "chat:")))


def test_dingtalk_group_digest_is_signed_mentions_the_owner_and_holds_no_contact_or_amount(
    tmp_path, vendors
):
    path = book(tmp_path)
    report = run(path, channels(销售群=DING))
    assert chat_note(report).startswith("群消息:发出2条,失败0条")
    ding = vendors["ding"]
    (zhang,) = [r for r in ding.received if "张伟" in ding.text(r["body"])]
    assert zhang["query"]["sign"] == [
        DingTalkFake.sign(DING_SECRET, zhang["query"]["timestamp"][0])
    ]
    body = zhang["body"]
    assert body["msgtype"] == "text" and body["at"]["atMobiles"] == ["13800001111"]
    text = ding.text(body)
    assert "@13800001111" in text  # DingTalk shows the mention only with the text in the body
    assert "张伟的老客户" in text and "已逾期 5 天" in text and "张伟的新客户" in text
    assert not any(word in text for word in PRIVATE_WORDS)
    assert "李娜的客户" not in text
    (li,) = [r for r in ding.received if "李娜" in ding.text(r["body"])]
    assert li["body"]["at"]["atMobiles"] == ["13800002222"]  # typed as +86 138-0000-2222
    assert not any(word in ding.text(li["body"]) for word in PRIVATE_WORDS)


def test_wecom_group_digest_mentions_by_mobile(tmp_path, vendors):
    path = book(tmp_path)
    run(path, channels(销售群=WECOM))
    bodies = [r["body"] for r in vendors["wecom"].received]
    assert len(bodies) == 2
    zhang = next(b for b in bodies if "张伟" in b["text"]["content"])
    assert zhang["text"]["mentioned_mobile_list"] == ["13800001111"]
    assert not any(word in zhang["text"]["content"] for word in PRIVATE_WORDS)


def test_feishu_group_digest_is_signed_and_mentions_by_user_id(tmp_path, vendors):
    path = book(tmp_path)
    run(path, channels(销售群=FEISHU))
    feishu = vendors["feishu"]
    zhang = next(r["body"] for r in feishu.received if "张伟的老客户" in feishu.text(r["body"]))
    assert zhang["sign"] == FeishuFake.sign(FEISHU_SECRET, zhang["timestamp"])
    assert '<at user_id="ou_zhang"></at>' in zhang["content"]["text"]
    assert not any(word in zhang["content"]["text"] for word in PRIVATE_WORDS)


def test_lark_is_the_same_bot_api_on_another_host(tmp_path, vendors, monkeypatch):
    monkeypatch.setenv(
        "BOT_LARK", f"https://open.larksuite.com/open-apis/bot/v2/hook/{FEISHU_TOKEN}"
    )
    path = book(tmp_path)
    report = run(path, channels(销售群={"url_env": "BOT_LARK", "secret_env": "BOT_FEISHU_SECRET"}))
    assert chat_note(report).startswith("群消息:发出2条,失败0条")
    assert '<at user_id="ou_li"></at>' in " ".join(vendors["feishu"].texts())
    titles = [t.split("\n")[1] for t in vendors["feishu"].texts()]  # after the <at> line
    assert titles == ["【跟进提醒】2026-11-18 张伟", "【跟进提醒】2026-11-18 李娜"]
    assert all(t.count("【跟进提醒】") == 1 for t in vendors["feishu"].texts())  # once


def test_a_private_bot_gets_what_the_mail_carries(tmp_path, vendors):
    team = [TEAM[0], [*TEAM[1][:4], "张伟私聊"], TEAM[2]]
    path = book(tmp_path, team=team)
    run(path, channels(team=(), 张伟私聊={**FEISHU, "private": True}))
    (text,) = vendors["feishu"].texts()
    eml = next((tmp_path / "outbox").glob("digest-张伟-*.eml")).read_bytes()
    mail = email.message_from_bytes(eml, policy=email.policy.default)
    assert mail.get_body(("plain",)).get_content().strip() in text  # word for word
    assert "13911112222" in text and "报价88万" in text
    assert text.startswith(mail["Subject"])  # the mail's subject as the first line
    assert "<at" not in text  # a private chat needs no mention


def test_a_group_bot_named_by_a_person_gets_only_the_group_form(tmp_path, vendors):
    team = [[*TEAM[0][:4], "销售群"], [*TEAM[1][:4], "销售群"], TEAM[2]]
    path = book(tmp_path, team=team)
    run(path, channels(销售群=WECOM))
    texts = vendors["wecom"].texts()
    assert len(texts) == 2  # the 张伟 digest once, though both the team and he name the bot
    assert not any(word in t for t in texts for word in PRIVATE_WORDS)
    assert not any("逾期升级" in t for t in texts)  # 陈静's escalation stays out of the group


def known_since_due(path: Path) -> None:
    """The sync ran on the day Z1 fell due (11-11): its task escalates by its due date, not
    as the first sync's backlog (tests/test_send_calendar.py)."""
    sync(path, dt.date(2026, 11, 11))


def test_escalations_and_summaries_go_only_to_private_bots(tmp_path, vendors):
    path = book(tmp_path)
    known_since_due(path)
    run(path, channels(team=(), 陈静私聊={**DING, "private": True}))
    (text,) = vendors["ding"].texts()
    assert "逾期升级" in text and "张伟的老客户" in text


def test_never_twice_across_reruns_and_again_the_next_day(tmp_path, vendors):
    path = book(tmp_path)
    chat = channels(销售群=DING)
    run(path, chat)
    report = run(path, chat)
    assert len(vendors["ding"].received) == 2
    assert chat_note(report) == "群消息:发出0条,失败0条,2条之前已发"
    record = sheet_rows(path, "邮件记录")
    assert ("digest/张伟/2026-11-18@销售群", "张伟", "钉钉 销售群") in [r[1:] for r in record]
    assert not any("access_token" in str(v) or DING_TOKEN in str(v) for r in record for v in r)
    run(path, chat, TODAY + dt.timedelta(days=1))
    assert len(vendors["ding"].received) == 4


class Killed(BaseException):
    """The process dying: nothing after it runs."""


def test_a_crash_between_sending_and_writing_the_sheet_sends_nothing_twice(
    tmp_path, vendors, monkeypatch
):
    path = book(tmp_path)
    chat = channels(销售群=WECOM)

    def die(self, changes):
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(XlsxBackend, "write", die)
        with pytest.raises(Killed):
            run(path, chat, mail=False)
    assert len(vendors["wecom"].received) == 2
    report = run(path, chat, mail=False)
    assert len(vendors["wecom"].received) == 2
    assert "2条之前已发" in chat_note(report)
    keys = [r[1] for r in sheet_rows(path, "邮件记录")[1:]]
    assert "digest/张伟/2026-11-18@销售群" in keys  # recorded from the journal
    assert any(r[8] for r in sheet_rows(path, "任务记录")[1:])  # without mail, chat stamps 提醒时间


def test_a_copy_of_the_workbook_does_not_send_the_day_again(tmp_path, vendors):
    path = book(tmp_path)
    chat = channels(销售群=DING)
    run(path, chat)
    copy = tmp_path / "b (副本).xlsx"
    copy.write_bytes(path.read_bytes())
    run(copy, chat)
    assert len(vendors["ding"].received) == 2


def test_a_refusing_bot_fails_alone_and_is_retried_next_run(tmp_path, vendors, monkeypatch):
    monkeypatch.setenv("BOT_DING_SECRET", "SECwrongwrongwrong0")
    path = book(tmp_path)
    report = run(path, channels(team=("钉钉群", "企微群"), 钉钉群=DING, 企微群=WECOM))
    note = chat_note(report)
    assert note.startswith("群消息:发出2条,失败2条")
    assert "钉钉拒收" in note and "310000" in note
    assert "这个机器人本次已失败" in note  # the second DingTalk message was not even tried
    assert vendors["ding"].requests == 1 and not vendors["ding"].received
    assert len(vendors["wecom"].received) == 2  # the other bot went on
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3  # so did the mail
    assert results(path)["Z1"]["status"] == "已逾期"  # and the sheet write
    assert "失败2条" in sheet_rows(path, "同步日志")[-1][8]
    monkeypatch.setenv("BOT_DING_SECRET", DING_SECRET)
    report = run(path, channels(team=("钉钉群", "企微群"), 钉钉群=DING, 企微群=WECOM))
    assert chat_note(report).startswith("群消息:发出2条,失败0条,2条之前已发")
    assert len(vendors["ding"].received) == 2 and len(vendors["wecom"].received) == 2


@pytest.mark.parametrize(
    "vendor, bot, code",
    [("wecom", WECOM, "45009"), ("ding", DING, "130101"), ("feishu", FEISHU, "11232")],
)
def test_a_rate_limit_streak_stops_that_bot_until_the_next_run(
    tmp_path, vendors, vendor, bot, code
):
    vendors[vendor].rate_limit(1)
    path = book(tmp_path)
    report = run(path, channels(销售群=bot))
    assert f"发送太频繁({code})" in chat_note(report)
    assert vendors[vendor].requests == 1  # the second message was not tried
    run(path, channels(销售群=bot))
    assert len(vendors[vendor].received) == 2


def test_a_failed_mail_is_retried_though_the_chat_delivered(tmp_path, vendors):
    from smtp_server import Smtp

    server = Smtp()  # not listening yet
    path = book(tmp_path)
    chat = channels(销售群=WECOM)
    env = server.env()
    first = sync(path, email=True, environ=env, channels=chat)
    assert any("失败3封" in n for n in first.notes) and len(vendors["wecom"].received) == 2
    server.controller.start()
    try:
        sync(path, email=True, environ=env, channels=chat)
        assert len(server.inbox.messages) == 3  # the chat's delivery did not count as the mail's
        assert len(vendors["wecom"].received) == 2
    finally:
        server.controller.stop()


def test_instead_of_mail_escalations_go_once(tmp_path, vendors):
    path = book(tmp_path)
    known_since_due(path)
    chat = channels(team=(), 陈静私聊={**DING, "private": True})
    run(path, chat, mail=False)
    assert not (tmp_path / "outbox").exists()
    run(path, chat, TODAY + dt.timedelta(days=1), mail=False)
    (text,) = vendors["ding"].texts()  # escalated once: 任务记录's 升级时间 records it
    assert "逾期升级" in text and "张伟的老客户" in text
    assert any(r[9] for r in sheet_rows(path, "任务记录")[1:])


def test_a_long_digest_is_split_to_fit_wecoms_2048_bytes(tmp_path, vendors):
    rows = [
        customer(
            f"Z{i}",
            customer=f"张伟的第{i}个客户有限公司分公司",
            last_contact=dt.date(2026, 11, 10),
            **A,
        )
        for i in range(60)
    ]
    path = book(tmp_path, rows=rows)
    report = run(path, channels(销售群=WECOM))
    assert chat_note(report).startswith("群消息:发出1条,失败0条")
    texts = vendors["wecom"].texts()
    assert len(texts) > 1 and all(len(t.encode()) <= 2048 for t in texts)


def test_english_workbook_gets_english_chat(tmp_path, vendors):
    team = [["Zhang Wei", "zw@example.com", "", "Sales", "", "13800001111", ""]]
    rows = [customer("Z1", owner="Zhang Wei", last_contact=dt.date(2026, 11, 10))]
    path = book(tmp_path, team=team, rows=rows, locale="en")
    report = run(path, channels(team=("sales",), sales=WECOM))
    assert chat_note(report).startswith("chat: 1 sent, 0 failed")
    (text,) = vendors["wecom"].texts()
    assert text.startswith("[Follow-ups] 2026-11-18 Zhang Wei") and "overdue" in text


def test_secrets_never_appear_in_logs_output_or_the_workbook(
    tmp_path, vendors, monkeypatch, caplog
):
    monkeypatch.setenv("BOT_DING_SECRET", "SECwrongwrongwrong0")
    monkeypatch.setenv(
        "BOT_DEAD", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=deadkey0000000"
    )
    monkeypatch.setitem(HOSTS, "wecom", "http://127.0.0.1:9")  # nothing listens there
    path = book(tmp_path)
    config = tmp_path / "s.yaml"
    settings = {
        "workbook": str(path),
        "email": {"outbox": str(tmp_path / "outbox")},
        "channels": channels(team=("钉钉群", "死群"), 钉钉群=DING, 死群={"url_env": "BOT_DEAD"}),
    }
    config.write_text(json.dumps(settings, ensure_ascii=False), encoding="utf-8")
    caplog.set_level(logging.DEBUG)
    out = CliRunner().invoke(main, ["-v", "--log-format", "json", "sync", "--config", str(config)])
    assert out.exit_code == 0, out.output
    assert "钉钉拒收" in out.output and "企业微信连不上(ConnectionError)" in out.output
    text = out.output + caplog.text + json.dumps(sheet_rows(path, "同步日志"), default=str)
    text += (tmp_path / ".b.xlsx.sent.jsonl").read_text(encoding="utf-8")
    for secret in (DING_TOKEN, "SECwrongwrongwrong0", DING_SECRET, "deadkey0000000", WECOM_KEY):
        assert secret not in text


def test_apprises_own_dingtalk_plugin_signs_wrongly_which_is_why_ours_exists(vendors, monkeypatch):
    from apprise.plugins.dingtalk import NotifyDingTalk

    monkeypatch.setattr(
        NotifyDingTalk, "notify_url", f"{vendors['ding'].url}/robot/send?access_token={{token}}"
    )
    theirs = NotifyDingTalk(token=DING_TOKEN, secret=DING_SECRET)
    assert theirs.notify("hello")  # apprise believes it was sent (HTTP 200) ...
    assert not vendors["ding"].received  # ... but DingTalk refused the twice-quoted sign
    ours = chat_plugins.DingTalkBot(
        token=DING_TOKEN, secret=DING_SECRET, base_url=HOSTS["dingtalk"]
    )
    assert ours.notify("hello") and len(vendors["ding"].received) == 1


def test_what_the_team_tab_asks_for_but_cannot_be_done_is_said(tmp_path, vendors):
    team = [[*TEAM[0][:4], "老板群"], [*TEAM[1][:4], "共享"], [*TEAM[2][:4], "共享"]]
    path = book(tmp_path, team=team)
    report = run(path, channels(team=(), 共享={**WECOM, "private": True}))
    notes = " ".join(report.notes)
    assert "通知渠道写了“老板群”" in notes
    assert "“共享”标为私人,却有多人(张伟、李娜)使用" in notes
    assert not any(word in t for t in vendors["wecom"].texts() for word in PRIVATE_WORDS)


def test_a_bot_whose_address_is_not_set_fails_its_messages_only(tmp_path, vendors):
    path = book(tmp_path)
    report = run(
        path, channels(team=("缺", "企微群"), 缺={"url_env": "NOT_SET_ANYWHERE"}, 企微群=WECOM)
    )
    assert "$NOT_SET_ANYWHERE" in chat_note(report) and len(vendors["wecom"].received) == 2


def test_settings_name_only_defined_bots_and_know_their_variables(tmp_path):
    with pytest.raises(ConfigError, match="no bot named 群"):
        load_settings(environ={}, channels={"team": "群"})
    config = tmp_path / "s.yaml"
    config.write_text(
        "channels:\n  team: 群\n  bots:\n    群: {url_env: SHEETSYNC_BOT_SALES, secret_file: s.txt}\n",
        encoding="utf-8",
    )
    from sheetsync.config import _password_envs, _read_file, unknown_variables

    settings = load_settings(config, environ={"SHEETSYNC_CHANNELS_ENABLED": "no"})
    assert not settings.channels.enabled
    assert settings.channels.bots["群"].secret_file == str(tmp_path / "s.txt")
    envs = _password_envs(_read_file(config))
    assert unknown_variables({"SHEETSYNC_BOT_SALES": "x"}, envs) == {}


def test_dry_run_shows_the_messages_and_sends_nothing(tmp_path, vendors):
    path = book(tmp_path)
    report = run(path, channels(销售群=DING), dry_run=True)
    assert any(p.startswith("群消息:销售群") for p in report.mail_previews)
    assert vendors["ding"].requests == 0 and not Journal(tmp_path / ".b.xlsx.sent.jsonl").entries()


def test_a_traditional_workbook_gets_traditional_group_words_with_names_as_written():
    from sheetsync.delivery.channels import Message, Writer
    from sheetsync.delivery.remind import Mail
    from sheetsync.settings_sections import EmailSettings

    task = {"customer": "张伟的老客户", "grade": "A", "days_overdue": 2, "action": "电话"}
    context = {"owner": "张伟", "today": TODAY, "tasks": [task], "contracts": []}
    mail = Mail("digest", "张伟", "", "digest/张伟/2026-11-18", {**context, "birthdays": []})
    _, text = Writer("zh-Hant", EmailSettings()).write(Message(mail, "群", True), TODAY)
    assert text.startswith("【跟進提醒】2026-11-18 张伟")  # the template's words converted
    assert "张伟的老客户" in text and "已逾期 2 天" in text


def test_a_google_sheet_keeps_the_chat_record_too(
    tmp_path, vendors, monkeypatch, sheets_api, service_account
):
    from conftest import KEY, gsheets_settings, make_spreadsheet, sheet_values
    from sheets_fake import _copy_book

    monkeypatch.chdir(tmp_path)  # a Google sheet's journal is kept in the working directory
    make_spreadsheet(sheets_api, service_account, CUSTOMERS, team=TEAM)
    google = gsheets_settings(sheets_api, service_account)
    chat = channels(销售群=FEISHU)
    run(tmp_path / "unused.xlsx", chat, workbook=KEY, **google)
    sheets_api.books["copy"] = copied = _copy_book(sheets_api.books[KEY])
    copied.key = "copy"
    run(tmp_path / "unused.xlsx", chat, workbook="copy", **google)  # no journal for the copy
    assert len(vendors["feishu"].received) == 2
    keys = [r[1] for r in sheet_values(sheets_api, "邮件记录", key="copy")[1:]]
    assert "digest/李娜/2026-11-18@销售群" in keys and "digest/李娜/2026-11-18" in keys


def test_messages_to_one_bot_are_spaced_as_the_vendor_allows(vendors, monkeypatch):
    from sheetsync.delivery.channels import Bot
    from sheetsync.settings_sections import BotSettings

    monkeypatch.setattr(chat_plugins.WeComBot, "request_rate_per_sec", 3.1)  # 20 a minute
    waits = []
    bot = Bot(BotSettings("群", url_env="BOT_WECOM"), "zh", sleep=waits.append, hosts=HOSTS)
    assert bot.send("", "一", []) == "" and bot.send("", "二", []) == ""
    assert waits == [pytest.approx(3.1, abs=0.5)] and vendors["wecom"].texts() == ["一", "二"]


def test_a_name_cannot_mention_the_whole_feishu_group(tmp_path, vendors):
    rows = [
        customer("X1", customer='<at user_id="all">所有人</at>', last_contact=dt.date(2026, 11, 10))
    ]
    path = book(tmp_path, rows=rows)
    run(path, channels(销售群=FEISHU))
    (text,) = vendors["feishu"].texts()
    assert '<at user_id="all">' not in text and '<at user_id="ou_zhang"></at>' in text
    assert "所有人" in text  # the name is still shown


def test_doctor_checks_each_bot_and_every_name_without_posting_or_showing_secrets(
    tmp_path, vendors, monkeypatch
):
    import yaml

    team = [*TEAM[:2], ["李娜", "li.na@example.com", "陈静", "销售", "", "", ""]]
    path = book(tmp_path, team=team)  # 陈静 names 陈静私聊, which no settings define
    config = tmp_path / "sheetsync.yaml"
    chat = channels(team=("钉钉群", "缺"), 钉钉群=DING, 缺={"url_env": "NOT_SET_ANYWHERE"})
    config.write_text(yaml.safe_dump({"workbook": str(path), "channels": chat}, allow_unicode=True))
    result = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    assert result.exit_code == 1
    assert "chat bot 钉钉群: DingTalk address and secret readable" in result.output
    assert "[FAIL]" in result.output and "chat bot 缺:" in result.output
    assert "$NOT_SET_ANYWHERE" in result.output
    assert "no bot defined for 陈静私聊 (通知渠道 of 陈静)" in result.output
    assert "not @-mentioned in the group (no 手机 / 飞书ID): 李娜" in result.output
    assert DING_TOKEN not in result.output and DING_SECRET not in result.output
    assert not vendors["ding"].received  # nothing posted to the team's group
