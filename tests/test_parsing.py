import datetime as dt

import hypothesis
import pandas as pd
import pytest
from hypothesis import strategies as st

from sheetsync.workbook import parsing
from sheetsync.workbook.parsing import parse_cycle, parse_date

MAY_10 = dt.date(2024, 5, 10)


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-10",
        "2024/5/10",
        "2024.5.10",
        "2024年5月10日",
        " 2024 年 5 月 10 日 ",
        "2024-05-10 14:30",
        dt.date(2024, 5, 10),
        dt.datetime(2024, 5, 10, 9, 30),
        45422,
        45422.0,
    ],
)
def test_every_accepted_date_form_reads_as_the_same_day(value):
    assert parse_date(value) == MAY_10


@pytest.mark.parametrize(
    "value",
    ["2024-13-01", "2024-02-30", "10/05/2024", "5月10日", "tomorrow", "45422", "2024-5", True, -3],
)
def test_rejected_dates_raise_instead_of_guessing(value):
    with pytest.raises(ValueError, match="not a date"):
        parse_date(value)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_blank_date_is_none(value):
    assert parse_date(value) is None


@pytest.mark.parametrize(
    "value, days",
    [
        ("20", 20),
        (20, 20),
        ("20天", 20),
        ("2周", 14),
        ("1个月", 30),
        ("≤1个月", 30),
        ("1-3个月", 90),
        (">3个月", 91),
        ("6 weeks", 42),
        ("3 months", 90),
        ("30天以内", 30),
        ("3个月以上", 91),
        ("半年", 180),
    ],
)
def test_decision_cycle_strings(value, days):
    assert parse_cycle(value) == days


@pytest.mark.parametrize("value", ["soon", "很快", "3 parsecs", "-"])
def test_unreadable_decision_cycle_is_rejected(value):
    with pytest.raises(ValueError, match="not a decision cycle"):
        parse_cycle(value)


# A column as backends give it: missing values of every kind, numbers equal across types
# (1, 1.0, True), text, dates and times.
CELLS = st.one_of(
    st.sampled_from([None, float("nan"), pd.NA, pd.NaT, "", " ", True, False, 0, 1, 1.0, -0.0]),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.dates(),
    st.datetimes(),
)


@hypothesis.given(st.lists(CELLS, min_size=1, max_size=parsing.FEW))
def test_a_short_column_maps_as_a_long_one_does(cells):
    """A team's sheet (a dict per value) and a company's (pd.factorize per value) map each
    cell alike: the same value for the same cell, missing values as one, whatever the size."""
    short = pd.Series(cells, dtype=object)
    long = pd.Series(cells * (parsing.FEW // max(len(cells), 1) + 2), dtype=object)
    assert len(long) > parsing.FEW
    mapped = parsing.map_unique(short, repr)
    assert list(mapped) == list(parsing.map_unique(long, repr))[: len(cells)]
    assert list(mapped.index) == list(short.index)
