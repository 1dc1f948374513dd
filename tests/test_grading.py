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
    [("明确", "高", "A"), ("初步确认", "高", "B"), ("明确", "中", "B"), ("初步确认", "中", "B"),
     ("未定", "高", "C"), ("明确", "低", "C"), ("clear", "high", "A")],
)  # fmt: skip
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
    got = book([
        customer("K1", budget="未定", intent="低", grade_override="A"),
        customer("K2", budget="明确", intent="高", decision_cycle="10", grade_override="c"),
        customer("K3", grade_override="Z"),
    ])  # fmt: skip
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
    with pytest.raises(Exception, match=r'row 3, 跟进间隔\(天\): "often" is not a number of days'):
        sync(path)
    assert path.read_bytes() == before
