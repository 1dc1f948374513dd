"""Every cell is someone's input: random hostile values in people's columns go through
read → compute → write on a real .xlsx without a crash, and every cell people typed reads
back as it was (hypothesis; a bounded number of examples, each a whole sync)."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from conftest import TODAY, customer, make_workbook, sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sync_xlsx import people_cells

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
NON_XML = dict.fromkeys(map(ord, "\ufffe\uffff"), None)


def _writable(value):
    """openpyxl refuses control characters and U+FFFE/U+FFFF in text (a file can still hold
    them escaped, as _x001B_ above): what a test can put into a workbook."""
    if not isinstance(value, str):
        return value
    text = "".join(c for c in value if c >= " " or c in "\t\n").translate(NON_XML)
    return text.replace("\ud800", "").strip() or None


@settings(
    max_examples=12,
    database=None,  # nothing written into the checkout
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(ROW, min_size=1, max_size=4))
def test_hostile_cells_never_crash_a_sync_nor_change_what_people_typed(rows):
    folder = Path(tempfile.mkdtemp(prefix="sheetsync-hostile-"))
    try:
        cleaned = [{k: _writable(v) for k, v in row.items()} for row in rows]
        made = [customer(f"H{i}", **row) for i, row in enumerate(cleaned)]
        path = make_workbook(folder / "b.xlsx", made)
        before = people_cells(path)
        sync(path, TODAY)
        sync(path, TODAY + dt.timedelta(days=1))
        assert people_cells(path) == before
    finally:
        shutil.rmtree(folder, ignore_errors=True)
