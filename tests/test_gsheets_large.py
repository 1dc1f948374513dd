"""A large Google sheet's first sync and next day's complete under Google's limits: every
request under 2 MB as sent, Google's 10 MiB body and 10 million cell limits enforced, and no
more than 60 write requests a minute (Google answers the 61st with 429). Scaled down so the
suite stays fast: the request limit and the hard body limit by the same factor (2 MB ->
7.5 kB), the cells by what 50,000 customers leave each one; the quota is Google's own, on a
fake clock. The true 50,000-customer run is in the benchmark (`python -m sheetsync.bench`,
"Google" lines)."""

import datetime as dt
from pathlib import Path

from conftest import KEY, TODAY, gsheets_settings, sheet_results, sheet_values, sync
from sheets_fake import MAX_BODY, MAX_CELLS, FakeClock
from test_gsheets_resume import CUSTOMERS, spreadsheet

from sheetsync.backends import gsheets_requests

LIMIT = 7_500  # MAX_PAYLOAD, scaled down from 2,000,000 (MAX_BODY with it)
# What a 50,000-customer sheet leaves each customer of Google's 10 million cells, besides
# what the sheet holds before its first sync (its 41 columns, ~0.2 M for the small tabs).
CELLS_PER_CUSTOMER = (MAX_CELLS - 50_000 * 41 - 200_000) // 50_000  # 155


def bodies(fake, since: int) -> list[int]:
    """The batchUpdate bodies as sent (the fake counts the path with them)."""
    sent = fake.requests[since:]
    return [n - len(path) for _, path, n in sent if path.endswith(":batchUpdate")]


def test_a_large_sheets_first_and_next_day_syncs_complete_under_googles_limits(
    sheets_api, service_account, monkeypatch
):
    """120 customers at 7.5 kB a request write as many requests as ~30,000 would at 2 MB:
    the first sync is ~90 batchUpdates, more than Google takes in a minute."""
    spreadsheet(sheets_api, service_account)  # made before the limits: `init` is not tested
    monkeypatch.setattr(gsheets_requests, "MAX_PAYLOAD", LIMIT)
    clock = FakeClock()
    monkeypatch.setattr("sheetsync.backends.gsheets.pause_for", clock.sleep)
    monkeypatch.setattr("sheetsync.backends.gsheets.clock", clock, raising=False)
    sheets_api.per_minute(60, clock)  # Google's: 60 writes (and 60 reads) a minute per user
    sheets_api.max_body = MAX_BODY * LIMIT // 2_000_000
    grids = sum(s.rows * s.cols for s in sheets_api.books[KEY].sheets)
    # the tabs the first sync adds (跟进历史, 预测记录, 分类记录) are made at Google's 1000 x
    # 26 while they are that short (50,000 customers' are made as long and wide as needed)
    sheets_api.max_cells = grids + 3 * 26_000 + CELLS_PER_CUSTOMER * len(CUSTOMERS)
    settings = gsheets_settings(sheets_api, service_account)
    since, answered = len(sheets_api.requests), len(sheets_api.exchanges)
    sync(Path("unused.xlsx"), TODAY, workbook=KEY, **settings)
    first = bodies(sheets_api, since)
    assert len(first) > 60 and clock.now >= 60  # over a minute's quota: paced
    clock.sleep(24 * 3600)
    sync(Path("unused.xlsx"), TODAY + dt.timedelta(days=1), workbook=KEY, **settings)
    refused = [answer for _, _, answer in sheets_api.exchanges[answered:] if "error" in answer]
    assert max(bodies(sheets_api, since)) <= LIMIT
    assert refused == []  # no 429: never over the quota, nothing refused
    statuses = {r["status"] for r in sheet_results(sheets_api).values()}
    assert len(sheet_results(sheets_api)) == len(CUSTOMERS) and None not in statuses
    assert len(sheet_values(sheets_api, "同步日志")) == 3  # header, a row a run
