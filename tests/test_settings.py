"""Settings as a deployment meets them: relative paths, where they are taken from, and what
an error says about them; unknown SHEETSYNC_* variables."""

import datetime as dt
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TODAY, customer, make_workbook, results

from sheetsync.config import load_settings
from sheetsync.ops.cli import main

PROJECT = Path(__file__).parent.parent


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A deployment: /srv/config/team.yaml, /srv/books/, and a shell somewhere else."""
    (tmp_path / "srv" / "config").mkdir(parents=True)
    (tmp_path / "srv" / "books").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    return tmp_path / "srv"


def settings_file(site: Path, text: str) -> Path:
    path = site / "config" / "team.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_relative_workbook_and_outbox_in_a_file_are_taken_from_its_folder(site):
    config = settings_file(site, "workbook: ../books/team.xlsx\nemail: {outbox: mail}\n")
    overdue = customer("K1", last_contact=TODAY - dt.timedelta(days=60))
    book = make_workbook(site / "books" / "team.xlsx", [overdue])
    result = run("sync", "--config", config, "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert results(book)["K1"]["grade"] == "B"
    assert list((site / "config" / "mail").glob("*.eml"))
    assert list(Path.cwd().iterdir()) == []  # nothing written where the command ran


def test_a_relative_path_on_the_command_line_or_in_the_environment_is_from_here(site):
    config = settings_file(site, "workbook: ../books/other.xlsx\n")
    make_workbook(Path.cwd() / "here.xlsx", [customer("K1")])
    by_option = run("validate", "--config", config, "--workbook", "here.xlsx")
    by_variable = run("validate", "--config", config, env={"SHEETSYNC_WORKBOOK": "here.xlsx"})
    assert by_option.exit_code == 0 and by_variable.exit_code == 0, by_variable.output
    assert "检查了1行" in by_option.output and "检查了1行" in by_variable.output


@pytest.mark.parametrize(
    "written, args, env, tried, origin",
    [
        (
            "workbook: ../books/none.xlsx",
            [],
            {},
            "books/none.xlsx",
            "workbook: ../books/none.xlsx in {config}",
        ),
        (
            "workbook: ../books/a.xlsx",
            ["--workbook", "none.xlsx"],
            {},
            "../elsewhere/none.xlsx",
            "--workbook none.xlsx",
        ),
        (
            "workbook: ../books/a.xlsx",
            [],
            {"SHEETSYNC_WORKBOOK": "none.xlsx"},
            "../elsewhere/none.xlsx",
            "SHEETSYNC_WORKBOOK=none.xlsx",
        ),
    ],
)
def test_workbook_not_found_names_the_path_tried_and_where_it_was_set(
    site, written, args, env, tried, origin
):
    config = settings_file(site, written + "\n")
    result = run("validate", "--config", config, *args, env=env)
    path = (site / tried).resolve()
    assert result.exit_code == 1
    assert f"workbook {path} not found ({origin.format(config=config)})" in result.output


def test_a_workbook_listed_under_workbooks_is_found_from_the_files_folder(site):
    config = settings_file(
        site,
        "workbooks:\n  - {name: east, workbook: ../books/east.xlsx}\n"
        "  - {name: south, workbook: south.xlsx}\n",
    )
    make_workbook(site / "books" / "east.xlsx", [customer("K1")])
    result = run("sync", "--all", "--config", config, "--no-email")
    assert "1 of 2 workbook(s) synced" in result.output
    assert (
        f"FAILED south: workbook {site / 'config' / 'south.xlsx'} not found "
        f"(workbook: south.xlsx in {config}, workbooks[1])"
    ) in result.output


def test_password_file_and_credentials_in_a_file_are_taken_from_its_folder(site):
    config = settings_file(
        site, "email: {smtp: {password_file: secret.txt}}\ngsheets: {credentials: keys/sa.json}\n"
    )
    (site / "config" / "secret.txt").write_text("s3cret\n")
    settings = load_settings(config, environ={})
    assert settings.email.password() == "s3cret"
    assert settings.gsheets.credentials == str(site / "config" / "keys" / "sa.json")


def test_a_password_file_in_the_environment_is_taken_from_here(site):
    (Path.cwd() / "secret.txt").write_text("here\n")
    config = settings_file(site, "email: {smtp: {password_file: secret.txt}}\n")
    settings = load_settings(config, environ={"SHEETSYNC_SMTP_PASSWORD_FILE": "secret.txt"})
    assert settings.email.password() == "here"


@pytest.mark.parametrize(
    "written",
    [
        "workbook: https://docs.google.com/spreadsheets/d/1AbC-key_9/edit#gid=0",
        "backend: gsheets\nworkbook: 1AbC-key_9",
    ],
)
def test_a_google_sheet_in_a_file_is_not_taken_as_a_path(site, written):
    settings = load_settings(settings_file(site, written + "\n"), environ={})
    assert settings.workbook == written.split("workbook: ")[1]


def test_the_shipped_settings_mean_the_demo_in_the_current_directory_not_the_project(site):
    """The packaged defaults are nobody's file (an installed copy's sit in site-packages):
    `sheetsync demo` then `sheetsync sync` from any directory use that directory's demo/."""
    settings = load_settings(environ={})
    assert (
        Path(settings.workbook).resolve()
        == site.parent / "elsewhere" / "demo" / "sheetsync-demo.xlsx"
    )
    assert Path(settings.email.outbox).resolve() == site.parent / "elsewhere" / "demo" / "outbox"
    assert PROJECT.resolve() not in Path(settings.email.outbox).resolve().parents


def test_with_no_outbox_named_the_mail_goes_beside_the_workbook(site):
    """A settings file, a variable or --workbook that names no outbox: outbox/ beside the
    workbook, never the folder sheetsync was installed or checked out in."""
    config = settings_file(site, "workbook: ../books/team.xlsx\n")
    assert load_settings(config, environ={}).email.outbox == str(site / "books" / "outbox")
    other = load_settings(config, environ={}, workbook="there/b.xlsx").email.outbox
    assert other == os.path.join("there", "outbox")
    named = settings_file(site, "workbook: ../books/team.xlsx\nemail: {outbox: mail}\n")
    assert load_settings(named, environ={}).email.outbox == str(site / "config" / "mail")


@pytest.mark.parametrize(
    "variable, said",
    [
        ("SHEETSYNC_WORKBOK", "did you mean SHEETSYNC_WORKBOOK?"),
        ("SHEETSYNC_TIMEZOME", "did you mean SHEETSYNC_TIMEZONE?"),
        ("SHEETSYNC_SMTP_PASWORD", "did you mean SHEETSYNC_SMTP_PASSWORD?"),
        ("SHEETSYNC_EMAIL_OUTBOKS", "did you mean SHEETSYNC_EMAIL_OUTBOX?"),
        ("SHEETSYNC_TAB_FOLLOWUP", "did you mean SHEETSYNC_TAB_FOLLOWUPS?"),
        ("SHEETSYNC_QQQ", "no setting reads it"),
    ],
)
def test_an_unknown_variable_is_warned_about_with_the_closest_name(tmp_path, variable, said):
    book = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    result = run("validate", "--workbook", book, env={variable: "x"})
    assert result.exit_code == 0
    assert f"WARNING {variable}: unknown setting, {said}" in result.output


def test_known_variables_are_not_warned_about(site):
    config = settings_file(
        site,
        "email: {smtp: {password_env: TEAM_MAIL_PASSWORD}}\n"
        "workbooks:\n  - workbook: ../books/b.xlsx\n"
        "    email: {smtp: {password_env: SHEETSYNC_EAST_PASSWORD}}\n",
    )
    make_workbook(site / "books" / "b.xlsx", [customer("K1")])
    env = {
        "SHEETSYNC_CONFIG": str(config),
        "SHEETSYNC_SMTP_PASSWORD": "x",
        "SHEETSYNC_EAST_PASSWORD": "x",
        "SHEETSYNC_TIMEZONE": "Asia/Shanghai",
    }
    result = run("sync", "--all", "--no-email", env=env)
    assert result.exit_code == 0, result.output
    assert "unknown setting" not in result.output


def test_sync_all_warns_once(tmp_path):
    config = tmp_path / "team.yaml"
    config.write_text("workbooks:\n  - {workbook: b.xlsx}\n")
    make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    result = run("sync", "--all", "--config", config, "--no-email", env={"SHEETSYNC_WORKBOK": "x"})
    assert result.output.count("SHEETSYNC_WORKBOK: unknown setting") == 1


def test_doctor_fails_an_unknown_variable_and_says_the_fix(tmp_path):
    config = tmp_path / "team.yaml"
    config.write_text("workbook: b.xlsx\nemail: {enabled: false}\n")
    make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    assert run("doctor", "--config", config).exit_code == 0
    result = run("doctor", "--config", config, env={"SHEETSYNC_WORKBOK": "x"})
    assert result.exit_code == 1
    assert (
        "[FAIL] environment: SHEETSYNC_WORKBOK: unknown setting, did you mean SHEETSYNC_WORKBOOK?\n"
        "       fix: rename it to SHEETSYNC_WORKBOOK"
    ) in result.output
    assert result.output.count("SHEETSYNC_WORKBOK: unknown") == 1  # a check, not also a warning


def test_doctor_reports_an_unknown_variable_even_when_the_settings_fail(tmp_path):
    result = run("doctor", "--config", tmp_path / "none.yaml", env={"SHEETSYNC_LOCAL": "en"})
    assert "[FAIL] config: cannot read config file" in result.output
    assert (
        "[FAIL] environment: SHEETSYNC_LOCAL: unknown setting, did you mean SHEETSYNC_LOCALE?"
        in (result.output)
    )
