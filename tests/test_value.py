"""Existing customers: value class, relationship, health, the stage timer and stalled deals,
as a manager sees them in the follow-up tab after a sync of a real .xlsx workbook."""

import datetime as dt

import openpyxl
import pytest
from conftest import TODAY, customer, make_workbook, results, sheet_rows, summary_section, sync

from sheetsync.errors import ConfigError

D = dt.date
DAY = dt.timedelta(days=1)
FULL = {"annual_amount": 1_000_000, "margin": "30%", "renewal_rate": "90%"}


def _months_ago(months: int, extra_days: int = 0) -> dt.date:
    year, month = divmod(TODAY.year * 12 + TODAY.month - 1 - months, 12)
    return D(year, month + 1, TODAY.day) - dt.timedelta(days=extra_days)


def set_cell(path, title, ref, value):
    book = openpyxl.load_workbook(path)
    book[title][ref] = value
    book.save(path)


@pytest.mark.parametrize(
    "values, expected, points",
    [  # full points at or above the A line, half at or above the B line; A >= 80, B >= 50
        ({"annual_amount": 1_000_000, "margin": 0.30, "renewal_rate": 0.90}, "A", 100),
        ({"annual_amount": "100万", "margin": "30%", "renewal_rate": "70%"}, "A", 80),
        ({"annual_amount": 999_999, "margin": "30%", "renewal_rate": "90%"}, "A", 85),
        ({"annual_amount": 300_000, "margin": "15%", "renewal_rate": "90%"}, "B", 70),
        ({"annual_amount": 299_999, "margin": "30%", "renewal_rate": "70%"}, "B", 50),
        ({"annual_amount": 300_000, "margin": "30%", "renewal_rate": "69.9%"}, "C", 45),
        ({"annual_amount": 5_000_000}, "C", 30),
    ],
)
def test_score_and_class_at_every_threshold(tmp_path, values, expected, points):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", **values)])
    sync(path)
    assert results(path)["K1"]["classification"] == f"{expected}类+新接触({points}分)"


def test_potential_and_relationship_join_the_class(tmp_path):
    rows = [
        customer("STRAT", potential="高", since=_months_ago(36), product_lines=2, **FULL),
        customer("ONE_LINE", potential="中", since=_months_ago(36), product_lines=1, **FULL),
        customer("ALMOST", since=_months_ago(36, extra_days=-1), product_lines=3, **FULL),
        customer("YEAR", since=_months_ago(12), **FULL),
        customer("ELEVEN", since=_months_ago(11), **FULL),
        customer("SIX", since=_months_ago(6), **FULL),
        customer("FIVE", since=_months_ago(5), **FULL),
        customer("NOHIST", potential="低", **FULL),
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    got = {k: v["classification"] for k, v in results(path).items()}
    assert got == {
        "STRAT": "A类+高潜力+战略伙伴(100分)",
        "ONE_LINE": "A类+中潜力+长期合作(100分)",
        "ALMOST": "A类+长期合作(100分)",  # one day short of three years
        "YEAR": "A类+长期合作(100分)",
        "ELEVEN": "A类+成长合作(100分)",
        "SIX": "A类+成长合作(100分)",
        "FIVE": "A类+新接触(100分)",
        "NOHIST": "A类+低潜力+新接触(100分)",
    }


def test_no_value_data_gives_no_class_and_bad_value_cells_are_warnings(tmp_path):
    rows = [
        customer("PLAIN", potential="高", since=_months_ago(40)),
        customer("BAD", annual_amount="很多", margin="30%", renewal_rate="90%", potential="极高"),
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    got = results(path)
    assert got["PLAIN"]["classification"] is None and got["PLAIN"]["check"] is None
    assert got["BAD"]["classification"] == "B类+新接触(70分)"  # the amount counts as missing
    assert '年合作金额: "很多"不是金额' in got["BAD"]["check"]
    assert '潜力: "极高"不是高/中/低之一,已忽略' in got["BAD"]["check"]
    assert got["BAD"]["status"] == "待跟进"  # a warning: still scheduled


def test_a_manager_edit_of_the_value_rules_changes_the_next_sync(tmp_path):
    path = make_workbook(
        tmp_path / "b.xlsx",
        [customer("K1", annual_amount=300_000, **{"margin": "30%", "renewal_rate": "70%"})],
    )
    sync(path)
    assert results(path)["K1"]["classification"] == "B类+新接触(65分)"
    rules = sheet_rows(path, "价值分级")
    a_band = next(i for i, r in enumerate(rules, 1) if r[0] == "A" and r[1] == 80)
    set_cell(path, "价值分级", f"B{a_band}", 60)  # A from 60 points
    sync(path)
    assert results(path)["K1"]["classification"] == "A类+新接触(65分)"


def test_a_mistake_in_the_value_rules_names_the_cell(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    set_cell(path, "价值分级", "C3", "很多")  # the amount's A line
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=r'tab "价值分级" row 3, 满分线\(A\): "很多" is not'):
        sync(path)
    assert path.read_bytes() == before


def test_a_workbook_from_before_the_value_rules_gets_the_default_tab(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", **FULL)])
    book = openpyxl.load_workbook(path)
    del book["价值分级"], book["阶段记录"]
    book.save(path)
    sync(path)
    assert results(path)["K1"]["classification"] == "A类+新接触(100分)"
    tabs = openpyxl.load_workbook(path).sheetnames
    assert "价值分级" in tabs and "阶段记录" in tabs
    assert sheet_rows(path, "价值分级")[0][0] == "评分指标"


def test_a_value_rules_tab_people_filled_with_something_else_is_kept_and_the_rules_added(
    tmp_path,
):
    """Someone replaced the 价值分级 tab's content with notes of their own: the run reads no
    block there, keeps their notes, adds the default blocks below them and says so. It used
    to stop with a ValueError."""
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", **FULL)])
    book = openpyxl.load_workbook(path)
    sheet = book["价值分级"]
    sheet.delete_rows(1, sheet.max_row)
    sheet.append(["我们的笔记", "下季度重点看制造业"])
    book.save(path)
    report = sync(path)
    assert results(path)["K1"]["classification"] == "A类+新接触(100分)"
    rows = sheet_rows(path, "价值分级")
    assert list(rows[0][:2]) == ["我们的笔记", "下季度重点看制造业"]  # theirs, untouched
    assert any(r[0] == "评分指标" for r in rows[1:])  # the default blocks, below
    assert any("已按默认值加在表末" in n for n in report.notes)


def test_won_customers_follow_the_maintenance_strategy_of_their_class(tmp_path):
    last = D(2026, 11, 2)  # a Monday
    rows = [
        customer("WON_A", stage="成交维护", last_contact=last, **FULL),
        customer("WON_C", stage="成交维护", last_contact=last, annual_amount=1),
        customer("WON_NONE", stage="成交维护", last_contact=last),  # no class: the lightest
        customer("LEAD_A", stage="商务谈判", last_contact=last, **FULL),
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    got = results(path)
    assert got["WON_A"]["next_date"] == D(2026, 12, 2)  # monthly visit
    assert "上门拜访" in got["WON_A"]["task"]  # the plan's step: 每月1次上门拜访
    assert got["WON_C"]["next_date"] == D(2026, 12, 2)  # monthly (issue 24: it was quarterly)
    assert got["WON_NONE"]["next_date"] == D(2026, 12, 2)  # C's monthly touch
    assert got["LEAD_A"]["next_date"] == D(2026, 11, 5)  # not won: its lead grade


@pytest.mark.parametrize("stage", ["成交", "赢单", "成交维护"])
def test_a_won_deal_without_value_data_leaves_the_sales_cadence_for_the_lightest_upkeep(
    tmp_path, stage
):
    """No 年合作金额, 利润率 or 续约率 yet, so no value class: the lowest class's (C) 成交维护策略,
    not the B lead's 3-day calls and demos."""
    last = D(2026, 11, 2)  # a Monday; + 30 days is Wednesday 2 December
    path = make_workbook(tmp_path / "b.xlsx", [customer("W1", stage=stage, last_contact=last)])
    sync(path)
    got = results(path)["W1"]
    assert got["next_date"] == D(2026, 12, 2)  # C's monthly touch (issue 24: was quarterly)
    assert got["task"].startswith("2026-12-02 轻量触达") and "推送行业资讯/新品" in got["task"]
    assert "邀请演示" not in got["task"]


def test_without_a_class_a_won_deal_takes_the_lowest_band_even_when_the_plans_are_reordered(
    tmp_path,
):
    """A manager lists C's plan first: the lowest class is still the lowest score band."""
    plans = ("上门拜访", "轻量触达")  # the A and C rows of 成交维护策略
    path = make_workbook(tmp_path / "b.xlsx", [customer("W1", stage="成交", last_contact=TODAY)])
    book = openpyxl.load_workbook(path)
    tab = book["价值分级"]
    first, last = (r for r in range(1, tab.max_row + 1) if tab.cell(r, 3).value in plans)
    for column in range(1, 6):  # swap the A and C plans' rows
        a, c = tab.cell(first, column), tab.cell(last, column)
        a.value, c.value = c.value, a.value
    book.save(path)
    sync(path)
    assert results(path)["W1"]["next_date"] == D(2026, 12, 18)  # C monthly: 18 Nov + 30 days


def test_health_from_silence_purchases_and_an_explicit_mark(tmp_path):
    rows = [
        # B: interval 3, 逾期升级 3 days: 预警 when due more than 3 workdays ago. TODAY is
        # Wednesday 18 Nov: FINE was due Friday 13th (3 workdays: Mon-Wed), QUIET Thursday.
        customer("FINE", last_contact=TODAY - 8 * DAY),
        customer("QUIET", last_contact=TODAY - 9 * DAY),
        customer("GONE", last_contact=TODAY - 180 * DAY),
        customer("NEARLY", last_contact=TODAY - 179 * DAY),
        customer("MARKED", churned="是"),
        customer("DROP", purchase_current=80, purchase_previous=100),  # down 20 %
        customer("DIP", purchase_current=81, purchase_previous=100),
        customer("BADDATE", last_contact="2026-13-01"),
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    got = {k: v["health"] for k, v in results(path).items()}
    assert got == {
        "FINE": "健康",
        "QUIET": "预警",
        "GONE": "流失",
        "NEARLY": "预警",
        "MARKED": "流失",
        "DROP": "预警",
        "DIP": "健康",
        "BADDATE": None,
    }


def test_health_moves_as_days_pass_and_a_contact_makes_it_healthy_again(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", last_contact=TODAY)])
    seen = []
    for days in (0, 9, 180):  # due Mon 23 Nov; on Fri 27th 4 workdays late (B: 3 allowed)
        sync(path, TODAY + days * DAY)
        seen.append(results(path)["K1"]["health"])
    assert seen == ["健康", "预警", "流失"]
    set_cell(path, "客户跟进", "K2", TODAY + 180 * DAY)
    sync(path, TODAY + 180 * DAY)
    assert results(path)["K1"]["health"] == "健康"


def test_three_follow_ups_in_a_row_without_response_is_a_warning(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", last_contact=TODAY - 20 * DAY)])
    day = TODAY
    health = []
    for feedback in ("未接通", "电话无人接听,未回复", "微信未回复"):
        sync(path, day)
        day += 2 * DAY  # a call two days later, recorded as unanswered: the task is done
        set_cell(path, "客户跟进", "K2", day)
        set_cell(path, "客户跟进", "N2", feedback)
        sync(path, day)
        health.append(results(path)["K1"]["health"])
    assert health == ["健康", "健康", "预警"]
    log = sheet_rows(path, "任务记录")
    # B's plan has two steps (issue 24): a contact completes one step, and the step still
    # owed is moved to the day after it (its earlier task cancelled), so two of the three
    # contacts closed a task. Health reads all three (预警 above).
    done = [r[10] for r in log[1:] if r[4] == "已完成"]
    assert len(done) >= 2 and done[-2:] == ["无回应"] * 2
    set_cell(path, "客户跟进", "K2", day + DAY)
    set_cell(path, "客户跟进", "N2", "同意下周演示")
    sync(path, day + DAY)
    assert results(path)["K1"]["health"] == "健康"


def test_churned_customers_leave_the_daily_list_for_a_monthly_wake_up(tmp_path):
    last = D(2026, 5, 1)
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", last_contact=last)])
    sync(path)  # 2026-11-18: 201 days; wake-ups every 30 days from the last contact
    got = results(path)["K1"]
    assert got["health"] == "流失" and got["status"] == "待跟进"
    assert got["next_date"] == D(2026, 11, 27)  # 1 May + 210 days
    assert got["task"].startswith("【流失唤醒】2026-11-27")
    sync(path, D(2026, 11, 30))  # the wake-up was missed: the next one, never overdue
    got = results(path)["K1"]
    assert got["status"] == "待跟进" and got["next_date"] == D(2026, 12, 28)


def test_stage_start_survives_a_rerun_and_restarts_on_a_stage_change(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", stage="方案展示")])
    sync(path)
    sync(path, TODAY + 5 * DAY)
    report = sync(path, TODAY + 5 * DAY)  # a re-run the same day
    assert results(path)["K1"]["stage_since"] == TODAY
    assert report.cells == 0  # the day count is not in the sheet: nothing grows daily
    set_cell(path, "客户跟进", "G2", "商务谈判")
    sync(path, TODAY + 6 * DAY)
    assert results(path)["K1"]["stage_since"] == TODAY + 6 * DAY
    sync(path, TODAY + 9 * DAY)
    assert results(path)["K1"]["stage_since"] == TODAY + 6 * DAY
    history = [(r[1], r[2].date()) for r in sheet_rows(path, "阶段记录")[1:]]
    assert history == [("方案展示", TODAY), ("商务谈判", TODAY + 6 * DAY)]
    funnel = {row[0]: row[5] for row in summary_section(path, "销售漏斗")}
    assert funnel["商务谈判"] == 3 and funnel["方案展示"] == "—"  # the day count lives here


def test_a_day_on_rewrites_only_what_changed(tmp_path):
    """The daily run writes the rows whose status or task moved, not every row: a day count
    in every row would make each morning's sync rewrite (and upload) the whole column."""
    rows = [customer(f"K{i}", stage="方案展示", last_contact=TODAY - i * DAY) for i in range(8)]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    before = results(path)
    report = sync(path, TODAY + DAY)
    after = results(path)
    changed = {k for k in after if after[k] != before[k]}
    assert 0 < len(changed) < len(rows)
    assert report.cells == sum(
        1 for k in changed for key in after[k] if after[k][key] != before[k][key]
    )


def test_a_sheet_from_before_gets_its_day_count_column_renamed_and_dated(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", stage="方案展示")])
    sync(path)
    book = openpyxl.load_workbook(path)
    sheet = book["客户跟进"]
    column = next(c for c in sheet[1] if c.value == "阶段开始日期").column
    sheet.cell(1, column).value = "阶段天数"  # as an older version wrote it
    sheet.cell(2, column).value = 12
    book.save(path)
    report = sync(path, TODAY + DAY)
    header = sheet_rows(path, "客户跟进")[0]
    assert header[column - 1] == "阶段开始日期" and "阶段天数" not in header
    assert results(path)["K1"]["stage_since"] == TODAY
    assert not any("手填" in str(n) or "hand" in str(n) for n in report.notes)
    assert "阶段天数" not in str(results(path)["K1"]["check"])  # not taken for a hand edit


def test_stalled_deals_are_flagged_unless_something_is_planned(tmp_path):
    start = TODAY - 22 * DAY
    rows = [
        customer("STUCK", stage="方案展示", owner="张伟"),
        customer("BOOKED", stage="方案展示", agreed_date=TODAY + 3 * DAY, owner="张伟"),
        customer("FRESH", stage="商务谈判", owner="李娜"),
        customer("WON", stage="成交维护", owner="李娜"),
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path, start)
    sync(path, TODAY)  # 22 days later: 方案展示 allows 21, 商务谈判 30
    got = results(path)
    assert got["STUCK"]["task"].endswith("【停滞:2026-10-27起在方案展示,超过21天】")
    assert "停滞" not in got["BOOKED"]["task"]  # old, but a meeting is booked
    assert "停滞" not in got["FRESH"]["task"] and "停滞" not in got["WON"]["task"]
    stalled = {r[0]: r for r in summary_section(path, "停滞商机(按负责人和阶段)")}
    header = sheet_rows(path, "汇总")
    columns = next(
        r for i, r in enumerate(header) if i and header[i - 1][0] == "停滞商机(按负责人和阶段)"
    )
    assert stalled["张伟"][columns.index("方案展示")] == 1 and stalled["张伟"][-1] == 1
    assert stalled["李娜"][-1] == 0 and stalled["合计"][-1] == 1


def test_summary_shows_value_mix_with_amount_share_and_health(tmp_path):
    rows = [
        customer("A1", **FULL),  # 1,000,000
        customer("A2", annual_amount=3_000_000, margin="40%", renewal_rate="95%"),
        customer("C1", annual_amount=1_000_000, margin="1%", renewal_rate="1%"),  # C, 30 points
        customer("NONE"),
        customer("GONE", last_contact=TODAY - 200 * DAY),
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    mix = {r[0]: r[:5] for r in summary_section(path, "按价值分类")}
    assert mix["A"] == ("A", 2, 0.4, 400, 0.8)  # 万元
    assert mix["B"][1:3] == (0, 0.0) and mix["C"][1:5] == (1, 0.2, 100, 0.2)
    assert mix["未分类(无价值数据)"][1] == 2
    health = {r[0]: r[1] for r in summary_section(path, "按健康度")}
    assert health == {"健康": 4, "预警": 0, "流失": 1, "未评估(资料不全)": 0}
