"""A change to who receives a colleague's mail (团队's 邮箱, 通知渠道, 飞书ID, 手机, 上级) is
announced to the previous address and the manager, and held until a run on a later day
confirms it (rules/recipients.py, delivery/notices.py): real .xlsx files, a real SMTP server
and the chat vendors' fakes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import (
    KEY,
    TODAY,
    customer,
    gsheets_settings,
    make_spreadsheet,
    make_workbook,
    sheet_rows,
    sync,
)
from smtp_server import parts
from test_channels import DING, FEISHU, channels, running_vendors  # noqa: F401
from test_email import TEAM, A  # the team and an A customer's fields, as the mail tests use them

from sheetsync.config import load_settings
from sheetsync.ops import app
from sheetsync.ops.cli import main
from sheetsync.workbook.schema import TEAM as TEAM_TAB

CUSTOMERS = [
    customer(
        "Z1", customer="张伟的老客户", phone="13911112222", last_contact=dt.date(2026, 11, 10), **A
    ),
    customer("L1", customer="李娜的客户", owner="李娜", last_contact=dt.date(2026, 11, 10), **A),
]
THURSDAY, FRIDAY = TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)
THIEF = "thief@example.com"


def edit_team(path: Path, name: str, locale: str = "zh", **values: object) -> None:
    """What someone types into a member's row of 团队 (columns by key, in `locale`)."""
    book = openpyxl.load_workbook(path)
    sheet = book[TEAM_TAB.title(locale)]
    header = {c.value: c.column for c in sheet[1]}
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == name)
    for key, value in values.items():
        sheet.cell(row, header[TEAM_TAB.column(key).text(locale)]).value = value
    book.save(path)


def add_member(path: Path, row: list) -> None:
    book = openpyxl.load_workbook(path)
    book[TEAM_TAB.title("zh")].append(row)
    book.save(path)


def mailed(smtp, address: str, kind: str = "") -> list:
    return [m for m in smtp.inbox.to(address) if kind in m["Subject"]]


def last_log_note(path: Path) -> str:
    return str(sheet_rows(path, "同步日志")[-1][8] or "")


def digest_to(smtp, address: str) -> list:
    return [m for m in smtp.inbox.to(address) if "收件设置变更" not in m["Subject"]]


def test_an_edited_email_is_told_to_the_previous_address_and_the_manager_and_held_a_day(
    tmp_path, smtp
):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env())  # Wednesday: the sync learns the team
    edit_team(path, "张伟", email=THIEF)

    report = sync(path, THURSDAY, email=True, environ=smtp.env())
    (own,) = mailed(smtp, "zhang.wei@example.com", "收件设置变更")
    (boss,) = mailed(smtp, "chen.jing@example.com", "收件设置变更")
    text = parts(own)["text/plain"]
    assert "你的邮箱已被修改" in text and THIEF in text and "zhang.wei@example.com" in text
    assert "张伟的邮箱已被修改" in parts(boss)["text/plain"]
    assert not smtp.inbox.to(THIEF)  # nothing to the new address yet, the digest included
    assert len(digest_to(smtp, "zhang.wei@example.com")) == 2  # Wednesday's and Thursday's
    code = re.search(r"变更码 ([0-9a-f]{8})", last_log_note(path)).group(1)
    assert "团队表中张伟的邮箱已修改" in last_log_note(path)
    assert code in text and any(code in n for n in report.notes)

    sync(path, THURSDAY, email=True, environ=smtp.env())  # again the same day: still held
    assert not smtp.inbox.to(THIEF)
    assert len(mailed(smtp, "zhang.wei@example.com", "收件设置变更")) == 1  # told once

    sync(path, FRIDAY, email=True, environ=smtp.env())  # a later day, still there: in effect
    assert [m["Subject"] for m in smtp.inbox.to(THIEF)] and digest_to(smtp, THIEF)
    assert len(digest_to(smtp, "zhang.wei@example.com")) == 2  # none on Friday
    assert "已确认生效" in last_log_note(path)


def test_the_setting_lets_a_change_take_effect_at_once_and_it_is_still_told(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    edit_team(path, "张伟", email="zhang.new@example.com")
    sync(path, THURSDAY, email=True, environ=smtp.env(), accept_recipient_changes=["张伟"])
    assert digest_to(smtp, "zhang.new@example.com")  # in effect on the day it was seen
    assert mailed(smtp, "zhang.wei@example.com", "收件设置变更")  # and told all the same
    assert mailed(smtp, "chen.jing@example.com", "收件设置变更")
    assert "accept_recipient_changes" in last_log_note(path)


def test_the_change_code_accepts_that_change_only(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    edit_team(path, "李娜", email="li.new@example.com")
    preview = sync(path, THURSDAY, dry_run=True, email=True, environ=smtp.env())
    code = re.search(r"变更码 ([0-9a-f]{8})", "\n".join(preview.notes)).group(1)
    assert code in "\n".join(preview.mail_previews)  # the notice, as it would go
    other = sync(
        path, THURSDAY, True, True, environ=smtp.env(), accept_recipient_changes=["0badc0de"]
    )
    assert "收件人:li.new@example.com" not in "\n".join(other.mail_previews)  # held
    assert "收件人:li.na@example.com" in "\n".join(other.mail_previews)
    sync(path, THURSDAY, email=True, environ=smtp.env(SHEETSYNC_ACCEPT_RECIPIENT_CHANGES=code))
    assert digest_to(smtp, "li.new@example.com") and not digest_to(smtp, "li.na@example.com")[1:]
    assert mailed(smtp, "li.na@example.com", "收件设置变更")


def test_a_changed_manager_keeps_escalations_with_the_manager_on_record(tmp_path, smtp):
    team = [*TEAM, ["王芳", "wang.fang@example.com", "", "经理"]]
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=team)
    sync(path, dt.date(2026, 11, 11), email=True, environ=smtp.env())  # Z1 due: known
    edit_team(path, "张伟", manager="王芳")
    sync(path, THURSDAY, email=True, environ=smtp.env())
    assert not [m for m in smtp.inbox.to("wang.fang@example.com") if "升级" in m["Subject"]]
    assert [m for m in smtp.inbox.to("chen.jing@example.com") if "升级" in m["Subject"]]
    (notice,) = mailed(smtp, "chen.jing@example.com", "收件设置变更")  # the manager on record
    assert "张伟的上级已被修改" in parts(notice)["text/plain"]


def test_a_new_member_is_no_change_and_is_named_once_in_the_sync_log(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    report = sync(path, email=True, environ=smtp.env())  # the first run: nobody is "new"
    assert not any("新成员" in n for n in report.notes)
    add_member(path, ["王五", "wang.wu@example.com", "陈静", "销售"])
    rows = [[*r] for r in sheet_rows(path, "客户跟进")]
    book = openpyxl.load_workbook(path)
    owner = rows[0].index("负责人") + 1
    book["客户跟进"].cell(3, owner).value = "王五"  # L1 reassigned to the new member
    book.save(path)
    sync(path, THURSDAY, email=True, environ=smtp.env())
    assert digest_to(smtp, "wang.wu@example.com")  # no previous recipient: in effect at once
    assert not [m for m in smtp.inbox.messages if "收件设置变更" in m[1]["Subject"]]
    assert "团队表新成员:王五" in last_log_note(path)
    sync(path, FRIDAY, email=True, environ=smtp.env())
    assert "新成员" not in last_log_note(path)


def test_a_removed_and_retyped_member_is_a_change(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    book = openpyxl.load_workbook(path)
    book[TEAM_TAB.title("zh")].delete_rows(4)  # 李娜's row
    book.save(path)
    sync(path, THURSDAY, email=True, environ=smtp.env())
    add_member(path, ["李娜", THIEF, "陈静", "销售"])
    sync(path, FRIDAY, email=True, environ=smtp.env())
    assert mailed(smtp, "li.na@example.com", "收件设置变更")
    assert not smtp.inbox.to(THIEF)


def test_a_changed_private_channel_keeps_the_chat_on_the_previous_bot_until_confirmed(
    tmp_path, monkeypatch
):
    vendors = next(gen := running_vendors(monkeypatch))
    try:
        team = [
            ["陈静", "chen.jing@example.com", "", "经理"],
            ["张伟", "zhang.wei@example.com", "陈静", "销售", "张伟私聊", "13800001111", "ou_z"],
        ]
        path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS[:1], team=team)
        chat = channels(
            team=(), 张伟私聊={**FEISHU, "private": True}, 新群={**DING, "private": True}
        )
        environ = {"SHEETSYNC_EMAIL_ENABLED": "no"}

        def run(day: dt.date):
            return sync(path, day, email=True, environ=environ, channels=chat)

        run(TODAY)
        assert len(vendors["feishu"].texts()) == 1 and not vendors["ding"].texts()
        edit_team(path, "张伟", channel="新群")
        run(THURSDAY)
        feishu = vendors["feishu"].texts()
        assert not vendors["ding"].texts()  # the new channel gets nothing yet
        assert any("收件设置变更" in t and "通知渠道" in t for t in feishu)  # told there
        assert any("张伟的老客户" in t for t in feishu[1:])  # Thursday's digest, old channel
        assert "通知渠道" in last_log_note(path)
        run(FRIDAY)
        assert any("张伟的老客户" in t for t in vendors["ding"].texts())
        assert len(vendors["feishu"].texts()) == len(feishu)  # nothing more on the old one
    finally:
        next(gen, None)


def test_a_webhook_typed_into_a_channel_cell_is_never_shown_whole(tmp_path, smtp):
    token = "abcdef0123456789secret"
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    edit_team(path, "张伟", channel=f"https://oapi.dingtalk.com/robot/send?access_token={token}")
    report = sync(path, THURSDAY, email=True, environ=smtp.env())
    (notice,) = mailed(smtp, "zhang.wei@example.com", "收件设置变更")
    assert "oapi.dingtalk.com" in parts(notice)["text/plain"]
    everything = [parts(notice)["text/plain"], parts(notice)["text/html"], *report.notes]
    assert not any(token in t for t in everything)


def test_an_english_workbook_gets_english_notices(tmp_path, smtp):
    team = [
        ["Chen Jing", "chen.jing@example.com", "", "Manager"],
        ["Zhang Wei", "zhang.wei@example.com", "Chen Jing", "Sales"],
    ]
    rows = [customer("Z1", owner="Zhang Wei", last_contact=dt.date(2026, 11, 10))]
    path = make_workbook(tmp_path / "b.xlsx", rows, locale="en", team=team)
    sync(path, email=True, environ=smtp.env())
    edit_team(path, "Zhang Wei", "en", email=THIEF)
    sync(path, THURSDAY, email=True, environ=smtp.env())
    (notice,) = [
        m for m in smtp.inbox.to("zhang.wei@example.com") if "[Recipient change]" in m["Subject"]
    ]
    assert "Your Email in the team tab changed" in parts(notice)["text/plain"]
    assert "changed in the team tab (change" in str(sheet_rows(path, "Sync log")[-1][8])


# --- Google Sheets: the team tab protected for its managers (real gspread, the API fake) ---


def google_config(tmp_path: Path, sheets_api, service_account) -> str:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"backend: gsheets\nworkbook: {KEY}\nemail: {{enabled: false}}\n"
        f"gsheets: {{credentials: '{service_account}', endpoint: '{sheets_api.url}'}}\n"
    )
    return str(config)


ACCOUNT = "sync@sheetsync-test.iam.gserviceaccount.com"


def test_init_offers_then_protects_the_team_tab_for_its_managers_and_doctor_says_so(
    tmp_path, sheets_api, service_account
):
    make_spreadsheet(sheets_api, service_account, CUSTOMERS, team=TEAM)
    config = google_config(tmp_path, sheets_api, service_account)
    runner = CliRunner()
    before = runner.invoke(main, ["doctor", "--config", config])
    assert before.exit_code == 0, before.output
    assert "[WARN]" in before.output and "团队 is not protected" in before.output
    offered = runner.invoke(main, ["init", "--spreadsheet", KEY, "--config", config])
    assert "--protect-team" in offered.output and "团队表未受保护" in offered.output
    assert not sheets_api.books[KEY].by_title("团队").protected  # offered, not done

    done = runner.invoke(main, ["init", "--spreadsheet", KEY, "--config", config, "--protect-team"])
    assert done.exit_code == 0, done.output
    assert "已保护团队、同步快照" in done.output and "chen.jing@example.com" in done.output
    book = sheets_api.books[KEY]  # as the update left it
    for title in ("团队", "同步快照"):  # who receives what, and where the sync remembers it
        sheet = book.by_title(title)
        (protected,) = sheet.protected
        assert protected["warningOnly"] is False and protected["range"] == {
            "sheetId": sheet.sheet_id
        }
        assert sorted(protected["editors"]["users"]) == sorted([ACCOUNT, "chen.jing@example.com"])
    after = runner.invoke(main, ["doctor", "--config", config])
    assert "团队 is protected: only " in after.output and "WARN" not in after.output

    team = book.by_title("团队")  # a manager joins the team
    for column, value in enumerate(["王芳", "wang.fang@example.com", "", "经理"]):
        team.set(4, column, {"v": value} if value else None)
    runner.invoke(main, ["init", "--spreadsheet", KEY, "--config", config, "--protect-team"])
    (protected,) = sheets_api.books[KEY].by_title("团队").protected  # the same, editors updated
    assert "wang.fang@example.com" in protected["editors"]["users"]


def test_adopt_apply_protects_the_team_tab_when_asked(tmp_path, sheets_api, service_account):
    make_spreadsheet(sheets_api, service_account, CUSTOMERS, team=TEAM)
    config = google_config(tmp_path, sheets_api, service_account)
    args = ["adopt", "--config", config, "--spreadsheet", KEY, "--today", "2026-11-18"]
    plan = CliRunner().invoke(main, args)
    assert "--protect-team" in plan.output and not sheets_api.books[KEY].by_title("团队").protected
    applied = CliRunner().invoke(main, [*args, "--apply", "--protect-team"])
    assert applied.exit_code == 0, applied.output
    (protected,) = sheets_api.books[KEY].by_title("团队").protected
    assert protected["editors"]["users"] == sorted([ACCOUNT, "chen.jing@example.com"])
    assert "已保护团队" in applied.output


def test_protecting_a_team_without_managers_with_email_is_refused(
    tmp_path, sheets_api, service_account
):
    team = [["张伟", "zhang.wei@example.com", "", "销售"]]
    make_spreadsheet(sheets_api, service_account, CUSTOMERS[:1], team=team)
    config = google_config(tmp_path, sheets_api, service_account)
    result = CliRunner().invoke(
        main, ["init", "--spreadsheet", KEY, "--config", config, "--protect-team"]
    )
    assert "没有填了有效邮箱的经理" in result.output
    assert not sheets_api.books[KEY].by_title("团队").protected  # not locked to the sync alone


def test_a_google_sheet_holds_the_change_a_day_too(
    tmp_path, smtp, monkeypatch, sheets_api, service_account
):
    monkeypatch.chdir(tmp_path)  # a Google sheet's journal is kept in the working directory
    make_spreadsheet(sheets_api, service_account, CUSTOMERS, team=TEAM)
    google = {"workbook": KEY, **gsheets_settings(sheets_api, service_account)}

    def run(day: dt.date):
        return sync(tmp_path / "unused.xlsx", day, email=True, environ=smtp.env(), **google)

    run(TODAY)
    team = sheets_api.books[KEY].by_title("团队")
    row = next(r for r in range(1, 5) if team.cells.get((r, 0), {}).get("v") == "张伟")
    team.set(row, 1, {"v": THIEF})
    run(THURSDAY)
    assert mailed(smtp, "zhang.wei@example.com", "收件设置变更") and not smtp.inbox.to(THIEF)
    assert len(digest_to(smtp, "zhang.wei@example.com")) == 2
    run(FRIDAY)  # the memory (a serial date on Google) says it was first seen on Thursday
    assert digest_to(smtp, THIEF)


def test_serves_hourly_check_neither_tells_nor_confirms(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    settings = {"workbook": str(path)}
    sync(path, email=True, environ=smtp.env())
    edit_team(path, "张伟", email=THIEF)
    config = load_settings(environ=smtp.env(), **settings)
    app.run_sync(config, THURSDAY, events_only=True)  # before the day's run
    assert not [m for m in smtp.inbox.messages if "收件设置变更" in m[1]["Subject"]]
    sync(path, THURSDAY, email=True, environ=smtp.env())  # the day's run tells
    assert mailed(smtp, "zhang.wei@example.com", "收件设置变更")
    app.run_sync(load_settings(environ=smtp.env(), **settings), FRIDAY, events_only=True)
    sync(path, FRIDAY, email=True, environ=smtp.env())
    assert digest_to(smtp, THIEF)  # Friday's run confirms it, not the hourly check


def test_a_traditional_workbook_gets_the_notice_in_traditional_characters(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, locale="zh-Hant", team=TEAM)
    sync(path, email=True, environ=smtp.env())
    edit_team(path, "张伟", "zh-Hant", email=THIEF)
    sync(path, THURSDAY, email=True, environ=smtp.env())
    (notice,) = [
        m for m in smtp.inbox.to("zhang.wei@example.com") if "收件設定變更" in m["Subject"]
    ]
    assert "團隊表中你的郵箱已被修改" in parts(notice)["text/plain"]


def test_a_change_first_seen_by_a_run_without_mail_waits_until_its_notice_went_out(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    edit_team(path, "张伟", email=THIEF)
    sync(path, THURSDAY)  # sync --no-email: sees it, tells nobody
    assert "尚未生效" in last_log_note(path)
    sync(path, FRIDAY, email=True, environ=smtp.env())  # a later day, but nobody was told
    assert mailed(smtp, "zhang.wei@example.com", "收件设置变更") and not smtp.inbox.to(THIEF)
    assert len(digest_to(smtp, "zhang.wei@example.com")) == 2  # Wednesday's and Friday's
    sync(path, dt.date(2026, 11, 23), email=True, environ=smtp.env())  # told: now in effect
    assert digest_to(smtp, THIEF)


def test_remind_tells_a_pending_change_and_keeps_the_digest_where_it_went(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    edit_team(path, "张伟", email=THIEF)
    sync(path, THURSDAY)  # the sheet's sync, without mail, as a cron may run it
    config = load_settings(environ=smtp.env(), workbook=str(path))
    app.run_sync(config, THURSDAY, sheet=False)  # then `remind`
    assert mailed(smtp, "zhang.wei@example.com", "收件设置变更") and not smtp.inbox.to(THIEF)
    assert len(digest_to(smtp, "zhang.wei@example.com")) == 2
    assert any(str(r[1]).startswith("recipients/张伟/") for r in sheet_rows(path, "邮件记录"))
    sync(path, FRIDAY, email=True, environ=smtp.env())  # told by remind: now in effect
    assert digest_to(smtp, THIEF)
