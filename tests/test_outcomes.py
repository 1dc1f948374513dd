"""Won, lost and nurture, and conversion from the stage history, as a sales manager sees them
after a sync of a real .xlsx workbook: the follow-up tab, the task log, the mail and 汇总."""

import datetime as dt
import email
import email.policy

import openpyxl
import pandas as pd
import pytest
from conftest import (
    TODAY,
    customer,
    make_workbook,
    results,
    sheet_rows,
    summary_section,
    sync,
    type_in,
)

from sheetsync.rules.conversion import outcome_counts, outcomes, stage_cohorts

D = dt.date
DAY = dt.timedelta(days=1)
CLASS_A = {"annual_amount": 1_000_000, "margin": "30%", "renewal_rate": "90%"}  # 100 points
CLASS_C = {"annual_amount": 300_000}  # 15 points: C


def mail_texts(path) -> dict[str, str]:
    """Every mail in the outbox beside the workbook: file name -> plain text."""
    found = {}
    for eml in sorted((path.parent / "outbox").glob("*.eml")):
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        found[eml.name] = message.get_body(("plain",)).get_content()
    return found


def set_stage(path, customer_id: str, stage: str, reason: str | None = None) -> None:
    type_in(path, customer_id, stage=stage, **({} if reason is None else {"lost_reason": reason}))


# --- lost ----------------------------------------------------------------------------------
def test_a_lost_customer_leaves_the_daily_list_tasks_mail_and_escalation(tmp_path):
    """Overdue, with a contract ending and a birthday this week: once marked 输单 none of it
    reaches anyone, and the task it had is cancelled, not left overdue."""
    late = TODAY - 20 * DAY
    rows = [
        customer("GONE", last_contact=late, contract_end=TODAY + 10 * DAY, birthday="11月20日"),
        customer("STAY", last_contact=late),  # so 张伟 still gets a digest
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path, TODAY - DAY)
    assert results(path)["GONE"]["status"] == "已逾期"
    set_stage(path, "GONE", "输单", reason="预算被砍")
    sync(path, TODAY, email=True)

    got = results(path)["GONE"]
    assert (got["status"], got["next_date"], got["task"], got["check"]) == (
        "已输单",
        None,
        None,
        None,
    )
    tasks = [r for r in sheet_rows(path, "任务记录")[1:] if r[0] == "GONE"]
    assert tasks and {r[4] for r in tasks} == {"已取消"}  # none open, none overdue
    by_status = dict(r[:2] for r in summary_section(path, "按状态"))
    assert by_status["已逾期"] == 1 and by_status["已输单"] == 1  # STAY only is overdue
    mails = mail_texts(path)
    # STAY, overdue since before the first sync (yesterday), is in its backlog mail
    assert "digest-张伟-2026-11-18.eml" in mails and "backlog-陈静-2026-11-17.eml" in mails
    assert "STAY" in mails["backlog-陈静-2026-11-17.eml"]
    assert all("GONE" not in text for text in mails.values())
    assert "STAY" in mails["digest-张伟-2026-11-18.eml"]


@pytest.mark.parametrize("spelling", ["输单", "丢单", "已输单", "失败", "Lost", "closed lost"])
def test_every_spelling_of_lost_is_lost(tmp_path, spelling):
    path = make_workbook(tmp_path / "b.xlsx", [customer("L", stage=spelling, lost_reason="价格")])
    sync(path)
    got = results(path)["L"]
    assert (got["status"], got["next_date"], got["check"]) == ("已输单", None, None)


def test_a_lost_row_without_a_reason_is_asked_for_one(tmp_path):
    rows = [customer("NOWHY", stage="输单"), customer("WHY", stage="输单", lost_reason="选了竞品")]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    report = sync(path)
    got = results(path)
    assert (
        got["NOWHY"]["check"].startswith("输单原因: ") and "请填写输单原因" in got["NOWHY"]["check"]
    )
    assert got["NOWHY"]["status"] == "已输单"  # a warning: the row is still lost, not 资料不全
    assert got["WHY"]["check"] is None
    assert report.invalid == 0


def test_a_lost_row_without_the_column_is_told_to_add_it_in_english(tmp_path):
    """A sheet without 输单原因 at all: the hint names the column it needs."""
    path = make_workbook(tmp_path / "b.xlsx", [customer("L", stage="Lost")], locale="en")
    book = openpyxl.load_workbook(path)
    sheet = book["Follow-ups"]
    column = [c.value for c in sheet[1]].index("Lost reason") + 1
    sheet.delete_cols(column)
    book.save(path)
    sync(path)
    got = results(path, "en")["L"]
    assert got["status"] == "Lost"
    assert (
        got["check"].startswith("Lost reason: the stage is Lost")
        and "add the column" in (got["check"])
    )


# --- won and nurture -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "stage, value, interval",
    [  # 成交维护策略: A every 30 days, C every 30 (issue 24: the checklist's 月度, was 90);
        # no value class: the lowest class's (C)
        ("赢单", CLASS_A, 30),
        ("成交", CLASS_C, 30),
        ("成交维护", CLASS_A, 30),
        ("赢单", {}, 30),
    ],
)
def test_won_ends_the_sales_cycle_and_maintenance_takes_over(tmp_path, stage, value, interval):
    last = D(2026, 11, 16)  # a Monday
    row = customer("W", stage=stage, last_contact=last, **value)
    path = make_workbook(tmp_path / "b.xlsx", [row])
    sync(path)
    got = results(path)["W"]
    due = last + interval * DAY
    while due.weekday() >= 5:  # the plan lands on a working day
        due += DAY
    assert got["next_date"] == due and got["check"] is None
    log = sheet_rows(path, "阶段记录")[1:]
    assert [r[1] for r in log] == ["成交维护"]  # every spelling is the one won stage


def test_won_customer_follows_its_class_plan_not_the_sales_one(tmp_path):
    path = make_workbook(
        tmp_path / "b.xlsx", [customer("W", stage="赢单", last_contact=D(2026, 11, 16), **CLASS_A)]
    )
    sync(path)
    assert "上门拜访" in results(path)["W"]["task"]  # A's maintenance method, not 资料/电话


def test_nurture_gets_a_light_monthly_touch_and_leaves_the_funnel(tmp_path):
    last = D(2026, 11, 2)  # + 30 days = Wednesday 2 December
    rows = [
        customer("N1", stage="培育池", last_contact=last),
        customer("N2", stage="培育", last_contact=TODAY - 40 * DAY),  # a missed touch: overdue
        customer("P1", stage="需求确认"),
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    got = results(path)
    assert got["N1"]["next_date"] == D(2026, 12, 2) and got["N1"]["status"] == "待跟进"
    assert got["N1"]["task"].startswith("2026-12-02 推送 张经理(N1科技有限公司): 月度轻量触达")
    assert got["N2"]["status"] == "已逾期"
    funnel = {r[0]: r[1:3] for r in summary_section(path, "销售漏斗")}
    assert funnel["需求确认"] == (1, 1)  # only P1 climbs the ladder
    assert funnel["线索获取"] == (0, 0)
    assert funnel["培育池"][0] == 2 and funnel["未填写/其他"][0] == 0


def test_the_nurture_interval_is_edited_in_the_rules_tab(tmp_path):
    path = make_workbook(
        tmp_path / "b.xlsx", [customer("N", stage="培育池", last_contact=D(2026, 11, 2))]
    )
    book = openpyxl.load_workbook(path)
    sheet = book["价值分级"]
    title = next(r for r in sheet.iter_rows() if r[0].value == "培育池策略")[0].row
    assert sheet.cell(title + 1, 1).value == "跟进间隔(天)"
    sheet.cell(title + 2, 1).value = 14
    book.save(path)
    sync(path)
    assert results(path)["N"]["next_date"] == D(2026, 11, 16)


def test_the_funnel_counts_lost_apart_and_does_not_inflate_conversion(tmp_path):
    """Two deals at 需求确认, one at 方案展示, three lost on the first sync: the lost are on
    their own row, and entered no stage of the ladder the sync saw (the funnel counts what
    the stage table counts: tests/test_manager_numbers.py)."""
    rows = [
        customer("A1", stage="需求确认"),
        customer("A2", stage="需求确认"),
        customer("B1", stage="方案展示"),
        *(customer(f"L{i}", stage="输单", lost_reason="价格") for i in range(3)),
        customer("X", stage="搁置"),
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    funnel = {r[0]: r[1:4] for r in summary_section(path, "销售漏斗")}
    assert funnel["需求确认"] == (2, 2, "—")  # nobody has left it yet: no rate
    assert funnel["方案展示"][:2] == (1, 1)
    assert funnel["输单"][0] == 3 and funnel["未填写/其他"][0] == 1
    assert funnel["线索获取"][1] == 0


# --- conversion from the stage history -----------------------------------------------------
HISTORY = [  # (customer, stage, since); today 2026-11-18
    ("C1", "线索获取", D(2026, 11, 1)),
    ("C1", "初步接触", D(2026, 11, 3)),
    ("C1", "需求确认", D(2026, 11, 10)),
    ("C2", "线索获取", D(2026, 11, 1)),
    ("C2", "初步接触", D(2026, 11, 5)),
    ("C2", "输单", D(2026, 11, 8)),
    ("C3", "线索获取", D(2026, 11, 2)),
    ("C3", "成交维护", D(2026, 11, 12)),  # skipped the stages between
    ("C4", "初步接触", D(2026, 11, 4)),  # first seen here
    ("C4", "需求确认", D(2026, 11, 6)),
    ("C4", "方案展示", D(2026, 11, 9)),
    ("C4", "成交维护", D(2026, 11, 15)),
    ("C5", "线索获取", D(2026, 11, 10)),
    ("C6", "成交维护", D(2026, 11, 1)),  # already a customer: no cycle seen
    ("C7", "需求确认", D(2026, 11, 1)),
    ("C7", "输单", D(2026, 11, 5)),
]
NOW = {  # where each is today, who owns it, where the lead came from
    "C1": ("需求确认", "张伟", "展会"),
    "C2": ("输单", "张伟", "展会"),
    "C3": ("成交维护", "李娜", "转介绍"),
    "C4": ("成交维护", "张伟", "转介绍"),
    "C5": ("线索获取", "李娜", None),
    "C6": ("成交维护", "李娜", "转介绍"),
    "C7": ("输单", "王强", "展会"),
}
KEYS = {"线索获取": "lead", "初步接触": "contacted", "需求确认": "needs", "方案展示": "proposal"}
KEYS |= {"成交维护": "won", "输单": "lost"}


def history_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [h[0] for h in HISTORY],
            "stage": [KEYS[h[1]] for h in HISTORY],
            "since": pd.to_datetime([h[2] for h in HISTORY]),
        }
    )


def test_cohorts_count_who_entered_moved_on_and_won_and_how_long_it_took():
    cohorts = stage_cohorts(history_frame()).set_index("stage")
    # lead: C1, C2, C3, C5 entered; C1 (2 days), C2 (4), C3 (10, straight to won) moved on
    assert cohorts.loc["lead", ["entered", "advanced", "won"]].tolist() == [4, 3, 1]
    assert sorted(cohorts.loc["lead", "days"]) == [2, 4, 10]
    # contacted: C1 (7 days to 需求确认), C4 (2); C2 went to 输单, which is not moving on
    assert cohorts.loc["contacted", ["entered", "advanced", "won"]].tolist() == [3, 2, 1]
    assert sorted(cohorts.loc["contacted", "days"]) == [2, 7]
    assert cohorts.loc["needs", ["entered", "advanced", "won"]].tolist() == [3, 1, 1]
    assert cohorts.loc["proposal", ["entered", "advanced", "won"]].tolist() == [1, 1, 1]
    assert cohorts.loc["negotiation", "entered"] == 0
    assert cohorts.loc["won", "entered"] == 3


def test_win_rate_counts_closed_deals_and_the_cycle_only_what_the_sync_saw():
    counts = outcome_counts(outcomes(history_frame()))
    assert (counts["customers"], counts["won"], counts["lost"]) == (7, 3, 2)
    assert float(counts["win_rate"]) == pytest.approx(0.6)  # 3 / (3 + 2)
    assert counts["cycle"] == 10.5  # C3 10 days, C4 11; C6 was won before the sync saw it


def test_conversion_tables_in_the_summary_from_a_real_stage_history(tmp_path):
    rows = [
        customer(cid, stage=stage, owner=owner, lead_source=source, lost_reason="价格")
        for cid, (stage, owner, source) in NOW.items()
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    book = openpyxl.load_workbook(path)
    for record in HISTORY:
        book["阶段记录"].append(list(record))
    book.save(path)
    sync(path)
    assert len(sheet_rows(path, "阶段记录")) == 1 + len(HISTORY)  # nobody moved today

    table = {r[0]: r[1:8] for r in summary_section(path, "阶段转化(按阶段记录)")}
    entered, moved, rate, won, won_rate, median, mean = table["线索获取"]
    assert (entered, moved, won, median) == (4, 3, 1, 4)
    assert (rate, won_rate) == (pytest.approx(0.75), pytest.approx(0.25))
    assert mean == pytest.approx(5.3)  # (2 + 4 + 10) / 3, one decimal
    entered, moved, rate, won, won_rate, median, mean = table["初步接触"]
    assert (entered, moved, won, median, mean) == (3, 2, 1, 4.5, 4.5)
    assert rate == pytest.approx(2 / 3)
    assert table["商务谈判"] == (0, 0, "—", 0, "—", "—", "—")
    assert table["成交维护"][0] == 3

    owners = {r[0]: r[1:6] for r in summary_section(path, "赢单/输单(按负责人)")}
    assert list(owners) == ["张伟", "李娜", "王强", "合计"]  # the team's order, 陈静 has none
    assert owners["张伟"] == (3, 1, 1, 0.5, 11)
    assert owners["李娜"] == (3, 2, 0, 1, 10)
    assert owners["王强"] == (1, 0, 1, 0, "—")
    assert owners["合计"] == (7, 3, 2, pytest.approx(0.6), 10.5)

    sources = {r[0]: r[1:6] for r in summary_section(path, "赢单/输单(按线索来源)")}
    assert list(sources) == ["展会", "转介绍", "未填写", "合计"]
    assert sources["展会"] == (3, 0, 2, 0, "—")
    assert sources["转介绍"] == (3, 3, 0, 1, 10.5)
    assert sources["未填写"] == (1, 0, 0, "—", "—")
    industries = summary_section(path, "赢单/输单(按行业)")
    assert [r[0] for r in industries] == ["未填写", "合计"]


def test_conversion_moves_on_when_a_stage_changes(tmp_path):
    """Day one a lead; three days later 初步接触: the history records it and the cohort
    says one of one moved on, in 3 days."""
    path = make_workbook(tmp_path / "b.xlsx", [customer("K", stage="线索获取")])
    sync(path, TODAY - 3 * DAY)
    set_stage(path, "K", "初步接触")
    sync(path, TODAY)
    table = {r[0]: r[1:8] for r in summary_section(path, "阶段转化(按阶段记录)")}
    assert table["线索获取"][:2] == (1, 1) and table["线索获取"][5] == 3


def test_a_free_text_column_with_many_spellings_stays_a_compact_table():
    """15 industries, the first with 3 customers: the 12 largest shown, the other 3 on one
    其他 row, then the blanks and the total."""
    from sheetsync.rules.conversion import outcomes_by

    ids = [f"K{i}" for i in range(18)]
    industry = ["制造", "制造", "制造", *(f"行业{i:02d}" for i in range(14)), None]
    log = pd.DataFrame({"customer_id": ids, "stage": "lost", "since": pd.Timestamp(TODAY)})
    board = pd.DataFrame({"customer_id": ids, "industry": industry})
    table = outcomes_by(log, board, "industry", "zh")
    names = [r[0] for r in table[2:]]
    assert names[:2] == ["制造", "行业00"] and len(names) == 12 + 3
    assert names[-3:] == ["其他", "未填写", "合计"]
    assert table[-3][1:4] == [3, 0, 3]  # 行业11, 12 and 13, each one lost
    assert table[-1][1:4] == [18, 0, 18]


def test_a_traditional_workbook_reads_and_writes_lost_in_its_own_script(tmp_path):
    rows = [customer("T", stage="輸單", lost_reason="預算不足"), customer("N", stage="培育池")]
    path = make_workbook(tmp_path / "b.xlsx", rows, locale="zh-Hant")
    sync(path)
    got = results(path, "zh-Hant")
    assert got["T"]["status"] == "已輸單" and got["T"]["check"] is None
    assert "月度輕量觸達" in got["N"]["task"]  # the defaults in the workbook's script


def test_a_stage_nobody_has_left_yet_shows_no_rate_rather_than_zero(tmp_path):
    """Day one: the stage history holds one record per customer, so nobody could have moved
    on; 0.0% would read as a funnel that converts nobody."""
    rows = [customer("C1", stage="线索获取"), customer("C2", stage="线索获取")]
    rows += [customer("C3", stage="方案展示")]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    table = {r[0]: r[1:8] for r in summary_section(path, "阶段转化(按阶段记录)")}
    assert table["线索获取"] == (2, 0, "—", 0, "—", "—", "—")
    assert table["方案展示"] == (1, 0, "—", 0, "—", "—", "—")


def test_every_salesperson_has_a_row_of_their_own_however_large_the_team():
    """Owners are not free text: 30 salespeople, 30 rows (nobody's results hidden in 其他)."""
    from sheetsync.rules.conversion import outcomes_by

    ids = [f"K{i}" for i in range(30)]
    owners = [f"销售{i:02d}" for i in range(30)]
    log = pd.DataFrame({"customer_id": ids, "stage": "won", "since": pd.Timestamp(TODAY)})
    board = pd.DataFrame({"customer_id": ids, "owner": owners})
    table = outcomes_by(log, board, "owner", "zh", owners[:20])  # 20 in the team tab
    names = [r[0] for r in table[2:]]
    assert names == [*owners, "合计"] and "其他" not in names


def test_a_lost_deal_is_neither_rated_for_health_nor_asked_to_handle_a_complaint(tmp_path):
    old = TODAY - 300 * DAY  # long silent: a live customer this quiet would read 流失
    rows = [
        customer(
            "L", stage="输单", lost_reason="价格", last_contact=old, summary="客户投诉交付延迟"
        ),
        customer("C", stage="成交维护", last_contact=old),
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    got = results(path)
    assert got["L"]["health"] is None and got["C"]["health"] == "流失"
    assert got["L"]["check"] is None  # no "今日须处理" for a deal that is closed
    health = {r[0]: r[1] for r in summary_section(path, "按健康度")}
    assert health["流失"] == 1 and sum(health.values()) == 1  # the lost deal is not counted


def test_a_negative_expected_amount_is_named_and_left_out_of_the_forecast(tmp_path):
    rows = [customer("N", stage="商务谈判", expected_amount=-500_000)]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    check = results(path)["N"]["check"]
    assert check.startswith('预计金额: "-500000') and "是负数" in check and "已忽略" in check
    assert "加权预测(按预计成交月份)" not in {r[0] for r in sheet_rows(path, "汇总")}


def test_a_closed_deal_counts_for_the_owner_who_held_it_when_it_closed(tmp_path):
    """Reassigning a rep's customers (they left, or the won account goes to service) must not
    move their wins and losses to whoever inherits them; a deal lost and handed over the same
    day is still the loser's."""
    rows = [customer("W", stage="合同签署"), customer("L", stage="商务谈判")]
    path = make_workbook(tmp_path / "b.xlsx", rows)  # both 张伟's, in 跟进历史 from day one
    sync(path, TODAY - 2 * DAY)
    set_stage(path, "W", "成交维护")
    sync(path, TODAY - DAY)  # 张伟 wins W
    type_in(path, "W", owner="李娜")  # the account goes to 李娜 afterwards
    set_stage(path, "L", "输单", reason="价格")
    type_in(path, "L", owner="李娜")  # lost and handed over in one edit
    sync(path)
    table = {r[0]: r[1:4] for r in summary_section(path, "赢单/输单(按负责人)")}
    assert table["张伟"] == (2, 1, 1)  # customers, won, lost
    assert "李娜" not in table
