"""Handover: an owner removed from 团队 is reported to a manager until their customers are
reassigned; a reassigned customer's open tasks go to the new owner, done ones stay."""

import datetime as dt

import openpyxl
from conftest import PEOPLE_KEYS, TODAY, customer, make_workbook, sheet_rows, summary_section, sync
from smtp_server import parts

DAY = dt.timedelta(days=1)
COLUMN = {k: PEOPLE_KEYS.index(k) + 1 for k in PEOPLE_KEYS}
A = {"budget": "明确", "intent": "高", "decision_cycle": "20天"}  # A: escalated after 1 day
TEAM = [
    ["陈静", "chen.jing@example.com", "", "经理"],
    ["张伟", "zhang.wei@example.com", "陈静", "销售"],
    ["李娜", "li.na@example.com", "陈静", "销售"],
    ["周敏", "zhou.min@example.com", "", "经理"],
    ["王强", "wang.qiang@example.com", "周敏", "销售"],
]
CUSTOMERS = [
    customer("Z1", customer="张伟的老客户", last_contact=dt.date(2026, 11, 10), **A),
    customer("Z2", customer="张伟的新客户", last_contact=TODAY),
    customer("L1", customer="李娜的客户", owner="李娜", last_contact=TODAY),
]
ORPHANS = "不在团队表的负责人(客户待改派)"


def _remove_from_team(path, name):
    wb = openpyxl.load_workbook(path)
    team = wb["团队"]
    team.delete_rows(next(r for r in range(2, team.max_row + 1) if team.cell(r, 1).value == name))
    wb.save(path)


def _set_owner(path, owners: dict[str, str]):
    wb = openpyxl.load_workbook(path)
    sheet = wb["客户跟进"]
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 1).value in owners:
            sheet.cell(row, COLUMN["owner"]).value = owners[sheet.cell(row, 1).value]
    wb.save(path)


def test_an_owner_removed_from_the_team_is_reported_to_their_manager_until_reassigned(
    tmp_path, smtp
):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path)  # 跟进历史 records 张伟 with his 上级 陈静
    _remove_from_team(path, "张伟")  # he left; nobody reassigned his customers yet
    report = sync(path, TODAY + DAY, email=True, environ=smtp.env())

    assert not smtp.inbox.to("zhang.wei@example.com")
    assert not any("张伟" in n and "有效邮箱" in n for n in report.notes)  # no "no address" noise
    assert (
        "张伟不在团队表,仍是2个客户的负责人:不再给他发提醒,逾期任务升级给陈静;"
        "请在客户跟进表里改派负责人" in report.notes
    )
    assert "失败0封" in report.notes[-1]

    # his former manager, nobody else (besides the backlog mail of the first sync: Z1 was a
    # week overdue then, and it escalates now, a day after the sync first knew it)
    (mail,) = [m for m in smtp.inbox.to("chen.jing@example.com") if "逾期升级" in m["Subject"]]
    assert mail["Subject"] == (
        "2026-11-19 逾期升级:1 项跟进已逾期;1 位负责人已离开团队,客户待改派(陈静 的团队)"
    )
    text = parts(mail)["text/plain"]
    assert "[A] 张伟的老客户(Z1),负责人 张伟" in text  # his overdue task, still escalated
    assert "张伟:2 个客户\n- 张伟的老客户(Z1)\n- 张伟的新客户(Z2)" in text
    assert ">张伟的新客户</td>" in parts(mail)["text/html"]
    assert all("张伟" not in parts(m)["text/plain"] for m in smtp.inbox.to("zhou.min@example.com"))

    assert [r[:4] for r in summary_section(path, ORPHANS)] == [
        ("张伟", 2, "Z1", "张伟的老客户"),
        (None, None, "Z2", "张伟的新客户"),
    ]

    _set_owner(path, {"Z1": "李娜", "Z2": "李娜"})  # reassigned: nothing more to report
    report = sync(path, TODAY + 2 * DAY, email=True, environ=smtp.env())
    assert not any("不在团队表" in n for n in report.notes)
    assert ORPHANS not in [r[0] for r in sheet_rows(path, "汇总")]
    later = [m for m in smtp.inbox.to("chen.jing@example.com") if m is not mail][1:]
    assert all("已离开团队" not in parts(m)["text/plain"] for m in later)


def test_an_owner_the_sync_never_knew_is_a_row_to_fix_and_escalated_to_every_manager(
    tmp_path, smtp
):
    """赵六 was never in the team (a typo, most likely): the rows-to-fix notice names the row
    as before, and an overdue task of theirs reaches every manager."""
    late = customer("G1", customer="没人认识的负责人", owner="赵六", last_contact=TODAY - 7 * DAY)
    path = make_workbook(tmp_path / "b.xlsx", [*CUSTOMERS, {**late, **A}], team=TEAM)
    sync(path, TODAY - 6 * DAY)  # the day G1 fell due: escalated by it, not the first backlog
    report = sync(path, email=True, environ=smtp.env())
    note = next(n for n in report.notes if n.startswith("赵六"))
    assert note.startswith("赵六不在团队表,仍是1个客户的负责人") and "升级给陈静、周敏" in note
    for manager in ("chen.jing@example.com", "zhou.min@example.com"):
        mails = {m["Subject"].split(" ")[1].split(":")[0]: m for m in smtp.inbox.to(manager)}
        assert "[A] 没人认识的负责人(G1),负责人 赵六" in parts(mails["逾期升级"])["text/plain"]
        assert "赵六" in parts(mails["资料待修正"])["text/plain"]
    assert [r[:4] for r in summary_section(path, ORPHANS)] == [
        ("赵六", 1, "G1", "没人认识的负责人")
    ]


def test_a_reassigned_customer_moves_its_open_task_and_keeps_the_done_one(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", last_contact=dt.date(2026, 11, 13))])
    sync(path)
    wb = openpyxl.load_workbook(path)
    wb["客户跟进"].cell(2, COLUMN["last_contact"]).value = TODAY  # 张伟 called today
    wb.save(path)
    sync(path)  # his task is done, the next one is open
    _set_owner(path, {"K1": "李娜"})
    sync(path)

    tasks = sorted((r[4], r[2]) for r in sheet_rows(path, "任务记录")[1:])  # 任务状态, 负责人
    assert tasks == [("已完成", "张伟"), ("待办", "李娜")]
    history = sheet_rows(path, "跟进历史")
    handover = history[-1]
    assert (handover[1], handover[3], handover[5], handover[9]) == (
        "K1",
        "李娜",
        "交接:张伟→李娜",
        "交接",
    )
    assert handover[0].date() == TODAY and len(history) == 1 + 2 + 1  # header, 2 contacts, 交接
    sync(path)  # no second handover row for the same change
    assert len(sheet_rows(path, "跟进历史")) == 4


def test_a_task_already_overdue_at_the_handover_stays_with_the_owner_who_missed_it(tmp_path):
    """The issue: a completion rate counts the owner who held the task when it was due."""
    path = make_workbook(tmp_path / "b.xlsx", [customer("K2", last_contact=dt.date(2026, 11, 1))])
    sync(path, dt.date(2026, 11, 2))  # B: due in 3 days (11-04), 张伟's
    _set_owner(path, {"K2": "李娜"})
    sync(path)  # reassigned after the due date passed: still 张伟's miss
    tasks = [(r[1].date(), r[2], r[4]) for r in sheet_rows(path, "任务记录")[1:]]
    assert tasks == [(dt.date(2026, 11, 4), "张伟", "待办")]
    owners = {r[0]: r[5] for r in summary_section(path, "按负责人")}  # 30天按时完成率
    assert owners["张伟"] == 0 and owners["李娜"] == "—"


def test_a_lost_deal_of_an_owner_who_left_needs_no_reassignment(tmp_path):
    rows = [*CUSTOMERS, customer("Z3", customer="张伟丢的单", stage="输单", lost_reason="价格")]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    sync(path)
    _remove_from_team(path, "张伟")
    report = sync(path, TODAY + DAY)
    assert any(n.startswith("张伟不在团队表,仍是2个客户的负责人") for n in report.notes)
    listed = [r[2] for r in summary_section(path, ORPHANS)]
    assert listed == ["Z1", "Z2"]  # not the lost Z3
