"""Cells a fuzz run found that stopped the whole run with a traceback: each is now a message
naming the row, the field and what is expected, in the workbook's language."""

import datetime as dt

import openpyxl
import pytest
from conftest import customer, make_workbook, results, sync

from sheetsync.workbook.parsing import Unreadable, parse_amount, parse_date, parse_frequency


@pytest.mark.parametrize(
    "value, key",
    [
        (dt.datetime(9999, 12, 31), "date_out_of_range"),
        ("9999-12-31", "date_out_of_range"),
        (2958465, "date_out_of_range"),
        ("#N/A", "excel_error"),
        ("#REF!", "excel_error"),
        ("2026-11-31", "no_such_date"),
        (float("inf"), "not_a_date"),
    ],
)
def test_unusable_dates_are_refused_with_their_reason(value, key):
    with pytest.raises(Unreadable) as caught:
        parse_date(value)
    assert caught.value.key == key


@pytest.mark.parametrize("value", [float("inf"), "1e400", "inf", 1e308 * 10])
def test_non_finite_amounts_are_refused(value):
    with pytest.raises(ValueError):
        parse_amount(value)


@pytest.mark.parametrize(
    "text, days",
    [
        ("每日1次", 1),
        ("每2-3天1次", 3),
        ("每周1次", 7),
        ("每周2次", 3),
        ("每月1次", 30),
        ("每季度1次", 90),
        ("5", 5),
    ],
)
def test_the_playbooks_frequencies_read_as_days(text, days):
    assert parse_frequency(text) == days


def test_a_sheet_full_of_unusable_cells_syncs_and_names_each(tmp_path):
    path = make_workbook(
        tmp_path / "b.xlsx",
        [
            customer("NEVER", last_contact="9999-12-31"),
            customer("NA", last_contact="#N/A"),
            customer("HUGE", annual_amount="1e400", margin="30%", renewal_rate="50%"),
            customer("OK"),
        ],
    )
    wb = openpyxl.load_workbook(path)
    wb["客户跟进"]["K2"] = dt.datetime(9999, 12, 31)  # a real date cell, not text
    wb.save(path)
    sync(path)
    got = results(path)
    assert got["NEVER"]["status"] == "资料不全" and "年份应在1900–2200之间" in got["NEVER"]["check"]
    assert got["NA"]["status"] == "资料不全" and "公式出错" in got["NA"]["check"]
    assert '年合作金额: "1e400"' in got["HUGE"]["check"] and "已忽略" in got["HUGE"]["check"]
    assert got["HUGE"]["status"] != "资料不全"  # a bad optional value is a warning only
    assert got["OK"]["check"] in (None, "")


def test_an_english_workbook_is_answered_in_english(tmp_path):
    path = make_workbook(
        tmp_path / "b.xlsx",
        [customer("K1", owner=None, intent="high", budget="clear")],
        locale="en",
    )
    report = sync(path)
    got = results(path, "en")["K1"]
    assert got["status"] == "Incomplete" and "Owner: empty (required)" in got["check"]
    assert "1 rows read, 1 invalid" in report.lines()[0]
