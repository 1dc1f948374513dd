"""Real .xlsx workbooks in tmp_path, built from the same template `init` uses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from sheetsync import app
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import load_settings
from sheetsync.demo import TEAM
from sheetsync.schema import FOLLOWUPS, PEOPLE_COLUMNS, SYNC_COLUMNS
from sheetsync.template import new_workbook

TODAY = dt.date(2026, 11, 18)  # a Wednesday
PEOPLE_KEYS = [c.key for c in PEOPLE_COLUMNS]


def customer(customer_id: str, **values: object) -> dict:
    """A valid, fully described B-grade lead unless overridden."""
    base = {
        "customer_id": customer_id, "customer": f"{customer_id}科技有限公司", "contact": "张经理",
        "phone": "13800000000", "stage": "需求确认", "intent": "中", "budget": "初步确认",
        "decision_cycle": "2个月", "last_contact": TODAY - dt.timedelta(days=1), "owner": "张伟",
    }  # fmt: skip
    return {**base, **values}


def make_workbook(path: Path, customers: list[dict], locale: str = "zh",
                  team: list[list] | None = TEAM) -> Path:  # fmt: skip
    rows = [[c.get(k) for k in PEOPLE_KEYS] for c in customers]
    XlsxBackend(path).create(new_workbook(locale, team, rows))
    return path


def sync(path: Path, today: dt.date = TODAY, dry_run: bool = False, email: bool = False,
         transport=None, environ: dict | None = None, **settings: object):  # fmt: skip
    """A sync as the CLI runs it; mail, when asked for, goes to an outbox beside the file."""
    environ = {"SHEETSYNC_EMAIL_OUTBOX": str(path.parent / "outbox"), **(environ or {})}
    config = load_settings(environ=environ, workbook=str(path), **settings)
    return app.run_sync(config, today, dry_run, email=email, transport=transport)


def sheet_rows(path: Path, title: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[title].iter_rows(values_only=True))


def results(path: Path, locale: str = "zh") -> dict[str, dict]:
    """Sync-owned values by customer id, keyed by column key (dates as dates)."""
    rows = sheet_rows(path, FOLLOWUPS.title(locale))
    header = {str(h): i for i, h in enumerate(rows[0]) if h is not None}
    out = {}
    for row in rows[1:]:
        values = {}
        for term in SYNC_COLUMNS:
            value = row[header[term.text(locale)]]
            values[term.key] = value.date() if isinstance(value, dt.datetime) else value
        out[row[header[FOLLOWUPS.column("customer_id").text(locale)]]] = values
    return out


@pytest.fixture
def book(tmp_path: Path):
    """make the workbook, sync it, return the results by id."""

    def build_and_sync(customers: list[dict], today: dt.date = TODAY, **kwargs) -> dict:
        path = make_workbook(tmp_path / "book.xlsx", customers, **kwargs)
        sync(path, today)
        return results(path, kwargs.get("locale", "zh"))

    return build_and_sync
