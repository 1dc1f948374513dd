"""Real .xlsx workbooks in tmp_path, built from the same template `init` uses."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import hypothesis
import openpyxl
import pytest
from smtp_server import Smtp

from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import load_settings
from sheetsync.ops import app
from sheetsync.ops.demo import TEAM
from sheetsync.workbook.schema import FOLLOWUPS, PEOPLE_COLUMNS, SYNC_COLUMNS
from sheetsync.workbook.template import new_workbook

TODAY = dt.date(2026, 11, 18)  # a Wednesday
# What `init` makes, spelled out (not derived from the code under test).
ZH_TABS = [
    "客户跟进",
    "分级标准",
    "价值分级",
    "团队",
    "汇总",
    "任务记录",
    "阶段记录",
    "同步日志",
    "同步快照",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", None}


# Property tests (hypothesis): few examples in the everyday run, many on demand with
# `--hypothesis-profile=thorough`. No deadline (no test times anything: a loaded machine
# must not fail one) and no example database in the checkout.
hypothesis.settings.register_profile("fast", max_examples=20, deadline=None, database=None)
hypothesis.settings.register_profile("thorough", max_examples=500, deadline=None, database=None)
hypothesis.settings.load_profile("fast")


# --- No test writes outside its tmp_path ---------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent
# What pytest, its plugins and Python themselves keep in the checkout: not a test's doing.
TOOL_CACHES = ("__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", ".mypy_cache")


def checkout_files() -> dict[str, tuple[str, int, int]] | None:
    """Every file of the checkout git lists as changed, untracked or ignored, with its size and
    modification time (None where this is no git checkout, e.g. an unpacked sdist)."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "-z", "--ignored=traditional", "-uall"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8", "surrogateescape")
    except (OSError, subprocess.CalledProcessError):
        return None
    files = {}
    for entry in filter(None, out.split("\0")):
        state, name = entry[:2], entry[3:]
        if any(part in TOOL_CACHES for part in Path(name).parts):
            continue
        try:
            stat = (ROOT / name).stat()
            files[name] = (state, stat.st_size, stat.st_mtime_ns)
        except OSError:  # deleted
            files[name] = (state, -1, -1)
    return files


def pytest_sessionstart(session):
    """Note the checkout's state before the run (in the controller when the run is split
    across xdist workers: it starts before them and finishes after them)."""
    if not hasattr(session.config, "workerinput"):
        session.config.stash[CHECKOUT] = checkout_files()


def pytest_sessionfinish(session):
    """Fail the run when a tracked file changed or an untracked or ignored one appeared or
    changed in the checkout (demo/outbox, a journal in the cwd ...): a test wrote outside its
    tmp_path. A file someone edits by hand during the run shows up here too."""
    before = session.config.stash.get(CHECKOUT, None)
    if before is None or hasattr(session.config, "workerinput"):
        return
    after = checkout_files() or {}
    changed = sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))
    if changed:
        session.config.stash[WRITTEN] = changed
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    changed = config.stash.get(WRITTEN, [])
    if changed:
        terminalreporter.section("files written outside tmp_path", sep="=", red=True, bold=True)
        for name in changed:
            terminalreporter.line(f"changed in the checkout during the run: {name}", red=True)


CHECKOUT = pytest.StashKey[dict[str, tuple[str, int, int]] | None]()
WRITTEN = pytest.StashKey[list[str]]()


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch):
    """Tests talk to 127.0.0.1 only: resolving any other host fails the test loudly."""
    import socket

    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        if host not in LOOPBACK:
            raise AssertionError(f"a test tried to reach {host}: only 127.0.0.1 is allowed")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


PEOPLE_KEYS = [c.key for c in PEOPLE_COLUMNS]
# Rows as `init` lays the tab out: the optional outcome columns (输单原因, 预计金额 ...) come
# after the sync's own, which stay empty here.
ROW_KEYS = [c.key for c in FOLLOWUPS.columns]


def customer(customer_id: str, **values: object) -> dict:
    """A valid, fully described B-grade lead unless overridden."""
    base = {
        "customer_id": customer_id,
        "customer": f"{customer_id}科技有限公司",
        "contact": "张经理",
        "phone": "13800000000",
        "stage": "需求确认",
        "intent": "中",
        "budget": "初步确认",
        "decision_cycle": "2个月",
        "last_contact": TODAY - dt.timedelta(days=1),
        "owner": "张伟",
    }
    return {**base, **values}


def make_workbook(
    path: Path, customers: list[dict], locale: str = "zh", team: list[list] | None = TEAM
) -> Path:
    rows = [[c.get(k) for k in ROW_KEYS] for c in customers]  # the schema's column order
    XlsxBackend(path).create(new_workbook(locale, team, rows, work_first=False))
    return path


def sync(
    path: Path,
    today: dt.date = TODAY,
    dry_run: bool = False,
    email: bool = False,
    transport=None,
    environ: dict | None = None,
    **settings: object,
):
    """A sync as the CLI runs it; mail, when asked for, goes to an outbox beside the file."""
    environ = {"SHEETSYNC_EMAIL_OUTBOX": str(path.parent / "outbox"), **(environ or {})}
    config = load_settings(None, environ, **{"workbook": str(path), **settings})
    return app.run_sync(config, today, dry_run, email=email, transport=transport)


def sheet_rows(path: Path, title: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[title].iter_rows(values_only=True))


def type_in(path: Path, customer_id: str, **values: Any) -> None:
    """What a person types into a customer's row of the (Chinese) follow-up tab: people's
    columns by key, found by their header wherever the tab puts them."""
    book = openpyxl.load_workbook(path)
    sheet = book[FOLLOWUPS.title("zh")]
    header = {c.value: column for column, c in enumerate(sheet[1], start=1)}
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == customer_id)
    for key, value in values.items():
        sheet.cell(row, header[FOLLOWUPS.column(key).zh]).value = value
    book.save(path)


def summary_section(path: Path, title: str, sheet: str = "汇总") -> list[tuple]:
    """The data rows of one table of the summary tab (under its title and header row)."""
    rows = sheet_rows(path, sheet)
    start = next(i for i, r in enumerate(rows) if r and r[0] == title)
    section = []
    for row in rows[start + 2 :]:
        if all(v is None for v in row):
            break
        section.append(row)
    return section


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


# --- Google Sheets: the real gspread + google-auth client against a local API fake ---------
import json  # noqa: E402

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from sheets_fake import FakeSheets  # noqa: E402

from sheetsync.backends.gsheets import GSheetsBackend  # noqa: E402
from sheetsync.workbook.changes import Changeset  # noqa: E402

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-sheet"


@pytest.fixture
def sheets_api():
    fake = FakeSheets().start()
    fake.require_token = True  # every API call must carry the token google-auth obtained
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    """One generated RSA key for the whole run: generating one per test cost ~0.1-0.5 s each."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def service_account(tmp_path, sheets_api, private_key_pem):
    """A service-account key file whose token URI is this test's fake."""
    pem = private_key_pem
    info = {
        "type": "service_account",
        "project_id": "sheetsync-test",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "sync@sheetsync-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": f"{sheets_api.url}/token",
    }
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(info))
    return path


def gsheets_settings(sheets_api, service_account) -> dict:
    return {
        "backend": "gsheets",
        "gsheets": {"credentials": str(service_account), "endpoint": sheets_api.url},
    }


def make_spreadsheet(
    sheets_api,
    service_account,
    customers: list[dict],
    locale: str = "zh",
    team: list[list] | None = TEAM,
    key: str = KEY,
) -> str:
    """A spreadsheet holding what `init` would put in an .xlsx, written through the backend."""
    sheets_api.create(key)
    rows = [[c.get(k) for k in ROW_KEYS] for c in customers]
    backend = GSheetsBackend(key, str(service_account), sheets_api.url)
    backend.read()
    content = new_workbook(locale, team, rows, work_first=False)  # the schema's column order
    hidden = {t.title for t in content.tabs if t.hidden}
    backend.write(Changeset(replace={t.title: t.rows for t in content.tabs}, hidden=hidden))
    return key


def sheet_values(sheets_api, title: str, key: str = KEY) -> list[list]:
    book = sheets_api.books[key]
    return book.by_title(title).grid()


def sheet_results(sheets_api, locale: str = "zh", key: str = KEY) -> dict[str, dict]:
    """Like `results`, read from the fake spreadsheet (serial dates back to dates)."""
    return grid_results(sheet_values(sheets_api, FOLLOWUPS.title(locale), key), locale)


def grid_results(rows: list[list], locale: str = "zh") -> dict[str, dict]:
    """Customer id -> the sync's columns, from an online sheet's 客户跟进 grid (Google's or
    Feishu's fake: serial dates back to dates, "" as None), as `results` reads a file."""
    from sheetsync.workbook.changes import DATE_KEYS
    from sheetsync.workbook.parsing import EXCEL_EPOCH

    header = {str(h): i for i, h in enumerate(rows[0]) if h != ""}
    out = {}
    for row in rows[1:]:
        row = row + [""] * (len(rows[0]) - len(row))
        values = {}
        for term in SYNC_COLUMNS:
            value = row[header[term.text(locale)]]
            if term.key in DATE_KEYS and isinstance(value, (int, float)) and value != "":
                value = EXCEL_EPOCH + dt.timedelta(days=int(value))
            values[term.key] = None if value == "" else value
        out[row[header[FOLLOWUPS.column("customer_id").text(locale)]]] = values
    return out


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 for the test's run (tests/smtp_server.py)."""
    server = Smtp()
    server.controller.start()
    yield server
    server.controller.stop()


# --- Feishu Sheets: the app client against the local open-platform fake (issue 27) --------
from feishu_sheets_fake import FeishuSheets  # noqa: E402

FEISHU_TOKEN = "shtcnFeishuTestToken0123456789"


@pytest.fixture
def feishu_api(tmp_path, monkeypatch):
    """Feishu's open platform with its Sheets API on 127.0.0.1; the app's credentials in
    the environment, a write's journal kept in the test's own directory."""
    from sheetsync import feishu_api as client

    fake = FeishuSheets().start()
    monkeypatch.setenv("SHEETSYNC_FEISHU_APP_ID", "cli_test")
    monkeypatch.setenv("SHEETSYNC_FEISHU_APP_SECRET", "s3cret")
    monkeypatch.setattr(client, "pause_for", lambda seconds: None)
    monkeypatch.chdir(tmp_path)
    yield fake
    fake.stop()


def feishu_settings(feishu_api) -> dict:
    return {"backend": "feishu", "feishu": {"base_url": feishu_api.url, "max_wait": 5}}


def feishu_backend_for(feishu_api, token: str = FEISHU_TOKEN):
    from sheetsync.backends.feishu import FeishuBackend
    from sheetsync.feishu_api import FeishuClient, FeishuCredentials

    client = FeishuClient(FeishuCredentials("cli_test", "s3cret"), feishu_api.url, max_wait=5)
    return FeishuBackend(token, client)


def make_feishu_sheet(
    feishu_api, customers: list[dict], locale: str = "zh", team=TEAM, token: str = FEISHU_TOKEN
) -> str:
    """A Feishu sheet holding what `init` would put in an .xlsx, written through the backend."""
    feishu_api.create(token)
    rows = [[c.get(k) for k in ROW_KEYS] for c in customers]
    backend = feishu_backend_for(feishu_api, token)
    backend.read()
    content = new_workbook(locale, team, rows, work_first=False)
    hidden = {t.title for t in content.tabs if t.hidden}
    backend.write(Changeset(replace={t.title: t.rows for t in content.tabs}, hidden=hidden))
    return token


def feishu_values(feishu_api, title: str, token: str = FEISHU_TOKEN) -> list[list]:
    return feishu_api.books[token].by_title(title).grid()


def feishu_results(feishu_api, locale: str = "zh", token: str = FEISHU_TOKEN) -> dict[str, dict]:
    """Like `results`, read from the fake Feishu sheet (serial dates back to dates)."""
    return grid_results(feishu_values(feishu_api, FOLLOWUPS.title(locale), token), locale)
