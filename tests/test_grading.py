import datetime as dt

import openpyxl
import pytest
from conftest import customer, make_workbook, results, sync


@pytest.mark.parametrize(
    "cycle, expected",
    [("30天", "A"), ("1个月", "A"), ("31", "B"), (">1个月", "B"), ("90", "B"), ("91天", "C")],
)
def test_decision_cycle_boundaries(book, cycle, expected):
    got = book([customer("K1", budget="明确", intent="高", decision_cycle=cycle)])
    assert got["K1"]["grade"] == expected


@pytest.mark.parametrize(
    "budget, intent, expected",
    [
        ("明确", "高", "A"),
        ("初步确认", "高", "B"),
        ("明确", "中", "B"),
        ("初步确认", "中", "B"),
        ("未定", "高", "C"),
        ("明确", "低", "C"),
        ("clear", "high", "A"),
    ],
)
def test_budget_and_intent_must_both_reach_the_level(book, budget, intent, expected):
    got = book([customer("K1", budget=budget, intent=intent, decision_cycle="20天")])
    assert got["K1"]["grade"] == expected


def test_missing_criteria_count_as_lowest_and_warn(book):
    got = book([customer("K1", budget=None, intent="高", decision_cycle=None)])
    assert got["K1"]["grade"] == "C"
    assert "预算情况: 为空,按未定计" in got["K1"]["check"]
    assert "决策周期: 为空" in got["K1"]["check"]
    assert got["K1"]["status"] != "资料不全"


def test_override_wins_over_the_computed_grade(book):
    got = book(
        [
            customer("K1", budget="未定", intent="低", grade_override="A"),
            customer("K2", budget="明确", intent="高", decision_cycle="10", grade_override="c"),
            customer("K3", grade_override="Z"),
        ]
    )
    assert (got["K1"]["grade"], got["K2"]["grade"], got["K3"]["grade"]) == ("A", "C", "B")
    assert '指定等级: "Z"不是A/B/C之一' in got["K3"]["check"]


def test_last_row_catches_everyone_else(book):
    assert (
        book([customer("K1", budget="未定", intent="低", decision_cycle="1年")])["K1"]["grade"]
        == "C"
    )


def test_a_manager_editing_the_grading_tab_changes_the_next_run(tmp_path):
    path = make_workbook(
        tmp_path / "b.xlsx", [customer("K1", budget="明确", intent="高", decision_cycle="45")]
    )
    sync(path)
    assert results(path)["K1"]["grade"] == "B"
    wb = openpyxl.load_workbook(path)
    wb["分级标准"]["D2"] = 60  # A now allows a 60-day decision cycle
    wb["分级标准"]["E2"] = 2  # and is followed up every 2 days
    wb.save(path)
    sync(path)
    after = results(path)["K1"]
    assert after["grade"] == "A"
    assert after["next_date"].isoformat() == "2026-11-19"  # 11-17 + 2 days


def test_a_broken_grading_tab_stops_the_run_naming_the_cell(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    wb = openpyxl.load_workbook(path)
    wb["分级标准"]["E3"] = "often"
    wb.save(path)
    before = path.read_bytes()
    with pytest.raises(Exception, match=r'第3行,跟进间隔\(天\):"often"不是1到3650之间的天数'):
        sync(path)
    assert path.read_bytes() == before


PLAYBOOK_GRADING = [
    ["分级", "核心标准", "跟进频率", "核心动作", "负责人要求"],
    [
        "A类(高意向)",
        "预算明确,决策周期≤1个月",
        "每日1次",
        "电话沟通需求、同步方案进展、邀请演示",
        "资深销售",
    ],
    [
        "B类(中意向)",
        "预算初步确认,决策周期1-3个月",
        "每2-3天1次",
        "发送资料/案例,电话沟通需求变化",
        "销售",
    ],
    ["C类(低意向)", "意向模糊,决策周期>3个月", "每周1次", "推送行业动态/促销信息", "销售助理"],
]


def _with_playbook_grading(path, rows=PLAYBOOK_GRADING):
    wb = openpyxl.load_workbook(path)
    del wb["分级标准"]
    sheet = wb.create_sheet("客户分级标准与跟进策略表", 1)
    for row in rows:
        sheet.append(row)
    wb.save(path)


def test_the_playbooks_grading_table_as_printed_drives_the_rules(tmp_path):
    path = make_workbook(
        tmp_path / "b.xlsx",
        [
            customer(
                "A1",
                budget="明确",
                intent="高",
                decision_cycle="20天",
                last_contact=dt.date(2026, 11, 17),
            ),
            customer(
                "B1", budget="初步确认", decision_cycle="2个月", last_contact=dt.date(2026, 11, 17)
            ),
            customer(
                "C1", budget="未定", decision_cycle="半年", last_contact=dt.date(2026, 11, 17)
            ),
        ],
    )
    _with_playbook_grading(path)
    sync(path)
    got = results(path)
    assert {k: v["grade"] for k, v in got.items()} == {"A1": "A", "B1": "B", "C1": "C"}
    assert got["A1"]["next_date"] == dt.date(2026, 11, 18)  # 每日1次
    assert got["B1"]["next_date"] == dt.date(2026, 11, 20)  # 每2-3天1次: every 3 days
    assert got["C1"]["next_date"] == dt.date(2026, 11, 24)  # 每周1次, off the weekend
    assert "电话沟通需求" in got["A1"]["task"]


def test_a_criterion_it_cannot_read_is_named_never_guessed(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    rows = [list(r) for r in PLAYBOOK_GRADING]
    rows[2][1] = "预算初步确认,客户很重视"
    _with_playbook_grading(path, rows)
    before = path.read_bytes()
    with pytest.raises(Exception, match='第3行,核心标准:"客户很重视"不是能读懂的核心标准'):
        sync(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("interval", ["1e9", 1e9, "inf"])
def test_an_absurd_interval_is_a_message_naming_the_cell_not_a_crash(tmp_path, interval):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    wb = openpyxl.load_workbook(path)
    wb["分级标准"]["E3"] = interval
    wb.save(path)
    with pytest.raises(Exception, match=r"第3行,跟进间隔\(天\)"):
        sync(path)


@pytest.mark.parametrize("locale", ["zh", "en", "zh-Hant"])
def test_a_grade_listed_twice_stops_the_run_naming_both_rows_in_the_sheets_language(
    tmp_path, locale
):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")], locale=locale)
    wb = openpyxl.load_workbook(path)
    grading = wb.worksheets[1]
    grading["A3"] = grading["A2"].value  # B's row now says A
    wb.save(path)
    before = path.read_bytes()
    with pytest.raises(Exception) as stopped:
        sync(path)
    said = str(stopped.value)
    expected = {
        "zh": f'工作表"{grading.title}"第2、3行,等级:等级"A"写了两次',
        "zh-Hant": f'工作表"{grading.title}"第2、3行,等級:等級"A"寫了兩次',
        "en": f'tab "{grading.title}" rows 2, 3, Grade: grade "A" is listed twice',
    }[locale]
    assert expected in said
    assert path.read_bytes() == before


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_a_grading_tab_without_grades_says_what_to_fill_in(tmp_path, locale):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")], locale=locale)
    wb = openpyxl.load_workbook(path)
    grading = wb.worksheets[1]
    for row in range(2, grading.max_row + 1):
        grading.cell(row, 1).value = None
    wb.save(path)
    with pytest.raises(Exception) as stopped:
        sync(path)
    said = str(stopped.value)
    assert grading.title in said
    assert ("没有等级行" in said) if locale == "zh" else ("has no grade rows" in said)
