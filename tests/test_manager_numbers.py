"""The summary a sales manager acts on (issue 25, item 3), on real .xlsx workbooks synced
day after day: won revenue against goals, lost reasons, where deals were lost, pipeline by
stage, new deals per week, activities, the period blocks, and the things a manager misread
(the funnel against the stage table, a partial week against a full one, a % sign on a
change of a rate, the manager listed as an owner, a rep who left losing their figures)."""

import datetime as dt

import openpyxl
import pytest
from conftest import customer, make_workbook, sheet_rows, summary_section, sync, type_in

from sheetsync.ops.demo import MANAGER
from sheetsync.workbook.schema import FOLLOWUPS, TASK_LOG

D = dt.date
TEAM = [  # 负责人, 邮箱, 上级, 角色, 通知渠道, 手机, 飞书ID, 职级, 目标
    [MANAGER, "chen.jing@example.com", "", "经理", None, None, None, None, None],
    ["张伟", "zhang.wei@example.com", MANAGER, "销售", None, None, None, None, 1_000_000],
    ["李娜", "li.na@example.com", MANAGER, "销售", None, None, None, None, "50万"],
    ["王强", "wang.qiang@example.com", MANAGER, "销售", None, None, None, None, None],
]


def add_customer(path, customer_id: str, **values) -> None:
    """A row a person adds at the bottom of the follow-up tab."""
    book = openpyxl.load_workbook(path)
    sheet = book[FOLLOWUPS.title("zh")]
    header = {c.value: c.column for c in sheet[1]}
    row = sheet.max_row + 1
    for key, value in customer(customer_id, **values).items():
        sheet.cell(row, header[FOLLOWUPS.column(key).zh]).value = value
    book.save(path)


def leave_team(path, name: str) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book["团队"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == name)
    sheet.delete_rows(row)
    book.save(path)


def section_titles(path) -> list[str]:
    """The summary's section titles, top to bottom (a title follows a blank row)."""
    rows = sheet_rows(path, "汇总")
    return [
        r[0] for i, r in enumerate(rows) if i and r and r[0] and all(v is None for v in rows[i - 1])
    ]


# --- a scenario, figures computed by hand ---------------------------------------------------
FIRST = D(2026, 9, 28)  # the first sync, a Monday in the third quarter
START = D(2026, 9, 25)  # everyone's last contact before it


def deal(customer_id, stage, owner, amount):
    return customer(
        customer_id, stage=stage, owner=owner, expected_amount=amount, last_contact=START
    )


@pytest.fixture(scope="module")
def eight_weeks(tmp_path_factory):
    """Seven deals at the first sync, two added later; won, lost and moved over eight
    weeks; 王强 leaves the team before the last sync (18 November, a Wednesday)."""
    path = tmp_path_factory.mktemp("scenario") / "b.xlsx"
    rows = [
        deal("W0", "成交维护", "张伟", 200_000),  # won before the sync: to date, no period
        deal("D1", "商务谈判", "张伟", 500_000),
        deal("D2", "方案展示", "张伟", 300_000),
        deal("D3", "需求确认", "李娜", 800_000),
        deal("D4", "初步接触", "李娜", 100_000),
        deal("D5", "方案展示", "王强", 50_000),
        deal("D6", "线索获取", "王强", None),
    ]
    make_workbook(path, rows, team=TEAM)
    sync(path, FIRST)
    steps = [
        (D(2026, 9, 30), lambda: type_in(path, "D1", stage="成交维护")),  # last quarter
        (D(2026, 10, 14), lambda: type_in(path, "D3", stage="输单", lost_reason="价格")),
        (D(2026, 10, 20), lambda: add_customer(path, "N2", **_new("需求确认", "张伟", 10, 20))),
        (D(2026, 11, 3), lambda: add_customer(path, "N1", **_new("线索获取", "李娜", 11, 3))),
        (
            D(2026, 11, 5),
            lambda: type_in(path, "D2", stage="成交维护", last_contact=D(2026, 11, 5)),
        ),
        (D(2026, 11, 10), lambda: type_in(path, "D4", stage="输单", lost_reason="价格")),
        (D(2026, 11, 12), lambda: type_in(path, "D5", stage="输单", lost_reason="竞品")),
        (D(2026, 11, 12), lambda: type_in(path, "D6", stage="输单")),  # no reason given
        (D(2026, 11, 16), lambda: type_in(path, "N1", stage="成交维护")),
        (D(2026, 11, 18), lambda: leave_team(path, "王强")),
    ]
    for day, step in steps:
        step()
        sync(path, day)
    return path


def _new(stage, owner, month, day):
    amount = {"张伟": 200_000, "李娜": 120_000}[owner]
    return {
        "stage": stage,
        "owner": owner,
        "expected_amount": amount,
        "last_contact": D(2026, month, day),
    }


def test_won_revenue_and_results_by_period(eight_weeks):
    period = {r[0]: r[1:5] for r in summary_section(eight_weeks, "业绩(按期间)")}
    header = sheet_rows(eight_weeks, "汇总")
    assert any(
        r[:5] == ("指标", "本月(11-01~11-18)", "本季度(10-01~11-18)", "上季度(07-01~09-30)", "累计")
        for r in header
    )
    # this month: D2 (30万) and N1 (12万); this quarter the same; last quarter D1 (50万);
    # to date W0 (20万, won before the first sync) too: 112万 across 4 wins
    assert period["赢单"] == (2, 2, 1, 4)
    assert period["赢单金额(万元)"] == (42, 42, 50, 112)
    assert period["输单"] == (3, 4, 0, 4)  # D4, D5, D6 in November; D3 in October
    rates = period["赢率"]
    assert rates[:2] == (pytest.approx(2 / 5), pytest.approx(2 / 6))
    assert rates[2:] == (1, pytest.approx(0.5))
    assert period["新增商机"][:3] == (1, 2, 0)  # N1; N2 in October


def test_won_revenue_against_each_reps_goal(eight_weeks):
    reps = {r[0]: r[1:10] for r in summary_section(eight_weeks, "销售业绩(按负责人)")}
    assert list(reps) == ["张伟", "李娜", "王强(已离开)", "合计"]  # no manager, 王强 kept
    # won this quarter, revenue, goal, progress, won to date, revenue to date (万元)
    assert reps["张伟"][:6] == (1, 30, 100, pytest.approx(0.3), 3, 100)
    assert reps["李娜"][:6] == (1, 12, 50, pytest.approx(0.24), 1, 12)  # "50万" typed
    assert reps["王强(已离开)"][:6] == (0, 0, "—", "—", 0, 0)
    assert reps["合计"][:6] == (2, 42, 150, pytest.approx(0.28), 4, 112)


def test_a_departed_rep_is_marked_in_the_won_and_lost_table_too(eight_weeks):
    """王强 left the team: his losses stay in 赢单/输单(按负责人), marked as in the rep tables."""
    owners = {r[0]: r[1:4] for r in summary_section(eight_weeks, "赢单/输单(按负责人)")}
    assert "王强" not in owners
    assert owners["王强(已离开)"][1:] == (0, 2)  # D5 and D6 lost, none won


def test_lost_reasons_ranked_and_where_deals_were_lost(eight_weeks):
    reasons = summary_section(eight_weeks, "输单原因排行")
    assert [r[:2] for r in reasons] == [("价格", 2), ("竞品", 1), ("未填写", 1), ("合计", 4)]
    assert [r[3] for r in reasons] == [90, 5, 0, 95]  # 万元: D3 80 + D4 10; D5; D6 none
    assert reasons[0][2] == pytest.approx(0.5)
    funnel = {r[0]: r[4] for r in summary_section(eight_weeks, "销售漏斗")}
    # D6 lost from 线索获取, D4 from 初步接触, D3 from 需求确认, D5 from 方案展示
    lost_at = [funnel[s] for s in ("线索获取", "初步接触", "需求确认", "方案展示", "商务谈判")]
    assert lost_at == [1, 1, 1, 1, 0]


def test_pipeline_value_by_stage_and_new_deals_per_week(eight_weeks):
    pipeline = {r[0]: r[1:3] for r in summary_section(eight_weeks, "商机金额(按阶段)")}
    assert pipeline["需求确认"] == (1, 20)  # N2, the only open deal
    assert pipeline["合计"] == (1, 20)
    weeks = [r[:2] for r in summary_section(eight_weeks, "每周新增商机")]
    assert weeks == [("10-19", 1), ("10-26", 0), ("11-02", 1), ("11-09", 0), ("11-16", 0)]


def test_activities_per_rep(eight_weeks):
    reps = {r[0]: r[7:9] for r in summary_section(eight_weeks, "销售业绩(按负责人)")}
    # this month: 张伟 D2 on 11-05, 李娜 N1 on 11-03; this quarter 张伟 N2 (10-20) too
    assert reps["张伟"] == (1, 2)
    assert reps["李娜"] == (1, 1)
    assert reps["合计"] == (2, 3)


def test_the_funnel_and_the_stage_table_agree_lost_deals_included(eight_weeks):
    funnel = {r[0]: r[2:4] for r in summary_section(eight_weeks, "销售漏斗")}
    table = {r[0]: (r[1], r[3]) for r in summary_section(eight_weeks, "阶段转化(按阶段记录)")}
    for stage in ("线索获取", "初步接触", "需求确认", "方案展示", "商务谈判"):
        assert funnel[stage] == table[stage], stage
    assert funnel["需求确认"][0] == 2  # D3 (lost there) and N2


def test_departed_rep_keeps_their_task_figures_and_the_team_total_is_shown(eight_weeks):
    owners = {r[0]: r[1:6] for r in summary_section(eight_weeks, "按负责人")}
    assert list(owners) == ["张伟", "李娜", "王强(已离开)", "合计"]
    assert owners["王强(已离开)"][0] == 2  # his two lost deals, figures kept
    assert owners["合计"][0] == 9  # every customer
    log = sheet_rows(eight_weeks, "任务记录")
    assert any(r[2] == "王强" for r in log[1:])  # what his row is drawn from


# --- each misreading, on its own ------------------------------------------------------------
def test_customers_to_reassign_come_first(tmp_path):
    rows = [customer("K1"), customer("K2", owner="赵六")]  # 赵六 is not in the team tab
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    assert section_titles(path)[0] == "不在团队表的负责人(客户待改派)"


def test_a_manager_is_listed_as_an_owner_only_when_owning_customers(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    sync(path)
    assert [r[0] for r in summary_section(path, "按负责人")] == ["张伟", "李娜", "王强", "合计"]
    type_in(path, "K1", owner=MANAGER)
    sync(path, D(2026, 11, 19))
    assert MANAGER in [r[0] for r in summary_section(path, "按负责人")]


def _sync_log(path, runs):
    book = openpyxl.load_workbook(path)
    for day, overdue in runs:
        book["同步日志"].append([f"{day} 09:00:00", day, 3, 0, 0, overdue, 0, "ok", ""])
    book.save(path)


def _task_log(path, tasks):
    """(customer, due, done on): done tasks of 张伟 typed into 任务记录."""
    book = openpyxl.load_workbook(path)
    sheet = book["任务记录"]
    keys = [c.key for c in TASK_LOG.columns]
    for cid, due, done in tasks:
        values = {"customer_id": cid, "due_date": due, "owner": "张伟", "grade": "B"}
        values |= {"state": "已完成", "done_on": done, "kind": "常规跟进"}
        sheet.append([values.get(k) for k in keys])
    book.save(path)


def test_week_over_week_on_a_monday_compares_monday_with_last_monday(tmp_path):
    monday = D(2026, 11, 23)
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", last_contact=monday)])
    _sync_log(path, [(D(2026, 11, 16), 4), (D(2026, 11, 17), 6), (D(2026, 11, 18), 8)])
    _task_log(
        path, [("K1", D(2026, 11, 16), D(2026, 11, 16)), ("K1", D(2026, 11, 18), D(2026, 11, 18))]
    )
    sync(path, monday)
    trend = {r[0]: r[1:4] for r in summary_section(path, "本周与上周")}
    assert trend["逾期客户数(日均)"] == (0, 4, -4)  # last Monday's 4, not the week's 6
    assert trend["完成任务数"] == (0, 1, -1)  # last Monday's one task, not the week's two
    rows = sheet_rows(path, "汇总")
    title = next(i for i, r in enumerate(rows) if r[0] == "本周与上周")
    assert rows[title + 1][1:3] == ("本周", "上周同期(至11-16)")


@pytest.mark.parametrize(
    ("locale", "points"),
    [("zh", "-50.0 个百分点"), ("zh-Hant", "-50.0 個百分點"), ("en", "-50.0 percentage points")],
)
def test_a_change_of_a_rate_is_in_percentage_points_not_percent(tmp_path, locale, points):
    wednesday = D(2026, 11, 18)
    tasks = [
        ("K1", D(2026, 11, 9), D(2026, 11, 9)),  # last week: both on time
        ("K1", D(2026, 11, 10), D(2026, 11, 10)),
        ("K1", D(2026, 11, 16), D(2026, 11, 16)),  # this week: one of two late
        ("K1", D(2026, 11, 17), D(2026, 11, 18)),
    ]
    team = [["张伟", "", "", ""]]
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")], locale=locale, team=team)
    if locale == "zh":
        _task_log(path, tasks)
    else:
        _typed_task_log(path, locale, tasks)
    sync(path, wednesday)
    title = {"zh": "本周与上周", "zh-Hant": "本週與上週", "en": "This week against last week"}
    tab = {"zh": "汇总", "zh-Hant": "彙總", "en": "Summary"}[locale]
    trend = summary_section(path, title[locale], tab)
    assert trend[2][1:4] == (pytest.approx(0.5), 1, points)


def _typed_task_log(path, locale, tasks):
    book = openpyxl.load_workbook(path)
    sheet = book[TASK_LOG.title(locale)]
    done = {"zh-Hant": "已完成", "en": "Done"}[locale]
    keys = [c.key for c in TASK_LOG.columns]
    for cid, due, on in tasks:
        values = {"customer_id": cid, "due_date": due, "owner": "张伟", "state": done}
        values |= {"done_on": on}
        sheet.append([values.get(k) for k in keys])
    book.save(path)
