"""Every cell is someone's input: random hostile values in people's columns, and values far
from any table in any tab (团队 included), go through read → compute → write on a real .xlsx
without a crash, and every cell people typed reads back as it was (hypothesis; a bounded
number of examples, each a whole sync)."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import openpyxl
import pytest
from conftest import TODAY, customer, make_workbook, sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.workbook.schema import PEOPLE_COLUMNS

# What a person (or a hostile file) can put in a cell that openpyxl writes: Excel's escapes
# of control characters (_x001B_), non-characters, formulas as text, bidi overrides, very
# long text, huge and tiny numbers, dates at the ends of Excel's range.
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["_x001B_[2J", "_x0000_", "\ufffe\uffff", "=cmd|' /C calc'!A0", "\u202egnp.exe", "<script>"]
    ),
    st.integers(min_value=2000, max_value=30000).map(lambda n: "长" * n),  # long, cheaply
)
VALUE = st.one_of(
    TEXT,
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.none(),
)
FIELDS = ("customer", "contact", "stage", "intent", "budget", "decision_cycle", "last_contact")
FIELDS += ("summary", "feedback", "owner", "notes", "birthday", "contract_end", "phone")
ROW = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, VALUE))
# Far cells: the sheet's last cell, far right of a header row or a customer's row, far below
# a table, past column ZZ; in any tab (a tab the sync rewrites whole included).
TABS = ("客户跟进", "分级标准", "价值分级", "团队", "汇总", "任务记录", "同步日志", "同步快照")
FAR_REF = st.sampled_from(["XFD1048576", "XFD1", "XFD2", "AAA3", "A1048576", "C500000", "ZZ9"])
FAR = st.dictionaries(st.tuples(st.sampled_from(TABS), FAR_REF), VALUE, max_size=6)
NON_XML = dict.fromkeys(map(ord, "\ufffe\uffff"), None)


def _writable(value):
    """openpyxl refuses control characters and U+FFFE/U+FFFF in text (a file can still hold
    them escaped, as _x001B_ above): what a test can put into a workbook."""
    if not isinstance(value, str):
        return value
    text = "".join(c for c in value if c >= " " or c in "\t\n").translate(NON_XML)
    return text.replace("\ud800", "").strip() or None


@settings(
    max_examples=12,  # no example database, no deadline: the profiles' (conftest.py)
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.slow  # twelve random workbooks, two syncs each
@given(rows=st.lists(ROW, min_size=1, max_size=4), far=FAR)
def test_hostile_cells_never_crash_a_sync_nor_change_what_people_typed(tmp_path, rows, far):
    folder = Path(tempfile.mkdtemp(prefix="hostile-", dir=tmp_path))  # one per example
    try:
        cleaned = [{k: _writable(v) for k, v in row.items()} for row in rows]
        made = [customer(f"H{i}", **row) for i, row in enumerate(cleaned)]
        path = make_workbook(folder / "b.xlsx", made)
        typed = _type_far(path, {where: _writable(v) for where, v in far.items()})
        before = people_cells(path, len(made))
        sync(path, TODAY)
        sync(path, TODAY + dt.timedelta(days=1))
        assert people_cells(path, len(made)) == before
        assert _far_cells(path, typed) == typed
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _type_far(path: Path, far: dict) -> dict:
    """The far cells typed into the workbook, as openpyxl reads them back."""
    book = openpyxl.load_workbook(path)
    for (title, ref), value in far.items():
        book[title][ref] = value
    book.save(path)
    return _far_cells(path, far)


def _far_cells(path: Path, far: dict) -> dict:
    book = openpyxl.load_workbook(path)
    return {(t, ref): (book[t][ref].value, book[t][ref].number_format) for t, ref in far}


def people_cells(path: Path, customers: int) -> list[list]:
    """Every cell of the people's columns, value and number format, by row, over the
    customers' rows (openpyxl's iter_rows would walk to the far cells)."""
    ws = openpyxl.load_workbook(path)["客户跟进"]
    top = list(ws.iter_rows(max_row=customers + 1, max_col=60))
    headers = [c.value for c in top[0]]
    people = {c.zh for c in PEOPLE_COLUMNS}
    return [
        [(c.value, c.number_format) for c, h in zip(row, headers, strict=True) if h in people]
        for row in top
    ]
