import datetime as dt

import pytest
from conftest import TODAY, customer

A = {"budget": "明确", "intent": "高", "decision_cycle": "20天"}  # interval 1 day
B = {}  # interval 3 days
D = dt.date


@pytest.mark.parametrize(
    "grade, last, expected",
    [
        (A, D(2026, 11, 20), D(2026, 11, 23)),  # Fri + 1 = Sat -> Monday
        (B, D(2026, 11, 19), D(2026, 11, 23)),  # Thu + 3 = Sun -> Monday
        (B, D(2026, 9, 29), D(2026, 10, 8)),  # lands in the National Day holiday -> first day back
        (A, D(2026, 10, 9), D(2026, 10, 10)),  # Saturday 10-10 is a make-up workday (调休)
        (A, D(2026, 12, 31), D(2027, 1, 4)),  # New Year next year: no crash, Monday after
        (A, D(2026, 11, 16), D(2026, 11, 17)),  # plain weekday
    ],
)
def test_next_date_moves_to_a_working_day(book, grade, last, expected):
    got = book([customer("K1", last_contact=last, **grade)], today=D(2026, 9, 1))
    assert got["K1"]["next_date"] == expected


def test_without_holidays_only_weekends_are_skipped(tmp_path):
    from conftest import make_workbook, results, sync

    path = make_workbook(
        tmp_path / "b.xlsx",
        [
            customer("K1", last_contact=D(2026, 9, 29)),
            customer("K2", last_contact=D(2026, 10, 9), **A),
        ],
    )
    sync(path, D(2026, 9, 1), holidays=False)
    got = results(path)
    assert (got["K1"]["next_date"], got["K2"]["next_date"]) == (D(2026, 10, 2), D(2026, 10, 12))


def test_new_lead_is_due_today_and_agreed_date_wins(book):
    got = book(
        [
            customer("NEW", last_contact=None),
            customer("AGREED", agreed_date="2026/12/1"),
            customer(
                "STALE", agreed_date=TODAY - dt.timedelta(days=5)
            ),  # agreed before the last contact
        ]
    )
    assert (got["NEW"]["next_date"], got["NEW"]["status"]) == (TODAY, "今日跟进")
    assert got["AGREED"]["next_date"] == D(2026, 12, 1)
    assert got["STALE"]["next_date"] == D(2026, 11, 20)  # 11-17 + 3 days: the interval rule


@pytest.mark.parametrize(
    "values, status",
    [
        ({"last_contact": D(2026, 11, 10)}, "已逾期"),
        ({"last_contact": D(2026, 11, 15)}, "今日跟进"),  # Sun + 3 = Wed 11-18, today
        ({"last_contact": D(2026, 11, 17)}, "待跟进"),
        ({"paused_until": "是"}, "暂缓"),
        ({"paused_until": "yes"}, "暂缓"),
        ({"paused_until": D(2026, 12, 1)}, "暂缓"),
        ({"paused_until": TODAY}, "暂缓"),
        ({"paused_until": D(2026, 11, 1), "last_contact": D(2026, 11, 10)}, "已逾期"),
        ({"owner": None, "paused_until": "是"}, "资料不全"),
        ({"last_contact": "2026-11-31"}, "资料不全"),
    ],
)
def test_status_for_each_case(book, values, status):
    got = book([customer("K1", **values)])
    assert got["K1"]["status"] == status


def test_dated_pause_resumes_the_day_after(book):
    got = book([customer("K1", paused_until=D(2026, 11, 27))])  # a Friday
    assert got["K1"]["next_date"] == D(2026, 11, 30)
    assert got["K1"]["status"] == "暂缓"


def test_indefinite_pause_has_no_date_or_task(book):
    got = book([customer("K1", paused_until="是")])
    assert got["K1"]["next_date"] is None and got["K1"]["task"] is None


def test_task_text_names_date_method_contact_customer_and_action(book):
    got = book([customer("K1", contact="刘经理", customer="华辰科技有限公司", **A)])
    assert (
        got["K1"]["task"]
        == "2026-11-18 电话/面谈 刘经理(华辰科技有限公司): 电话沟通需求、同步方案进展、邀请演示"
    )
