"""Class movement and churn per quarter, from the 分类记录 tab the sync keeps (issue 24, item
5): real workbooks over several syncs, on both backends, against figures worked out by hand."""

import datetime as dt

import pytest
from conftest import PEOPLE_KEYS, customer
from test_both_backends import FeishuBook, SheetsBook, XlsxBook

from sheetsync.rules.classes import quarter_of, quarters, read_class_log, update_class_log

D = dt.date
COLUMN = {k: PEOPLE_KEYS.index(k) + 1 for k in PEOPLE_KEYS}  # follow-up column numbers
# Scores (价值分级's defaults): A >= 80, B >= 50, else C; no figures: no class (新接触).
A = {"annual_amount": 1_000_000, "margin": "30%", "renewal_rate": "90%"}  # 100 points
B = {"annual_amount": 300_000, "margin": "30%", "renewal_rate": "70%"}  # 15+30+20 = 65
C = {"annual_amount": 100_000, "margin": "10%", "renewal_rate": "50%"}  # 0
STRATEGIC = {"since": D(2023, 1, 1), "product_lines": 2}  # 36+ months, 2 lines: 战略伙伴
LONG = {"since": D(2025, 6, 1)}  # 12+ months: 长期合作
GROWING = {"since": D(2026, 2, 1)}  # 6-11 months through November: 成长合作
SEEN = D(2026, 9, 25)  # everyone's last contact: never 180 days ago


@pytest.fixture(params=["xlsx", "gsheets", "feishu"])
def book(request, tmp_path):
    kinds = {"xlsx": XlsxBook, "gsheets": SheetsBook, "feishu": FeishuBook}
    return kinds[request.param](tmp_path, request)


def _number(value):
    return round(float(value), 4) if isinstance(value, (int, float)) else value


def section(book, title: str) -> list[list]:
    """A summary table's data rows (under its title and header), numbers rounded."""
    grid = book.grid("汇总")
    start = next(i for i, r in enumerate(grid) if r and r[0] == title)
    rows = []
    for row in grid[start + 2 :]:
        if not row or all(v in (None, "") for v in row):
            break
        row = list(row)
        while row and row[-1] in (None, ""):  # beside a wider table
            row.pop()
        rows.append([_number(v) for v in row])
    return rows


def _set(book, row: int, **values):
    for key, value in values.items():
        book.set("客户跟进", row, COLUMN[key], value)


def _seven_customers(book):
    """The first sync, the last Monday of Q3 (2026-09-28): six customers."""
    base = {"last_contact": SEEN, "stage": "成交维护"}
    book.make(
        [
            customer("C1", **B, **STRATEGIC, **base),  # B, will move up to A
            customer("C2", **base),  # 新接触 (no figures), will become B
            customer("C3", **A, **LONG, **base),  # A, will move down to B
            customer("C4", **A, **STRATEGIC, **base),  # A, will churn
            customer("C5", **B, **LONG, **base),  # B, stays
            customer("C6", **C, **GROWING, **base),  # C, will churn
        ]
    )
    book.sync(D(2026, 9, 28))


def test_class_moves_and_churn_per_quarter_match_hand_figures(book):
    _seven_customers(book)
    # 2026-10-12 (Q4): C1 B→A, C2 新接触→B, C3 A→B, C4 marked 已流失; C7 is added as a
    # new contact (first seen in Q4, so it counts from its first record).
    _set(book, 2, annual_amount=1_000_000, renewal_rate="90%")
    _set(book, 3, annual_amount=300_000, margin="30%", renewal_rate="70%")
    _set(book, 4, annual_amount=300_000, renewal_rate="70%")
    _set(book, 5, churned="是")
    _set(book, 8, customer_id="C7", customer="C7科技有限公司", owner="张伟", last_contact=SEEN)
    book.sync(D(2026, 10, 12))
    # 2026-11-18: C6 marked 已流失, C7 gets its figures: C.
    _set(book, 7, churned="是")
    _set(book, 8, annual_amount=100_000, margin="10%", renewal_rate="50%")
    book.sync(D(2026, 11, 18))
    book.sync(D(2026, 11, 18))  # a re-run records nothing new

    log = book.grid("分类记录")
    assert [str(h) for h in log[0][:6]] == [
        "客户编号",
        "客户名称",
        "分类",
        "客户关系",
        "流失",
        "记录日期",
    ]
    assert [(r[0], r[2], r[4] or None) for r in log[1:]] == [
        ("C1", "B", None),
        ("C2", "新接触", None),
        ("C3", "A", None),
        ("C4", "A", None),
        ("C5", "B", None),
        ("C6", "C", None),
        ("C1", "A", None),  # 10-12
        ("C2", "B", None),
        ("C3", "B", None),
        ("C4", "A", "流失"),
        ("C7", "新接触", None),
        ("C6", "C", "流失"),  # 11-18
        ("C7", "C", None),
    ]
    # Q4 against the state at 09-30 (C7: its first record): up first, then down.
    assert section(book, "分类变动(按季度)") == [
        ["2026Q4", "B", "A", "升级", 1, "C1科技有限公司"],
        ["2026Q4", "新接触", "B", "升级", 1, "C2科技有限公司"],
        ["2026Q4", "新接触", "C", "升级", 1, "C7科技有限公司"],
        ["2026Q4", "A", "B", "降级", 1, "C3科技有限公司"],
    ]
    # 流失 over the customers of the class (tier) at the quarter's start, not yet 流失 then.
    assert section(book, "流失率(按分类, 季度)") == [
        ["2026Q4", "A", 2, 1, 0.5],  # C3, C4: C4 lost
        ["2026Q4", "B", 2, 0, 0.0],  # C1, C5
        ["2026Q4", "C", 1, 1, 1.0],  # C6
        ["2026Q4", "新接触", 2, 0, 0.0],  # C2, C7
        ["2026Q3", "A", 2, 0, 0.0],  # the first sync's quarter: nobody lost yet
        ["2026Q3", "B", 2, 0, 0.0],
        ["2026Q3", "C", 1, 0, 0.0],
        ["2026Q3", "新接触", 1, 0, 0.0],
    ]
    assert section(book, "流失率(按客户关系, 季度)")[:4] == [
        ["2026Q4", "战略伙伴", 2, 1, 0.5],  # C1, C4: C4 lost
        ["2026Q4", "长期合作", 2, 0, 0.0],  # C3, C5
        ["2026Q4", "成长合作", 1, 1, 1.0],  # C6
        ["2026Q4", "新接触", 2, 0, 0.0],  # C2, C7
    ]
    # Shares now: 7 customers, 310万 a year (A: C1 + C4 = 200万; B: C2, C3, C5 = 90万;
    # C: C6, C7 = 20万); a 流失 customer still holds its class.
    assert section(book, "分类占比") == [
        ["A", 2, 2, 0.2857, 200, 0.6452],
        ["B", 2, 3, 0.4286, 90, 0.2903],
        ["C", 1, 2, 0.2857, 20, 0.0645],
        ["新接触", 2, 0, 0.0, 0, 0.0],
    ]


def test_a_customer_who_leaves_the_sheet_keeps_its_last_class(book):
    _seven_customers(book)
    _set(book, 7, customer_id=None, customer=None, owner=None, last_contact=None, since=None)
    for key in ("annual_amount", "margin", "renewal_rate"):
        _set(book, 7, **{key: None})
    book.sync(D(2026, 10, 12))
    log = book.grid("分类记录")
    assert [(r[0], r[2] or None) for r in log[7:]] == [("C6", None)]  # left the sheet
    # Q4: C6 was C at the start and is no 流失: one C customer kept, none lost.
    assert section(book, "流失率(按分类, 季度)")[2] == ["2026Q4", "C", 1, 0, 0.0]
    assert section(book, "分类占比")[2][1:3] == [1, 0]  # C at the start, none now


@pytest.mark.parametrize(
    "day, first, last",
    [
        (D(2026, 1, 1), D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 3, 31), D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 4, 1), D(2026, 4, 1), D(2026, 6, 30)),
        (D(2026, 9, 30), D(2026, 7, 1), D(2026, 9, 30)),
        (D(2026, 12, 31), D(2026, 10, 1), D(2026, 12, 31)),
    ],
)
def test_quarter_boundaries(day, first, last):
    assert quarter_of(day) == (first, last)


def test_quarters_shown_newest_first_from_the_first_record():
    import pandas as pd

    log = read_class_log(None)
    now = pd.DataFrame(
        {
            "customer_id": ["X"],
            "customer": ["X"],
            "value_class": ["A"],
            "relationship": ["新接触"],
            "churned": [False],
            "valid": [True],
        }
    )
    log = update_class_log(log, now, now["customer_id"], D(2025, 11, 3))
    labels = [q[0] for q in quarters(log, D(2026, 11, 18))]
    assert labels == ["2026Q4", "2026Q3", "2026Q2", "2026Q1"]  # at most four
    assert quarters(log, D(2025, 12, 1))[0][1:] == (D(2025, 10, 1), D(2025, 12, 1))


def test_an_english_workbook_says_it_in_english(tmp_path):
    book = XlsxBook(tmp_path, None)
    base = {"last_contact": SEEN, "stage": "Won"}
    book.make([customer("E1", **B, **base), customer("E2", **base)], locale="en")
    book.sync(D(2026, 9, 28))
    book.set("Follow-ups", 2, COLUMN["renewal_rate"], "90%")
    book.set("Follow-ups", 2, COLUMN["annual_amount"], 1_000_000)
    book.sync(D(2026, 10, 12))
    grid = book.grid("Summary")
    start = next(i for i, r in enumerate(grid) if r and r[0] == "Class movement (by quarter)")
    header = ["Quarter", "From", "To", "Direction", "Customers", "Who"]
    assert list(grid[start + 1][:6]) == header
    assert grid[start + 2][:6] == ["2026Q4", "B", "A", "Up", 1, "E1科技有限公司"]
    churn = next(i for i, r in enumerate(grid) if r and r[0] == "Churn by class (by quarter)")
    assert [r[:5] for r in grid[churn + 2 : churn + 4]] == [  # A and C: nobody, no row
        ["2026Q4", "B", 1, 0, 0.0],
        ["2026Q4", "New contact", 1, 0, 0.0],
    ]
