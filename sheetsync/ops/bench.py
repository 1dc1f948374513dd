"""Benchmark: `python -m sheetsync.bench [--sizes 1000,10000,100000] [--repeat 3]`.

For each size it generates a workbook of that many customers, then reports
- compute: finding tabs/columns + validate + grade + schedule + task log + summary (pure, no I/O);
- end-to-end: one `sync` run on the file (sheet and reminder mail to an outbox), in a fresh
  process each time, with its peak RSS.
Medians over --repeat runs. Targets on a 2-core machine: compute 100 k < 2 s; sync 10 k < 3 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from sheetsync.config import load_settings
from sheetsync.ops.demo import OWNERS, TEAM, demo_customers
from sheetsync.workbook.template import new_workbook

TODAY = dt.date(2026, 11, 18)


def bench_customers(size: int, seed: int = 1) -> list[list]:
    """`size` customers: the demo's rows, varied and renumbered (the same for every backend)."""
    rng = random.Random(seed)
    base = demo_customers(TODAY)
    rows = []
    for i in range(size):
        row = list(rng.choice(base))
        row[0], row[14] = f"KH-{i + 1:06d}", rng.choice(OWNERS)
        if isinstance(row[10], dt.date):
            row[10] = TODAY - dt.timedelta(days=rng.randrange(0, 30))
        rows.append(row)
    return rows


def generate(path: Path, size: int, seed: int = 1) -> None:
    """A workbook of `size` customers, written in openpyxl's fast write-only mode."""
    content = new_workbook("zh", TEAM, [])
    book = openpyxl.Workbook(write_only=True)
    for tab in content.tabs:
        sheet = book.create_sheet(tab.title)
        for row in tab.rows:
            sheet.append(row)
        if tab.title == "客户跟进":
            for row in bench_customers(size, seed):
                sheet.append(row)
    book.save(path)


def _compute_once(path: Path) -> float:
    from sheetsync.backends.xlsx import XlsxBackend
    from sheetsync.pipeline import compute, load
    from sheetsync.rules.workdays import WorkCalendar

    settings = load_settings(environ={}, workbook=str(path))
    grids = XlsxBackend(path).read()
    start = time.perf_counter()
    compute(load(grids, settings), TODAY, WorkCalendar(settings.holidays))
    return time.perf_counter() - start


def _floor(path: Path) -> float:
    """What no sync of this file can beat: read every tab (calamine) and unzip and re-deflate
    every part. The sync's times are reported as multiples of it, measured in the same run,
    so a busy machine shifts both alike."""
    import io
    import zipfile

    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    data = path.read_bytes()
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for item in source.infolist():
            copy.writestr(item, source.read(item.filename))
    return time.perf_counter() - start


def _sync_in_child(path: Path, day: dt.date = TODAY) -> dict:
    """One end-to-end sync in a fresh interpreter: its own peak RSS, no warm caches."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sheetsync.ops.bench",
            "--child",
            str(path),
            "--day",
            day.isoformat(),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _child(path: Path, day: dt.date) -> None:
    from sheetsync.ops import app

    outbox = path.parent / f"outbox-{path.stem}"
    settings = load_settings(environ={"SHEETSYNC_EMAIL_OUTBOX": str(outbox)}, workbook=str(path))
    start = time.perf_counter()
    report = app.run_sync(settings, day)  # the real daily job: sheet, then reminder mail
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "cells": report.cells}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--day", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(Path(args.child), dt.date.fromisoformat(args.day))
    print(
        f"{'rows':>7} {'compute s':>10} {'sync 1st s':>11} {'sync again s':>13} "
        f"{'next day s':>11} {'peak MB':>8} {'floor s':>8} {'1st/floor':>10} {'next/floor':>11}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(folder) / f"bench-{size}.xlsx"
            generate(path, size)
            compute = statistics.median(_compute_once(path) for _ in range(args.repeat))
            first = _sync_in_child(path)  # writes every computed cell
            again = [_sync_in_child(path) for _ in range(args.repeat)]  # a re-run, same day
            synced = path.read_bytes()
            floor = statistics.median(_floor(path) for _ in range(args.repeat))
            tomorrow = []  # the daily case: a day on, statuses and tasks move
            for _ in range(args.repeat):
                path.write_bytes(synced)
                tomorrow.append(_sync_in_child(path, TODAY + dt.timedelta(days=1)))
            print(
                f"{size:>7} {compute:>10.2f} {first['seconds']:>11.2f} "
                f"{statistics.median(r['seconds'] for r in again):>13.2f} "
                f"{statistics.median(r['seconds'] for r in tomorrow):>11.2f} "
                f"{max(r['peak_mb'] for r in [first, *again, *tomorrow]):>8.0f} {floor:>8.2f} "
                f"{first['seconds'] / floor:>10.1f} "
                f"{statistics.median(r['seconds'] for r in tomorrow) / floor:>11.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
