"""sheetsync as an installed package: the wheel carries the templates and the default
settings, its `sheetsync` command works from any directory with nothing of the checkout, and
a run with no settings of its own writes its mail beside the workbook and says it did not
send it. The dependency ranges agree everywhere and the pins fall inside them."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_workbook
from packaging.requirements import Requirement
from test_language import people

from sheetsync.ops.cli import main

PROJECT = Path(__file__).resolve().parent.parent
WEDNESDAY = dt.date(2026, 11, 18)
# The mail line of the report: written to the outbox, in each language and script.
WRITTEN = {
    "zh": r"邮件:(\d+)封写入发件箱 (.+?),失败0封",
    "zh-Hant": r"郵件:(\d+)封寫入發件箱 (.+?),失敗0封",
    "en": r"mail: (\d+) written to the outbox (.+?), 0 failed",
}
SENT = ("发出", "發出", "sent")


def _requirements(path: Path) -> dict[str, Requirement]:
    """name -> requirement of a requirements file (its -r and -c lines left out)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#")[0].strip()
        if text and not text.startswith("-"):
            requirement = Requirement(text)
            found[requirement.name.lower()] = requirement
    return found


def _pins() -> dict[str, str]:
    return {
        r.name.lower(): str(r.specifier)[2:]
        for r in _requirements(PROJECT / "constraints.txt").values()
    }


def _demo_outbox() -> set[tuple[str, float]]:
    """The project's own demo/outbox: a run on a workbook elsewhere must not write there."""
    folder = PROJECT / "demo" / "outbox"
    return {(p.name, p.stat().st_mtime) for p in folder.glob("*")} if folder.is_dir() else set()


@pytest.mark.parametrize("locale", ["zh", "zh-Hant", "en"])
def test_a_sync_with_no_settings_of_its_own_writes_the_mail_beside_the_workbook_and_says_so(
    tmp_path, monkeypatch, locale
):
    (tmp_path / "books").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    for name in [n for n in os.environ if n.startswith("SHEETSYNC_")]:
        monkeypatch.delenv(name)  # the packaged defaults, as a fresh shell has them
    team, customers = people(locale)
    path = make_workbook(tmp_path / "books" / "team.xlsx", customers, locale, team)
    before = _demo_outbox()
    result = CliRunner().invoke(
        main, ["sync", "--workbook", str(path), "--today", str(WEDNESDAY)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    mails = sorted((tmp_path / "books" / "outbox").glob("*.eml"))
    assert mails, result.output  # beside the workbook
    said = re.findall(WRITTEN[locale], result.output)  # the digests' line, the alerts' line
    assert sum(int(count) for count, _ in said) == len(mails), result.output
    assert {folder for _, folder in said} == {str(tmp_path / "books" / "outbox")}
    for line in [t for t in result.output.splitlines() if re.search(WRITTEN[locale], t)]:
        assert not any(word in line for word in SENT), line
    assert _demo_outbox() == before and not (tmp_path / "elsewhere" / "outbox").exists()


def test_pyproject_and_the_requirements_files_ask_for_the_same_tested_ranges():
    """One list of dependencies, written twice (pip installs requirements*.txt from a
    checkout, pip install . reads pyproject.toml): every range has an upper bound (the time
    zone data excepted), and the versions CI installs (constraints.txt) are inside it."""
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {r.name.lower(): r for r in map(Requirement, project["dependencies"])}
    dev = {r.name.lower(): r for r in map(Requirement, project["optional-dependencies"]["dev"])}
    assert runtime == _requirements(PROJECT / "requirements.txt")
    assert dev == _requirements(PROJECT / "requirements-dev.txt")
    assert project["scripts"]["sheetsync"] == "sheetsync.ops.cli:main"
    pins = _pins()
    for name, requirement in {**runtime, **dev}.items():
        bounded = any(s.operator == "<" for s in requirement.specifier)
        assert bounded or name in ("tzdata", "pytz"), f"{name}: no upper bound"
        assert name in pins, f"{name}: not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} out of range"
    for path in ("requirements.txt", "requirements-dev.txt"):
        assert "-c constraints.txt" in (PROJECT / path).read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built offline from the checkout as `pip wheel` builds it."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(folder), str(PROJECT)],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    (built,) = folder.glob("sheetsync-*.whl")
    return built


@pytest.mark.slow  # builds a wheel (~5 s under load)
def test_the_wheel_carries_every_template_and_default_setting(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("templates", "config"):
        shipped = [p for p in (PROJECT / folder).rglob("*") if p.is_file()]
        assert shipped
        for path in shipped:
            inside = f"sheetsync/_data/{path.relative_to(PROJECT).as_posix()}"
            assert inside in names, f"{inside} is not in the wheel"
    assert "sheetsync/_data/config/deploy/sheetsync.timer" in names  # the recipes too
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert (
        "sheetsync = sheetsync.ops.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    )


@pytest.mark.slow  # builds a wheel, makes a venv and runs the installed command (~20 s under load)
def test_the_installed_command_works_from_any_directory_with_nothing_of_the_checkout(
    wheel, tmp_path
):
    venv = tmp_path / "venv"
    # The dependencies come from this interpreter's site-packages; sheetsync only from the wheel.
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
        check=True,
    )
    python, command = venv / "bin" / "python", venv / "bin" / "sheetsync"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHEETSYNC_", "PYTHON"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        env=env,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "books").mkdir(parents=True)

    def run(*args: object) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [*map(str, args)], cwd=elsewhere, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    where = run(
        python,
        "-c",
        "import sheetsync, sheetsync.resources as r; print(sheetsync.__file__); print(r.templates_dir())",
    ).stdout.split("\n")
    for found in where[:2]:  # the installed copy, its own templates: not the checkout's
        assert Path(found).is_relative_to(venv) and not Path(found).is_relative_to(PROJECT)
    assert "sync" in run(command, "--help").stdout

    team, customers = people("zh")
    make_workbook(elsewhere / "books" / "team.xlsx", customers, "zh", team)
    before = _demo_outbox()
    synced = run(command, "sync", "--workbook", "books/team.xlsx", "--today", str(WEDNESDAY))
    assert re.search(WRITTEN["zh"], synced.stdout), synced.stdout
    assert list((elsewhere / "books" / "outbox").glob("*.eml"))  # beside the workbook

    # `demo` then a bare `sync`: the packaged defaults name the demo in the current directory
    run(command, "demo")
    assert (elsewhere / "demo" / "sheetsync-demo.xlsx").is_file()
    run(command, "sync")
    assert _demo_outbox() == before and not (venv / "demo").exists()


def test_the_public_api_is_named_and_costs_nothing_until_used():
    """`__all__` names what a script may rely on; each name resolves, and importing the
    package alone loads none of it (the command's start-up pays only for what it uses)."""
    code = (
        "import sys, sheetsync; loaded = 'pandas' in sys.modules; "
        "[getattr(sheetsync, n) for n in sheetsync.__all__]; "
        "print(loaded, sorted(sheetsync.__all__))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    loaded, names = done.stdout.split(" ", 1)
    assert loaded == "False"
    for name in ("load_settings", "run_sync", "init_workbook", "SyncReport", "ConfigError"):
        assert repr(name) in names
