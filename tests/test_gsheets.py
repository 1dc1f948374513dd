"""The Google Sheets backend: the real gspread + google-auth client, over HTTP, against the
local fake (tests/sheets_fake.py). Nothing here reaches Google."""

import datetime as dt

from conftest import (
    KEY,
    TODAY,
    customer,
    gsheets_settings,
    make_spreadsheet,
    make_workbook,
    results,
    sheet_results,
    sync,
)  # fmt: skip

MIXED = [
    customer("K1", last_contact=dt.date(2026, 11, 1)),
    customer("K2", last_contact="2026年11月17日"),
    customer("K3", last_contact="not a date"),
    customer("K4", paused_until="是", budget=None),
    customer("K5", last_contact=None, customer='=HYPERLINK("http://x","点我")'),
    customer(
        "K6", budget="明确", intent="高", decision_cycle="30天", last_contact=dt.date(2026, 11, 13)
    ),
]


def gsync(sheets_api, service_account, today=TODAY, **kwargs):
    return sync_sheet(sheets_api, service_account, today, **kwargs)


def sync_sheet(sheets_api, service_account, today=TODAY, **kwargs):
    from pathlib import Path

    return sync(
        Path("unused.xlsx"),
        today,
        workbook=KEY,
        **gsheets_settings(sheets_api, service_account),
        **kwargs,
    )


def test_same_results_as_the_xlsx_backend(tmp_path, sheets_api, service_account):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    sync(path)
    make_spreadsheet(sheets_api, service_account, MIXED)
    report = gsync(sheets_api, service_account)
    assert sheet_results(sheets_api) == results(path)
    assert report.cells > 0 and report.invalid == 1


def test_second_run_writes_no_cells(sheets_api, service_account):
    make_spreadsheet(sheets_api, service_account, MIXED)
    gsync(sheets_api, service_account)
    assert gsync(sheets_api, service_account).cells == 0
