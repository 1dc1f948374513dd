"""Private messages from the Feishu app (channels.feishu_app): whole syncs of real .xlsx
workbooks whose digests, escalations and complaint alerts go over HTTP to the local fake of
Feishu's messages API (feishu_im_fake.py), each person by their 飞书ID or 邮箱, once."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
from pathlib import Path

import pytest
from conftest import TODAY, customer, make_workbook, sheet_rows, sync
from feishu_fake import FeishuFake
from feishu_im_fake import FeishuIM, user

from sheetsync import feishu_api

SECRET = "appSecretValue-0123456789"
# 负责人, 邮箱, 上级, 角色, 通知渠道, 手机, 飞书ID: 陈静 by open_id, 张伟 by his 邮箱 (no 飞书ID),
# 李娜 by user_id
TEAM = [
    ["陈静", "chen.jing@example.com", "", "经理", "", "", "ou_chen"],
    ["张伟", "zhang.wei@example.com", "陈静", "销售", "", "", ""],
    ["李娜", "li.na@example.com", "陈静", "销售", "", "", "u_li"],
]
USERS = [
    user("陈静", "chen", "chen.jing@example.com"),
    user("张伟", "zhang", "zhang.wei@example.com"),
    user("李娜", "li", "li.na@example.com"),
]
A = {"budget": "明确", "intent": "高", "decision_cycle": "20天"}  # A: daily, escalated after 1 day
CUSTOMERS = [
    customer(
        "Z1",
        customer="张伟的老客户",
        phone="13911112222",
        summary="报价88万,等采购回复",
        last_contact=dt.date(2026, 11, 10),
        **A,
    ),
    customer("L1", customer="李娜的客户", owner="李娜", last_contact=dt.date(2026, 11, 15)),
]


@pytest.fixture
def feishu(monkeypatch):
    """The fake open platform with its messages API; the app's credentials in the
    environment; rate-limit waits recorded instead of slept."""
    fake = FeishuFake(apps={"cli_test": SECRET}).start()
    im = FeishuIM(fake, USERS)
    monkeypatch.setenv("SHEETSYNC_FEISHU_APP_ID", "cli_test")
    monkeypatch.setenv("SHEETSYNC_FEISHU_APP_SECRET", SECRET)
    im.waits = []
    monkeypatch.setattr(feishu_api, "pause_for", im.waits.append)
    yield im
    fake.stop()


def book(tmp_path: Path, rows=CUSTOMERS, team=TEAM, locale="zh") -> Path:
    path = make_workbook(tmp_path / "b.xlsx", rows, locale=locale, team=team)
    sync(path, dt.date(2026, 11, 11))  # known since Z1 fell due: escalated by its due date
    return path


def run(path: Path, im: FeishuIM, today: dt.date = TODAY):
    environ = {"SHEETSYNC_EMAIL_ENABLED": "yes"}
    channels = {"feishu_app": True}
    feishu = {"base_url": im.fake.url}
    return sync(path, today, email=True, environ=environ, channels=channels, feishu=feishu)


def chat_note(report) -> str:
    return next(n for n in report.notes if n.startswith(("群消息", "chat:")))


def plain(path: Path, pattern: str) -> tuple[str, str]:
    eml = next((path.parent / "outbox").glob(pattern)).read_bytes()
    mail = email.message_from_bytes(eml, policy=email.policy.default)
    return str(mail["Subject"]), mail.get_body(("plain",)).get_content().strip()


def test_digest_and_escalation_reach_each_person_by_open_id_user_id_and_email(tmp_path, feishu):
    path = book(tmp_path)
    report = run(path, feishu)
    assert chat_note(report).startswith("群消息:发出3条,失败0条")
    (zhang,) = feishu.received["ou_zhang"]  # no 飞书ID: by the 邮箱 of 团队
    assert zhang["by"] == "email" and zhang["msg_type"] == "post"
    subject, text = plain(path, "digest-张伟-*.eml")
    assert zhang["title"] == subject and zhang["text"] == text  # the mail's words
    assert "张伟的老客户" in text and "13911112222" in text
    (li,) = feishu.received["ou_li"]
    assert li["by"] == "user_id" and "李娜的客户" in li["text"]
    (chen,) = feishu.received["ou_chen"]
    assert chen["by"] == "open_id" and "逾期升级" in chen["title"]
    assert "张伟的老客户" in chen["text"]
    record = [r[1:] for r in sheet_rows(path, "邮件记录")]
    assert ("digest/张伟/2026-11-18@feishu_app", "张伟", "飞书私信 zhang.wei@example.com") in record


def test_each_goes_once_across_runs_and_again_the_next_day(tmp_path, feishu):
    path = book(tmp_path)
    run(path, feishu)
    report = run(path, feishu)
    assert chat_note(report) == "群消息:发出0条,失败0条,2条之前已发"  # and no escalation left
    assert sum(len(m) for m in feishu.received.values()) == 3
    run(path, feishu, TODAY + dt.timedelta(days=1))
    assert [len(feishu.received[p]) for p in ("ou_zhang", "ou_li")] == [2, 2]  # new digests
    assert len(feishu.received["ou_chen"]) == 1  # the escalation went once


def test_a_complaint_alerts_the_manager_privately_once(tmp_path, feishu):
    rows = [customer("A1", customer="老客户", feedback="客户要求解约并退款")]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    report = run(path, feishu)
    assert "投诉提醒(群消息):发出1条,失败0条" in " ".join(report.notes)
    (alert,) = [m for m in feishu.received["ou_chen"] if "需重点关注" in m["title"]]
    subject, text = plain(path, "alert-A1-*.eml")
    assert alert["title"] == subject and "老客户" in alert["text"] and "张伟" in alert["text"]
    run(path, feishu)  # a re-run, or serve's check an hour later
    assert len([m for m in feishu.received["ou_chen"] if "需重点关注" in m["title"]]) == 1


def test_a_person_outside_the_apps_range_is_named_and_the_others_are_served(tmp_path, feishu):
    path = book(tmp_path)
    feishu.outside.add("ou_li")
    report = run(path, feishu)
    note = chat_note(report)
    assert note.startswith("群消息:发出2条,失败1条")
    assert "发给李娜(飞书私信)失败" in note and "user_id u_li" in note
    assert "230013" in note and "可用范围" in note and "版本管理与发布" in note
    assert len(feishu.received["ou_zhang"]) == len(feishu.received["ou_chen"]) == 1
    assert "ou_li" not in feishu.received
    feishu.outside.clear()  # the admin added her to the range
    report = run(path, feishu)
    assert chat_note(report) == "群消息:发出1条,失败0条,1条之前已发"  # and the escalation went
    assert [len(feishu.received[p]) for p in ("ou_zhang", "ou_li", "ou_chen")] == [1, 1, 1]


def test_an_id_feishu_does_not_know_is_said_with_what_to_type(tmp_path, feishu):
    team = [TEAM[0], TEAM[1], [*TEAM[2][:6], "ou_typo"]]
    report = run(book(tmp_path, team=team), feishu)
    note = chat_note(report)
    assert "飞书不认识李娜的open_id“ou_typo”(错误码99992351)" in note
    assert len(feishu.received["ou_zhang"]) == 1


def test_a_person_with_neither_id_nor_email_is_named_once(tmp_path, feishu):
    team = [TEAM[0], TEAM[1], ["李娜", "", "陈静", "销售", "", "", ""]]
    report = run(book(tmp_path, team=team), feishu)
    assert sum("李娜既没有飞书ID也没有邮箱" in n for n in report.notes) == 1
    assert chat_note(report).startswith("群消息:发出2条,失败0条")


def test_an_app_without_the_bot_capability_is_one_line_and_not_hammered(tmp_path, feishu):
    path = book(tmp_path)
    feishu.bot = False
    report = run(path, feishu)
    note = chat_note(report)
    assert note.count("230006") == 1 and "添加应用能力" in note
    assert note.count("这个机器人本次已失败,下次运行再发") == 2
    assert [code for _, _, code in feishu.refusals] == [230006]  # one request, not three
    feishu.bot = True
    assert chat_note(run(path, feishu)).startswith("群消息:发出3条,失败0条")


def test_a_missing_scope_names_it(tmp_path, feishu):
    feishu.scopes = set()
    note = chat_note(run(book(tmp_path), feishu))
    assert "99991672" in note and "im:message:send_as_bot" in note


def test_a_rate_limit_streak_is_ridden_out_and_nothing_is_sent_twice(tmp_path, feishu):
    path = book(tmp_path)
    feishu.too_fast(3)  # Feishu's own code for messages sent too fast
    feishu.fake.rate_limit(2, reset=3)  # and the gateway's, with its reset header
    report = run(path, feishu)
    assert chat_note(report).startswith("群消息:发出3条,失败0条")
    assert [len(feishu.received[p]) for p in ("ou_zhang", "ou_li", "ou_chen")] == [1, 1, 1]
    assert feishu.waits[:2] == [3.0, 3.0] and len(feishu.waits) == 5


def test_a_message_that_timed_out_after_landing_is_not_delivered_twice(tmp_path, feishu):
    """Feishu took it but the answer was lost: the same request again (its uuid) delivers
    nothing new (Feishu keeps a uuid for an hour)."""
    path = book(tmp_path)
    run(path, feishu)
    (zhang,) = feishu.received["ou_zhang"]
    again = feishu._answer(
        {"receive_id_type": "email"},
        {
            "receive_id": "zhang.wei@example.com",
            "msg_type": "text",
            "content": '{"text": "x"}',
            "uuid": zhang["uuid"],
        },
    )
    assert again[1]["code"] == 0 and len(feishu.received["ou_zhang"]) == 1


def test_the_secret_is_never_in_what_a_person_reads(tmp_path, feishu, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    path = book(tmp_path)
    monkeypatch.setenv("SHEETSYNC_FEISHU_APP_SECRET", SECRET + "-old")  # a reset secret
    report = run(path, feishu)
    note = chat_note(report)
    assert "10014" in note and "SHEETSYNC_FEISHU_APP_SECRET" in note
    monkeypatch.setenv("SHEETSYNC_FEISHU_APP_SECRET", SECRET)
    report = run(path, feishu)
    assert chat_note(report).startswith("群消息:发出3条,失败0条")
    tokens = list(feishu.fake.tokens)
    shown = [
        *report.notes,
        caplog.text,
        *(str(v) for tab in ("邮件记录", "同步日志") for r in sheet_rows(path, tab) for v in r),
        *(p.read_text(encoding="utf-8") for p in tmp_path.rglob("*.jsonl")),
    ]
    assert tokens and not any(s in text for text in shown for s in (SECRET, *tokens))


def test_an_english_sheet_gets_english_messages(tmp_path, feishu):
    rows = [customer("Z1", customer="Old client", owner="Zhang Wei", **A)]
    team = [["Zhang Wei", "zhang.wei@example.com", "", "Rep", "", "", "ou_zhang"]]
    path = make_workbook(tmp_path / "b.xlsx", rows, locale="en", team=team)
    report = run(path, feishu)
    assert chat_note(report).startswith("chat: 1 sent, 0 failed")
    (digest,) = feishu.received["ou_zhang"]
    subject, _ = plain(path, "digest-*.eml")
    assert digest["title"] == subject and "Old client" in digest["text"]


def test_doctor_checks_the_apps_credentials_and_who_it_cannot_reach(tmp_path, feishu, monkeypatch):
    import yaml
    from click.testing import CliRunner

    from sheetsync.ops.cli import main

    team = [TEAM[0], TEAM[1], ["李娜", "", "陈静", "销售", "", "", ""]]
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=team)
    config = tmp_path / "sheetsync.yaml"
    settings = {"channels": {"feishu_app": True}, "feishu": {"base_url": feishu.fake.url}}
    config.write_text(yaml.safe_dump({"workbook": str(path), **settings}, allow_unicode=True))
    result = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    assert "Feishu app: app cli_test: credentials accepted" in result.output
    assert "no 飞书ID or 邮箱, so no private message: 李娜" in result.output
    assert not feishu.received  # nothing sent
    monkeypatch.setenv("SHEETSYNC_FEISHU_APP_SECRET", "wrong-" + SECRET)
    result = CliRunner().invoke(main, ["doctor", "--config", str(config)])
    assert result.exit_code == 1 and "[FAIL]" in result.output and "10014" in result.output
    assert SECRET not in result.output


def test_a_message_too_long_for_a_post_goes_as_text_and_is_cut_past_150_kb(feishu):
    from sheetsync.delivery.feishu_im import body

    line = "客户" * 40 + "\n"
    for lines, kind in ((100, "post"), (600, "text"), (3000, "text")):
        request = body("ou_zhang", "【跟进提醒】", line * lines, f"digest/{lines}@x", "zh")
        assert request["msg_type"] == kind
        status, answer = feishu._answer({"receive_id_type": "open_id"}, request)
        assert (status, answer["code"]) == (200, 0)
    post, text, longest = feishu.received["ou_zhang"]
    assert text["text"].startswith("【跟进提醒】\n\n客户") and text["text"].endswith("客户\n")
    assert longest["text"].endswith("客户\n……(太长,其余见邮件或表格)")


def test_a_feishu_sheet_and_its_apps_messages_share_one_token_and_one_count(feishu_api):
    """A Feishu sheet with the same app sending the private messages: one token for the
    run, and the sync log's count of API calls holds the messages' calls as well as the
    sheet's (a free plan's quota counts both)."""
    from conftest import FEISHU_TOKEN, feishu_settings, feishu_values, make_feishu_sheet

    im = FeishuIM(feishu_api.fake, USERS)
    make_feishu_sheet(feishu_api, CUSTOMERS, team=TEAM)
    url = f"https://acme.feishu.cn/sheets/{FEISHU_TOKEN}"
    settings = {**feishu_settings(feishu_api), "workbook": url}
    sync(Path("unused.xlsx"), dt.date(2026, 11, 11), **settings)  # known since Z1 fell due
    calls, tokens = feishu_api.fake.calls, feishu_api.fake.token_calls
    environ = {"SHEETSYNC_EMAIL_ENABLED": "yes"}
    report = sync(Path("unused.xlsx"), TODAY, email=True, environ=environ,
                  channels={"feishu_app": True}, **settings)  # fmt: skip
    assert im.received, chat_note(report)  # the messages went
    assert feishu_api.fake.token_calls - tokens == 1  # one client: one token for both
    made = feishu_api.fake.calls - calls
    last = feishu_values(feishu_api, "同步日志")[-1]
    said = next(c for c in last if isinstance(c, str) and "飞书 API 调用约" in c)
    assert f"本次飞书 API 调用约 {made} 次" in said
