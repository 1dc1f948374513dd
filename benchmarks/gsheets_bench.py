"""Google Sheets backend benchmark, against the local API fake (tests/sheets_fake.py).

    python3 benchmarks/gsheets_bench.py [--sizes 1000,10000,100000] [--naive-cells 5000]

For each size: the sheetsync sync (first run, then the daily run a day later) and, for the
same daily changes, the naive ways a user might write them: one gspread `update_cell` per
changed cell, and gspread-dataframe's whole-sheet `set_with_dataframe`. Reported: API
requests, bytes sent, wall time. `update_cell` beyond --naive-cells cells is estimated from
the measured time per request (marked ~), since tens of thousands of round trips prove the
point slowly. Everything stays on 127.0.0.1; nothing reaches Google.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from sheets_fake import FakeSheets  # noqa: E402

from sheetsync.backends.gsheets import GSheetsBackend  # noqa: E402
from sheetsync.config import load_settings  # noqa: E402
from sheetsync.ops import app  # noqa: E402
from sheetsync.ops.bench import TODAY, bench_customers  # noqa: E402
from sheetsync.ops.demo import TEAM  # noqa: E402
from sheetsync.workbook.template import new_workbook  # noqa: E402


def key_file(folder: Path, token_uri: str) -> Path:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = folder / "sa.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "private_key": pem,
                "private_key_id": "b",
                "client_email": "bench@x.iam.gserviceaccount.com",
                "token_uri": token_uri,
            }
        )
    )
    return path


def populate(fake: FakeSheets, key: str, size: int) -> None:
    """The template's tabs and `size` demo-like customers, put straight into the fake."""
    rows = bench_customers(size)
    book = fake.create(key, titles=())
    # new_workbook puts each value under its own header; every cell inside its tab's grid (a
    # value past the grid's columns, which Google cannot hold, would appear under the sync's
    # new headers when the write grows the grid)
    for i, tab in enumerate(new_workbook("zh", TEAM, rows, work_first=False).tabs):
        from sheets_fake import Sheet

        width = max([26, *(len(r) for r in tab.rows)])
        sheet = Sheet(i, tab.title, rows=max(1000, len(tab.rows) + 10), cols=width)
        for r, row in enumerate(tab.rows):
            for c, v in enumerate(row):
                if isinstance(v, dt.date):
                    sheet.cells[(r, c)] = {
                        "v": float((v - dt.date(1899, 12, 30)).days),
                        "date": True,
                    }
                elif v not in (None, ""):
                    sheet.cells[(r, c)] = {"v": v}
        book.sheets.append(sheet)


def measure(fake: FakeSheets, action) -> tuple[int, int, float]:
    """Sheets API requests and bytes sent (the token exchange is not counted), wall time."""

    def api():
        return [b for _, path, b in fake.requests if path.startswith("/v4/")]

    before = api()
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    after = api()
    return len(after) - len(before), sum(after) - sum(before), seconds


def settings_for(fake: FakeSheets, key: str, account: Path):
    return load_settings(
        environ={},
        backend="gsheets",
        workbook=key,
        timezone="Asia/Shanghai",
        email={"enabled": False},
        gsheets={"credentials": str(account), "endpoint": fake.url},
    )


def naive_clients(fake: FakeSheets, key: str, account: Path):
    backend = GSheetsBackend(key, str(account), fake.url)
    import gspread

    client = gspread.Client(backend.credentials, session=backend.http.session)
    return client.open_by_key(key).worksheet("客户跟进")


def run(size: int, naive_cells: int, latency: float = 0.0) -> dict:
    fake = FakeSheets().start()
    fake.delay = latency
    with tempfile.TemporaryDirectory() as folder:
        account = key_file(Path(folder), f"{fake.url}/token")
        key = f"bench-{size}"
        populate(fake, key, size)
        settings = settings_for(fake, key, account)
        first = measure(fake, lambda: app.run_sync(settings, TODAY, email=False))
        before = {k: v for k, v in fake.books[key].by_title("客户跟进").cells.items()}
        daily = measure(
            fake, lambda: app.run_sync(settings, TODAY + dt.timedelta(days=1), email=False)
        )
        after = fake.books[key].by_title("客户跟进").cells
        changed = [k for k in after if before.get(k, {}).get("v") != after[k].get("v")]
        changed += [k for k in before if k not in after]
        sheet = naive_clients(fake, key, account)
        sample = changed[:naive_cells]
        per_cell = measure(
            fake,
            lambda: [
                sheet.update_cell(r + 1, c + 1, after.get((r, c), {}).get("v", ""))
                for r, c in sample
            ],
        )
        estimated = len(sample) < len(changed)
        scale = len(changed) / max(1, len(sample))
        naive_cell = (len(changed), int(per_cell[1] * scale), per_cell[2] * scale, estimated)
        import pandas as pd
        from gspread_dataframe import set_with_dataframe

        grid = fake.books[key].by_title("客户跟进").grid()
        frame = pd.DataFrame(
            [r + [""] * (len(grid[0]) - len(r)) for r in grid[1:]], columns=grid[0]
        )
        whole = measure(fake, lambda: set_with_dataframe(sheet, frame))
    fake.stop()
    return {
        "size": size,
        "first": first,
        "daily": daily,
        "changed": len(changed),
        "update_cell": naive_cell,
        "dataframe": whole,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--naive-cells", type=int, default=5000)
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the fake waits per request, like a real round trip (~0.1-0.3)",
    )
    args = parser.parse_args(argv)
    print(f"{'rows':>7} {'what':<32} {'requests':>9} {'MB sent':>8} {'seconds':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        r = run(size, args.naive_cells, args.latency)
        lines = [
            ("sheetsync, first sync", *r["first"]),
            (f"sheetsync, daily ({r['changed']} cells changed)", *r["daily"]),
            (
                "update_cell per changed cell" + (" ~est." if r["update_cell"][3] else ""),
                *r["update_cell"][:3],
            ),
            ("set_with_dataframe, whole tab", *r["dataframe"]),
        ]
        for what, requests_, sent, seconds in lines:
            print(
                f"{size:>7} {what:<32} {requests_:>9} {sent / 1e6:>8.2f} {seconds:>8.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
