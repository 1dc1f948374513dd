"""Feishu Sheets backend benchmark, against the local open-platform fake
(tests/feishu_sheets_fake.py).

    python3 benchmarks/feishu_bench.py [--sizes 1000,10000] [--events-every 60]

For each size: the first sync and the daily run a day later. Reported: API calls (the quota
counts each, the token's included), bytes sent and received, wall time, and the calls of a
31-day month for a daily run plus an events-only check every --events-every minutes from
09:00 to 18:00 (serve's schedule), each check costing what the daily run costs. Everything
stays on 127.0.0.1; nothing reaches Feishu.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from feishu_sheets_fake import FeishuSheets  # noqa: E402

from sheetsync import feishu_api  # noqa: E402
from sheetsync.backends.feishu import FeishuBackend  # noqa: E402
from sheetsync.config import load_settings  # noqa: E402
from sheetsync.feishu_api import FeishuClient, FeishuCredentials  # noqa: E402
from sheetsync.ops import app  # noqa: E402
from sheetsync.ops.bench import TODAY, bench_customers  # noqa: E402
from sheetsync.ops.demo import TEAM  # noqa: E402
from sheetsync.workbook.changes import Changeset  # noqa: E402
from sheetsync.workbook.template import new_workbook  # noqa: E402

TOKEN = "shtcnBenchmark0123456789"


def measure(fake: FeishuSheets, run) -> dict:
    calls, sent, got = fake.fake.calls, fake.bytes_in, fake.bytes_out
    start = time.perf_counter()
    run()
    return {
        "calls": fake.fake.calls - calls,
        "sent": fake.bytes_in - sent,
        "received": fake.bytes_out - got,
        "seconds": time.perf_counter() - start,
    }


def bench(size: int, events_every: int) -> dict:
    fake = FeishuSheets().start()
    try:
        fake.create(TOKEN)
        client = FeishuClient(FeishuCredentials("cli_test", "s3cret"), fake.url)
        backend = FeishuBackend(TOKEN, client)
        backend.read()
        content = new_workbook("zh", TEAM, bench_customers(size), work_first=False)
        hidden = {t.title for t in content.tabs if t.hidden}
        backend.write(Changeset(replace={t.title: t.rows for t in content.tabs}, hidden=hidden))
        os.environ["SHEETSYNC_FEISHU_APP_ID"], os.environ["SHEETSYNC_FEISHU_APP_SECRET"] = (
            "cli_test",
            "s3cret",
        )
        settings = load_settings(
            environ={},
            workbook=TOKEN,
            backend="feishu",
            feishu={"base_url": fake.url},
            email={"enabled": False},
        )
        first = measure(fake, lambda: app.run_sync(settings, TODAY, email=False))
        day = TODAY + dt.timedelta(days=1)
        daily = measure(fake, lambda: app.run_sync(settings, day, email=False))
    finally:
        fake.stop()
    checks = (9 * 60) // events_every + 1 if events_every else 0
    return {
        "size": size,
        "first": first,
        "daily": daily,
        "month": 31 * (1 + checks) * daily["calls"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--events-every", type=int, default=60)
    args = parser.parse_args()
    feishu_api.pause_for = lambda seconds: None
    os.chdir(tempfile.mkdtemp())  # the write journal's directory
    print("| rows | run | API calls | sent | received | time |")
    print("|---:|---|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        found = bench(size, args.events_every)
        for run in ("first", "daily"):
            m = found[run]
            print(
                f"| {size:,} | {run} | {m['calls']} | {m['sent'] / 1e6:.1f} MB | "
                f"{m['received'] / 1e6:.1f} MB | {m['seconds']:.1f} s |"
            )
        every = (
            f"daily + every {args.events_every} min 09:00-18:00" if args.events_every else "daily"
        )
        print(f"| {size:,} | a month ({every}) | {found['month']:,} | | | |")


if __name__ == "__main__":
    main()
