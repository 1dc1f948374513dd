"""Start-up pays only for what the command uses: `--help` (and a usage error) answers without
loading pandas or any backend's, chat's or template's library, an .xlsx sync with no
chat configured never loads Google's or the chat bots' libraries, and one that sends nothing
loads no template library. Each run is a fresh
interpreter (`python -X importtime run.py ...`), which names every module it imported."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from conftest import TODAY, customer, make_workbook

RUN_PY = Path(__file__).resolve().parents[1] / "run.py"
HEAVY = ("pandas", "gspread", "google.auth", "apprise", "jinja2", "openpyxl", "lxml")
REMOTE = ("gspread", "google.auth", "google.oauth2", "apprise")


def imported_by(args: list[str], cwd: Path) -> tuple[set[str], subprocess.CompletedProcess]:
    """The modules `run.py ARGS` imported, from -X importtime's lines on stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEETSYNC_")}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(RUN_PY), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return names, done


def loaded(names: set[str], package: str) -> bool:
    return any(n == package or n.startswith(package + ".") for n in names)


def test_help_loads_no_dataframe_backend_chat_or_template_library(tmp_path):
    for args in (["--help"], ["sync", "--help"], ["sync", "--shard", "nonsense"]):
        names, done = imported_by(args, tmp_path)
        assert "sheetsync.ops.cli" in names, done.stderr[-2000:]  # the probe itself works
        assert [p for p in HEAVY if loaded(names, p)] == [], args
    assert "Usage:" in done.stderr + done.stdout


def test_an_xlsx_sync_without_chat_loads_no_google_or_chat_library(tmp_path):
    overdue = customer("A2", last_contact=TODAY - dt.timedelta(days=30))
    make_workbook(tmp_path / "team.xlsx", [customer("A1"), overdue])
    (tmp_path / "settings.yaml").write_text(
        "workbook: team.xlsx\nemail: {enabled: true, transport: outbox, outbox: outbox}\n",
        encoding="utf-8",
    )
    args = ["sync", "--config", "settings.yaml", "--today", TODAY.isoformat()]
    names, done = imported_by(args, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "pandas" in names and "sheetsync.pipeline" in names  # it did sync
    assert list((tmp_path / "outbox").glob("*.eml")), "mail was written"  # and mailed
    assert [p for p in REMOTE if loaded(names, p)] == []
    # The program ends without the interpreter's teardown: all it printed and logged is out.
    assert "读取2行" in done.stdout and "sync ok for" in done.stderr


def test_a_sync_that_sends_nothing_loads_no_template_library(tmp_path):
    """Mail off, or every mail already sent: Jinja2, which only renders mail and chat
    messages, is not loaded; a run with mail on and a reminder to send does load it."""
    overdue = customer("A2", last_contact=TODAY - dt.timedelta(days=30))
    make_workbook(tmp_path / "team.xlsx", [customer("A1"), overdue])
    for enabled in ("false", "true"):
        (tmp_path / "settings.yaml").write_text(
            f"workbook: team.xlsx\nemail: {{enabled: {enabled}, transport: outbox, "
            "outbox: outbox}\n",
            encoding="utf-8",
        )
        args = ["sync", "--config", "settings.yaml", "--today", TODAY.isoformat()]
        names, done = imported_by(args, tmp_path)
        assert done.returncode == 0 and "sheetsync.pipeline" in names, done.stderr[-3000:]
        assert loaded(names, "jinja2") == (enabled == "true"), enabled
    assert list((tmp_path / "outbox").glob("*.eml")), "the second run mailed"
    names, done = imported_by(args, tmp_path)  # again the same day: all of it went before
    assert done.returncode == 0 and "之前已写入" in done.stdout, done.stdout
    assert not loaded(names, "jinja2")


def test_the_program_exits_with_its_status_and_its_whole_message(tmp_path):
    missing = subprocess.run(
        [sys.executable, str(RUN_PY), "validate", "--workbook", "missing.xlsx"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert missing.returncode == 1 and "missing.xlsx not found" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_the_library_loads_a_backend_only_when_one_is_chosen(tmp_path):
    """ops.app and the pipeline serve every backend: none of them is loaded before a run
    opens one (a Google sheet's run needs no .xlsx reader, an .xlsx run no Google client)."""
    probe = "import sys, sheetsync.ops.app, sheetsync.pipeline; print(*sorted(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=RUN_PY.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    names = set(done.stdout.split())
    assert "sheetsync.pipeline" in names
    backends = (
        "sheetsync.backends.xlsx",
        "sheetsync.backends.gsheets",
        "sheetsync.backends.feishu",
    )
    assert [p for p in (*backends, *REMOTE) if loaded(names, p)] == []
