"""The command line: each command parses options, calls one library function, prints its
report. Any SheetSyncError becomes one line on stderr and exit status 1."""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import functools
import os
import re
import signal
import sys
import threading
from pathlib import Path

import click

from sheetsync.backends import looks_like_feishu, uses_feishu, uses_google
from sheetsync.config import DEFAULT_CONFIG, Settings, load_all, load_settings
from sheetsync.errors import SheetSyncError
from sheetsync.ops.fanout import (
    Shard,
    parse_shard,
    pick,
    unknown_names,
    workbook_name,
    workbook_shard,
)
from sheetsync.ops.logs import setup_logging, visible
from sheetsync.workbook.messages import listed, say

DEMO_WORKBOOK = Path("demo/sheetsync-demo.xlsx")
NAMES_SHOWN = 10  # an unknown --only name: the settings' names it lists, at most


# The settings file of the commands that read every workbook it lists (serve, doctor,
# list-workbooks); the one-workbook commands take it with --workbook (settings_options).
config_option = click.option(
    "--config", "config_file", type=click.Path(dir_okay=False), help="Settings file (YAML)."
)


def settings_options(command):
    """--config and --workbook, shared by every command that opens a workbook."""

    @click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False),
        help=f"Settings file (YAML). Default: $SHEETSYNC_CONFIG or {DEFAULT_CONFIG.relative_to(DEFAULT_CONFIG.parent.parent)}.",
    )
    @click.option(
        "--workbook", help="Workbook to use instead of the one in the settings (an .xlsx path)."
    )
    @functools.wraps(command)
    def wrapper(config_file, workbook, **kwargs):
        click.get_current_context().meta["sheetsync.config"] = (config_file, workbook)
        kwargs["settings"] = load_settings(config_file, workbook=workbook)
        return command(**kwargs)

    return wrapper


def domain_errors(command):
    """Turn the tool's own errors into one clear line, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except SheetSyncError as exc:
            raise click.ClickException(visible(str(exc))) from None

    return wrapper


def echo(text: object = "", err: bool = False) -> None:
    """`click.echo`, with what people typed made safe to show (`logs.visible`): a cell is
    printed by validate, --dry-run and the report."""
    click.echo(visible(str(text)), err=err)


def _print_report(report) -> None:
    for line in report.changes:
        echo(line)
    for line in report.lines():
        echo(line)


class Program(click.Group):
    """The command group. Run as the program (`main()` with no arguments: run.py, `python -m
    sheetsync`, the console script) it ends without the interpreter's teardown: freeing
    every object and module of a 10 k-customer run one by one took ~0.3 s of CPU (measured
    on a loaded machine; 6 % of the process) for nothing, as the system frees the process at
    once. Exit functions still run (coverage, logging); with a thread still running, the
    exit is the usual one. With arguments (CliRunner, a caller's own list) it returns or
    raises as click does."""

    def main(self, args=None, *rest, **kwargs):
        if args is not None:
            return super().main(args, *rest, **kwargs)
        try:
            super().main(args, *rest, **kwargs)
        except SystemExit as exc:
            _leave(exc.code)
        raise AssertionError("click's standalone main always exits")  # pragma: no cover


def _leave(code: object) -> None:
    """Exit with `code` at once, once what must be written is written."""
    if threading.active_count() > 1 or not (code is None or isinstance(code, int)):
        raise SystemExit(code)  # a thread to wait for, or a message to print: the usual way
    atexit._run_exitfuncs()  # coverage's data, logging's flush: the exit functions, as usual
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: nothing more can be said
        pass
    os._exit(code or 0)


@click.group(cls=Program, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name=None, version=__import__("sheetsync").__version__)
@click.option("-v", "--verbose", is_flag=True, help="Log more detail (to stderr).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per log line, for log collectors.",
)
def main(verbose, log_format):
    """sheetsync: make the shared customer follow-up spreadsheet work like a CRM.

    Each run reads the follow-up, grading, value-rules and team tabs, checks every row,
    computes each customer's grade, value class, health, stage start date, next follow-up
    date, task and status, and writes back only those columns, the summary tab (with charts),
    the follow-up history, the forecast log and the other logs. Start with `demo`, or `init`
    for your own workbook.
    """
    setup_logging(verbose, log_format)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False), required=False)
@click.option(
    "--spreadsheet",
    metavar="KEY_OR_URL",
    help="Set up this existing Google spreadsheet instead of creating a file.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="Settings file (for --spreadsheet: the service-account credentials).",
)
@click.option(
    "--locale",
    type=click.Choice(["zh", "zh-Hant", "en"]),
    default="zh",
    show_default=True,
    help="Language of tab names and headers.",
)
@click.option("--demo", is_flag=True, help="Fill in a demo team and about 40 customers.")
@click.option("--force", is_flag=True, help="Replace PATH if it already exists.")
@click.option(
    "--protect-team",
    is_flag=True,
    help="With --spreadsheet: let only the managers in the team tab edit it (and the sync memory).",
)
@domain_errors
def init(path, spreadsheet, config_file, locale, demo, force, protect_team):
    """Create a new workbook at PATH with every tab, its headers and the default grade rules,
    dropdowns, a frozen header and overdue / due-today rows coloured.

    With --spreadsheet, set up an existing Google spreadsheet (empty or partly filled):
    missing tabs and headers are added, existing data is never touched, and the sync-owned
    columns get a warning-only protection. Anyone who can edit the team tab can send a
    colleague's reminders to themselves: --protect-team lets only its managers edit it.
    """
    from sheetsync.ops import app  # pandas and the backends: only when run (`--help` is quick)

    today = app.now_in(Settings()).date() if demo else None
    if spreadsheet:
        settings = load_settings(config_file)
        count = app.init_spreadsheet(settings, spreadsheet, locale, today)
        if settings.backend == "feishu" or looks_like_feishu(spreadsheet):
            echo(f"set up {spreadsheet} ({count} tabs written)")
            return  # no protection through Feishu's API: protect 团队 in the sheet itself
        echo(f"set up {spreadsheet} ({count} changes in one update)")
        _protection(settings, spreadsheet, protect_team, locale)
        return
    if protect_team:
        raise click.UsageError("--protect-team is for a Google spreadsheet (--spreadsheet)")
    if not path:
        raise click.UsageError("give a PATH for the new workbook, or --spreadsheet KEY")
    created = app.init_workbook(path, locale, today, force)
    echo(f"created {created}")


class IsoDate(click.ParamType):
    """A calendar date as YYYY-MM-DD. click.DateTime calls 2026-11-31 a format error; a
    user who typed the right format needs to hear that the day does not exist."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> dt.date:
        if isinstance(value, dt.date):
            return value
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            self.fail(f"{value!r} is not a date; expected YYYY-MM-DD, e.g. 2026-11-18", param, ctx)
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"no such date: {value}", param, ctx)


def today_option(command):
    return click.option(
        "--today",
        type=IsoDate(),
        help="Run as if today were this date (YYYY-MM-DD). Default: today in the configured time zone.",
    )(command)


def choice_options(only: str):
    """--only NAME and --shard I/N, which choose among the settings' workbooks (`sync --all`,
    `serve`): one pair, so the two commands cannot come to read them differently. `only`
    starts each help text."""

    def decorate(command):
        command = click.option(
            "--shard",
            metavar="I/N",
            callback=lambda _ctx, _param, value: _shard(value),
            help=f"{only} shard I of N (I counts from 0), a stable split by workbook name, for "
            "N workers started by a scheduler (`list-workbooks --shards N` shows the split).",
        )(command)
        return click.option(
            "--only",
            "only",
            multiple=True,
            metavar="NAME",
            help=f"{only} the workbook of this name (its `name:`, or its workbook's path or "
            "file name); repeat for several.",
        )(command)

    return decorate


@main.command(name="sync")
@domain_errors
@settings_options
@today_option
@click.option("--dry-run", is_flag=True, help="Print every cell that would change; write nothing.")
@click.option("--no-email", is_flag=True, help="Do not send reminder mail after the sync.")
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Sync every workbook listed under `workbooks:` in the settings.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write even if the workbook is open in Excel, WPS or LibreOffice (their next save may overwrite the sync's).",
)
@choice_options("With --all: only")
def sync_command(settings, today, dry_run, no_email, every, force, only, shard):
    """Run the sync once: validate, grade, schedule, write back, summarise, then send each
    owner's digest and any escalations (unless --no-email or email is disabled).

    Exits 0 when the run completed, even if some rows were flagged 资料不全 or a mail could
    not be sent (the sync log says which); exits 1 with one line saying why when the workbook
    or the settings could not be read or written. With --all, exits 1 if any workbook failed.
    """
    from sheetsync.ops import app

    if (only or shard) and not every:
        raise click.UsageError("--only and --shard choose among the workbooks of --all: add --all")
    if every:
        config_file, workbook = click.get_current_context().meta["sheetsync.config"]
        if workbook or dry_run or force:
            raise click.UsageError("--all cannot be combined with --workbook, --dry-run or --force")
        workbooks = load_all(config_file, warn=False)  # warned above
        _run_all(_chosen(workbooks, only, shard), today, not no_email)
        return
    report = app.run_sync(settings, today, dry_run, email=not no_email, force=force)
    _print_report(report)
    if not dry_run:
        app.log_summary(settings, report)


def _shard(value: str | None) -> Shard | None:
    """--shard I/N, checked before anything is read: a bad value is a usage error."""
    if value is None:
        return None
    try:
        return parse_shard(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _chosen(workbooks: list[Settings], only: tuple[str, ...], shard: Shard | None):
    """The workbooks --only and --shard leave; a name --only does not know is a usage error
    (a typo must not pass as "nothing to do")."""
    unknown = unknown_names(workbooks, only)
    if unknown:
        names = [workbook_name(s) for s in workbooks]
        more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
        known = ", ".join(names[:NAMES_SHOWN]) + more
        raise click.BadParameter(
            f"no workbook named {', '.join(unknown)} in the settings (there are: {known})",
            param_hint="'--only'",
        )
    chosen = pick(workbooks, only, shard)
    if shard is not None and not chosen:
        echo(f"no workbook in shard {shard} ({len(workbooks)} in the settings)")
    return chosen


def _run_all(workbooks, today=None, email=True) -> None:
    from sheetsync.ops import app

    outcomes = app.run_each(workbooks, today, email)
    for outcome in outcomes:
        if outcome.ok:
            _print_report(outcome.report)
        else:
            echo(f"FAILED {outcome.settings.label}: {outcome.error}", err=True)
    good = sum(o.ok for o in outcomes)
    echo(f"{good} of {len(outcomes)} workbook(s) synced")
    if good < len(outcomes):
        raise SystemExit(1)


@main.command()
@domain_errors
@settings_options
@today_option
@click.option(
    "--dry-run", is_flag=True, help="Print the mails (recipient, subject, text); send nothing."
)
def remind(settings, today, dry_run):
    """Send today's reminder mail without touching the follow-up tab: each owner's digest of
    due and overdue follow-ups, and escalations to managers. Mail already sent today is not
    sent again."""
    from sheetsync.ops import app

    report = app.run_sync(settings, today, dry_run, sheet=False)
    for text in report.mail_previews:
        echo(text)
    if not dry_run:
        echo("; ".join(report.notes) or "no reminders due")


@main.command()
@domain_errors
@settings_options
def validate(settings):
    """Print every row problem and write nothing. Exits 1 if any row has an error."""
    from sheetsync.ops import app

    validation = app.run_validate(settings)
    for line in validation.lines():
        echo(line)
    if validation.invalid.any():
        raise SystemExit(1)


@main.command()
@domain_errors
@settings_options
@click.option("--spreadsheet", metavar="KEY_OR_URL", help="Adopt this Google spreadsheet.")
@click.option("--apply", is_flag=True, help="Do it: rename, add tabs, run the first sync.")
@click.option(
    "--protect-team",
    is_flag=True,
    help="With --apply, on Google Sheets: let only the managers in the team tab edit it.",
)
@today_option
def adopt(settings, spreadsheet, apply, protect_team, today):
    """Take over a sheet your team already uses (the playbooks' tables, traditional
    characters, your own header names). Prints how its tabs and headers map, what happens to
    each column named like one the sync writes (a typed 下次跟进日期 becomes 约定跟进日期; other
    typed columns are renamed "…(手填)" and kept), the tabs it adds and every cell the first
    sync writes. Writes nothing without --apply."""
    from sheetsync.ops import app
    from sheetsync.ops.adopt import plan_lines

    if spreadsheet:
        feishu = settings.backend == "feishu" or looks_like_feishu(spreadsheet)
        backend = "feishu" if feishu else "gsheets"
        settings = dataclasses.replace(settings, backend=backend, workbook=spreadsheet)
    plan, report = app.run_adopt(settings, apply, today)
    for line in plan_lines(plan):
        echo(line)
    if report is None:
        echo(say("adopt_dry", plan.locale))
        if uses_google(settings) and plan.ok:
            _protection(settings, None, False, plan.locale)
        if not plan.ok:
            raise SystemExit(1)
        return
    echo(say("adopt_applied", plan.locale, renames=len(plan.renames), tabs=len(plan.new_tabs)))
    _print_report(report)
    if uses_google(settings):
        _protection(settings, None, protect_team, plan.locale)


def _protection(settings: Settings, key: str | None, apply: bool, locale: str) -> None:
    """--protect-team: protect the team tab and say so; without it, offer it (a Google sheet
    whose team tab anyone may edit)."""
    from sheetsync.ops import app

    found = app.protect_team(settings, key, apply)
    if not apply:
        if found.before is None:
            echo(say("team_protect_offer", locale))
        return
    if not found.done:
        echo(say("team_protect_nobody", locale))
        return
    tabs, editors = listed(found.tabs, locale), listed(found.editors, locale)
    echo(say("team_protected", locale, tabs=tabs, editors=editors))
    if found.missing:
        echo(say("team_protect_missing", locale, names=listed(found.missing, locale)))


@main.command()
@domain_errors
@click.option(
    "--path",
    type=click.Path(dir_okay=False),
    default=str(DEMO_WORKBOOK),
    show_default=True,
    help="Where to create the demo workbook (replaced if it exists).",
)
def demo(path):
    """Create a demo workbook with a team and about 40 customers, and sync it; its mail goes
    to an outbox folder beside it."""
    from sheetsync.ops import app

    settings = load_settings(workbook=path)
    settings.email.outbox = str(Path(path).parent / "outbox")  # not the settings file's folder
    created = app.init_workbook(path, "zh", app.now_in(settings).date(), force=True)
    _print_report(app.run_sync(settings))
    echo(f"open {created} in Excel, WPS or LibreOffice to see the result")


def events_options(every_help: str, hours_help: str):
    """serve's hourly events checks, as serve runs them and as doctor counts their quota: one
    pair of options, so the two commands cannot disagree on the defaults."""

    def decorate(command):
        command = click.option(
            "--events-hours",
            default="09:00-18:00",
            show_default=True,
            callback=lambda _ctx, _param, value: _hours(value),
            help=hours_help,
        )(command)
        return click.option(
            "--events-every",
            type=click.IntRange(min=0),
            default=60,  # serve.EVENTS_EVERY (imported lazily, as the runner is)
            show_default=True,
            help=every_help,
        )(command)

    return decorate


@main.command()
@domain_errors
@config_option
@click.option(
    "--once",
    is_flag=True,
    help="Run every workbook's sync once and exit (for cron and hosted schedulers).",
)
@events_options(
    "Minutes between events-only checks (complaints) in --events-hours; 0: none.",
    "Working hours (local time of each workbook) of the events-only checks.",
)
@choice_options("Only")
def serve(config_file, once, events_every, events_hours, only, shard):
    """Keep running and sync every workbook each day at its `run_at` time in its time zone.

    Started after today's time with no run today in the sync log, it runs at once. A failed
    run is logged and the next day's run happens as usual. Ctrl-C or SIGTERM stops it between
    runs. Exit status with --once: 1 if any workbook failed. --only and --shard give a
    worker its own share of the workbooks, as they do to `sync --all`.
    """
    from sheetsync.ops.serve import DailyRunner

    workbooks = _chosen(load_all(config_file), only, shard)
    if once:
        _run_all(workbooks)
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    DailyRunner(workbooks, events_every=events_every, events_hours=events_hours).serve(stop)


def _hours(value: str) -> tuple[str, str]:
    """ "09:00-18:00" -> ("09:00", "18:00"); anything else is a usage error that says why."""
    try:
        start, end = (dt.datetime.strptime(t.strip(), "%H:%M") for t in value.split("-"))
    except ValueError:
        raise click.BadParameter(f'"{value}": expected HH:MM-HH:MM, e.g. 09:00-18:00') from None
    if start >= end:
        raise click.BadParameter(f'"{value}": the start must be before the end')
    return start.strftime("%H:%M"), end.strftime("%H:%M")


@main.command()
@config_option
@events_options(
    "As serve will run: minutes between events-only checks (for the Feishu quota; "
    "0 for a daily cron run only).",
    "As serve will run: the working hours of those checks.",
)
def doctor(config_file, events_every, events_hours):
    """Check the setup: settings, credentials, each workbook, its tabs and headers, the team's
    emails and the mail server; print each check with how to fix it. Exits 1 if any fails.
    On Feishu, the month of API calls the schedule (--events-every) takes, against the
    plan's quota."""
    from sheetsync.ops.doctor import diagnose

    checks = diagnose(config_file, events_every=events_every, events_hours=events_hours)
    for check in checks:
        echo(check.line())
    if not all(c.ok for c in checks):
        raise SystemExit(1)


@main.command(name="list-workbooks")
@domain_errors
@config_option
@click.option(
    "--shards",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Show each workbook's shard out of this many (as `sync --all --shard I/N` splits them).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON list, for schedulers and scripts.")
def list_workbooks(config_file, shards, as_json):
    """List the workbooks `sync --all` runs: each one's name (what `--only` takes), its
    workbook and its shard out of --shards. Reads the settings only, not the workbooks."""
    import json

    entries = [
        {
            "name": workbook_name(s),
            "workbook": str(s.workbook),
            "backend": _backend_name(s),
            "shard": workbook_shard(s, shards),
        }
        for s in load_all(config_file)
    ]
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    for entry in entries:
        echo(f"{entry['shard']}/{shards}\t{entry['name']}\t{entry['workbook']}")


def _backend_name(settings: Settings) -> str:
    """The backend a workbook runs on: a Google or Feishu address picks its own."""
    if uses_feishu(settings):
        return "feishu"
    return "gsheets" if uses_google(settings) else settings.backend
