"""Late records (issue 24, item 6): a contact whose 上次跟进日期 is more than one workday older
than the day the sync first saw it is counted per owner in the summary, as data hygiene, and
is never a row error. Real .xlsx workbooks over several syncs; November 2026 has no holiday."""

import datetime as dt

from conftest import (
    PEOPLE_KEYS,
    customer,
    make_workbook,
    results,
    sheet_rows,
    summary_section,
    sync,
)
from openpyxl import load_workbook

D = dt.date
COLUMN = {k: PEOPLE_KEYS.index(k) + 1 for k in PEOPLE_KEYS}
TITLE = "补录跟进(晚于1个工作日录入, 近30天)"


def _type(path, row: int, **values) -> None:
    book = load_workbook(path)
    for key, value in values.items():
        book["客户跟进"].cell(row, COLUMN[key]).value = value
    book.save(path)


def test_contacts_typed_late_are_counted_per_owner(tmp_path):
    old = D(2026, 10, 20)  # typed long before the sync existed: the seed, never counted
    path = make_workbook(
        tmp_path / "b.xlsx",
        [
            customer("L1", owner="张伟", last_contact=old),
            customer("L2", owner="张伟", last_contact=old),
            customer("L3", owner="李娜", last_contact=old),
        ],
    )
    sync(path, D(2026, 11, 9))  # Monday: the first sync
    assert TITLE not in [r[0] for r in sheet_rows(path, "汇总") if r]
    # Monday 11-16: a Friday call (1 workday: in time), a Thursday call (2: late).
    _type(path, 2, last_contact=D(2026, 11, 13), summary="电话沟通")
    _type(path, 3, last_contact=D(2026, 11, 12), summary="电话沟通")
    sync(path, D(2026, 11, 16))
    # Wednesday 11-18: L3's call of Tuesday 11-10 (6 workdays late); L2's note refined (the
    # same call, first seen on 11-16: not late again); two new customers, one whose contact
    # of 11-17 is in time and one whose contact of 11-02 is 12 workdays late.
    _type(path, 4, last_contact=D(2026, 11, 10), summary="上门拜访")
    _type(path, 3, summary="电话沟通,客户要报价")
    _type(path, 5, customer_id="L4", customer="L4公司", owner="王强", last_contact=D(2026, 11, 17))
    _type(path, 6, customer_id="L5", customer="L5公司", owner="李娜", last_contact=D(2026, 11, 2))
    sync(path, D(2026, 11, 18))
    rows = [r[:5] for r in summary_section(path, TITLE)]
    assert rows == [  # owners in team order
        ("张伟", 2, 1, 0.5, 2),
        ("李娜", 2, 2, 1.0, 12),
        ("王强", 1, 0, 0.0, "—"),
    ]
    got = results(path)  # data hygiene only: no row error, no note in the row
    assert all(v["status"] != "资料不全" and "补录" not in (v["check"] or "") for v in got.values())


def test_a_sync_that_sees_no_late_contact_shows_no_table(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("L1", last_contact=D(2026, 11, 6))])
    sync(path, D(2026, 11, 9))
    _type(path, 2, last_contact=D(2026, 11, 9), summary="电话")
    sync(path, D(2026, 11, 10))
    assert TITLE not in [r[0] for r in sheet_rows(path, "汇总") if r]
