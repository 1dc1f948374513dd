"""Stage conversion and the sales cycle by their documented definitions (issue 25): a return
to an earlier stage and on again is moving on, a mistaken 赢单 is a correction and not a
win, and a deal open before the sync's first run has no cycle counted from that run. One
scenario over eleven syncs of a real .xlsx, its figures computed by hand."""

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from conftest import TODAY, customer, make_workbook, results, summary_section, sync, type_in

from sheetsync.rules.conversion import outcome_counts, outcomes, stage_cohorts
from sheetsync.workbook.schema import FOLLOWUPS

DAY = dt.timedelta(days=1)
D0 = TODAY - 40 * DAY  # the sync's first run
CONVERSION = "阶段转化(按阶段记录)"
BY_OWNER = "赢单/输单(按负责人)"


def _log(*records) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in records],
            "stage": [r[1] for r in records],
            "since": pd.to_datetime([D0 + r[2] * DAY for r in records]),
        }
    )


def test_a_deal_that_went_back_a_stage_and_on_again_moved_on_from_it():
    """商务谈判 → 方案展示 → 商务谈判: 方案展示 moved on, in 3 days."""
    log = _log(("R", "negotiation", 0), ("R", "proposal", 3), ("R", "negotiation", 6))
    cohorts = stage_cohorts(log).set_index("stage")
    assert cohorts.loc["proposal", ["entered", "advanced", "won"]].tolist() == [1, 1, 0]
    assert cohorts.loc["proposal", "days"].tolist() == [3]
    assert cohorts.loc["negotiation", ["entered", "advanced", "waiting"]].tolist() == [1, 0, 1]


def test_a_mistaken_win_is_a_correction_not_an_outcome():
    """商务谈判 → 赢单 (by mistake) → 商务谈判 → 输单: not won, not moved on; lost once."""
    log = _log(("X", "negotiation", 0), ("X", "won", 4), ("X", "negotiation", 5), ("X", "lost", 7))
    cohorts = stage_cohorts(log).set_index("stage")
    assert cohorts.loc["negotiation", ["entered", "advanced", "won"]].tolist() == [1, 0, 0]
    assert cohorts.loc["won", "entered"] == 0
    counts = outcome_counts(outcomes(log))
    assert (counts["won"], counts["lost"], counts["cycle"]) == (0, 1, "—")


def _add_customer(path, **values) -> None:
    """A person adds a row at the bottom of the follow-up tab."""
    book = openpyxl.load_workbook(path)
    sheet = book[FOLLOWUPS.title("zh")]
    header = {c.value: c.column for c in sheet[1]}
    row = sheet.max_row + 1
    for key, value in values.items():
        sheet.cell(row, header[FOLLOWUPS.column(key).zh]).value = value
    book.save(path)


def test_conversion_and_cycle_of_a_scenario_computed_by_hand(tmp_path):
    """Six deals, D0 the first sync:
    R  商务谈判 D0 → 方案展示 +3 → 商务谈判 +6 (a return)
    X  商务谈判 D0 → 赢单 +4 (a mistake) → 商务谈判 +5 → 输单 +7
    P  需求确认 D0 → 成交 +20: open before the sync, nothing typed: no cycle, counted apart
    F  方案展示 D0, 首次接触日期 D0-60 typed → 成交 +30: cycle 90
    S  商务谈判, 阶段开始日期 D0-10 typed before the first sync → 成交 +10: cycle 20
    N  a new lead added at +5 → 初步接触 +8 → 成交 +25: cycle 20
    """
    before = D0 - DAY
    path = make_workbook(
        tmp_path / "b.xlsx",
        [
            customer("R", stage="商务谈判", last_contact=before),
            customer("X", stage="商务谈判", last_contact=before),
            customer("P", stage="需求确认", last_contact=before),
            customer("F", stage="方案展示", last_contact=before, first_contact=D0 - 60 * DAY),
            customer("S", stage="商务谈判", last_contact=before, stage_since=D0 - 10 * DAY),
        ],
    )
    sync(path, D0)
    assert results(path)["S"]["stage_since"] == D0 - 10 * DAY  # what people gave is kept
    steps = {
        3: [("R", "方案展示")],
        4: [("X", "赢单")],
        5: [("X", "商务谈判"), ("N", None)],
        6: [("R", "商务谈判")],
        7: [("X", "输单")],
        8: [("N", "初步接触")],
        10: [("S", "成交维护")],
        20: [("P", "成交维护")],
        25: [("N", "成交维护")],
        30: [("F", "成交维护")],
    }
    for day, moves in steps.items():
        for cid, stage in moves:
            if stage is None:
                _add_customer(path, **customer(cid, stage="线索获取", last_contact=D0 + 4 * DAY))
            else:
                type_in(
                    path, cid, stage=stage, **({"lost_reason": "预算"} if stage == "输单" else {})
                )
        sync(path, D0 + day * DAY)
    sync(path, TODAY)

    table = {r[0]: r[1:8] for r in summary_section(path, CONVERSION)}
    # stage: entered, moved on, rate, won, won rate, median days, mean days
    assert table["线索获取"] == (1, 1, 1, 1, 1, 3, 3)  # N: 3 days to 初步接触
    assert table["初步接触"] == (1, 1, 1, 1, 1, 17, 17)  # N: 17 days to 成交
    assert table["需求确认"] == (1, 1, 1, 1, 1, 20, 20)  # P
    # F (30 days to 成交) and R (3 days to 商务谈判, after its return): both moved on
    assert table["方案展示"] == (2, 2, 1, 1, 0.5, 16.5, 16.5)
    # R (back, still there), X (the win a mistake: neither moved on nor won), S (20 days)
    entered, moved, rate, won, won_rate, median, mean = table["商务谈判"]
    assert (entered, moved, won, median, mean) == (3, 1, 1, 20, 20)
    assert (rate, won_rate) == (pytest.approx(1 / 3), pytest.approx(1 / 3))
    assert table["成交维护"][0] == 4  # P, F, S, N: X's mistaken 赢单 is no win

    owners = summary_section(path, BY_OWNER)
    total = next(r for r in owners if r[0] == "合计")
    # 6 customers, 4 won, 1 lost; cycle (90 + 20 + 20) / 3, P apart
    assert total[1:6] == (6, 4, 1, pytest.approx(0.8), pytest.approx(43.3))
    assert owners[-1][0] == "开始于同步之前,1 个:未计入周期(填写首次接触日期即可计入)"


def test_a_deal_open_before_the_first_sync_gets_no_cycle_from_that_day(tmp_path):
    """Open at the first run, won 20 days later: its true cycle is unknown, so it is counted
    apart, not shown as a 20-day cycle; a typed 首次接触日期 gives it its true one."""
    path = make_workbook(
        tmp_path / "b.xlsx",
        [customer("P", last_contact=D0 - DAY), customer("Q", last_contact=D0 - DAY)],
    )
    sync(path, D0)
    type_in(path, "P", stage="成交维护")
    type_in(path, "Q", stage="成交维护", first_contact=D0 - 59 * DAY)
    sync(path, D0 + 20 * DAY)
    owners = summary_section(path, BY_OWNER)
    assert owners[-2][:6] == ("合计", 2, 2, 0, 1, 79)  # Q: 59 + 20 days; P not a 20-day one
    assert owners[-1][0].startswith("开始于同步之前,1 个")
