"""`doctor`: check a setup end to end before trusting it to run unattended, and say how to
fix each thing that is wrong."""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from pathlib import Path

from sheetsync.backends import feishu_client, open_backend, uses_feishu, uses_google
from sheetsync.config import Settings, load_all, unknown_message, unknown_variables
from sheetsync.delivery.mailer import SmtpTransport
from sheetsync.delivery.remind import read_team, valid_email
from sheetsync.errors import SheetSyncError
from sheetsync.loading import load, validated


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn: bool = False  # ok, but worth acting on: said with its fix, not a failure

    def line(self) -> str:
        mark = "WARN" if self.warn else "ok  " if self.ok else "FAIL"
        return f"[{mark}] {self.name}: {self.detail}" + (
            "" if (self.ok and not self.warn) or not self.fix else f"\n       fix: {self.fix}"
        )


def diagnose(
    config: str | None = None,
    environ: dict[str, str] | None = None,
    events_every: int = 60,
    events_hours: tuple[str, str] = ("09:00", "18:00"),
) -> list[Check]:
    environ = dict(os.environ) if environ is None else environ  # as it is now
    try:
        workbooks = load_all(config, environ, warn=False)  # reported below, as checks
    except SheetSyncError as exc:
        return [
            Check(
                "config",
                False,
                str(exc),
                "edit the settings file or the SHEETSYNC_* variable it names",
            ),
            *_variable_checks(environ, ()),
        ]
    checks = [Check("config", True, f"{len(workbooks)} workbook(s) configured")]
    named = [w.email.smtp.password_env for w in workbooks]  # variables the settings name
    for bot in (b for w in workbooks for b in w.channels.bots.values()):
        named += [v for v in (bot.url_env, bot.secret_env) if v]
    checks += _variable_checks(environ, tuple(named))
    for settings in workbooks:
        checks += _workbook_checks(settings, (events_every, events_hours))
    return checks


def _variable_checks(environ: dict[str, str], password_envs: tuple[str, ...]) -> list[Check]:
    """A misspelt SHEETSYNC_* variable is ignored by the run, so it is a failed check here."""
    return [
        Check(
            "environment",
            False,
            unknown_message(name, closest),
            f"rename it to {closest}"
            if closest
            else "unset it (README, Configuration, lists the variables)",
        )
        for name, closest in unknown_variables(environ, password_envs).items()
    ]


def _workbook_checks(settings: Settings, schedule=(0, ("09:00", "18:00"))) -> list[Check]:
    name = settings.label
    checks = [_credentials_check(name, settings)]
    if not checks[0].ok:
        return checks
    try:
        with open_backend(settings) as backend:
            grids = backend.read()
    except SheetSyncError as exc:
        return [
            *checks,
            Check(
                f"{name}: workbook",
                False,
                str(exc),
                f"create it with `python3 run.py init {settings.workbook}` or fix `workbook:`",
            ),
        ]
    checks.append(Check(f"{name}: workbook", True, f"{settings.workbook} is readable"))
    try:
        loaded = load(grids, settings)
        validated(loaded)
    except SheetSyncError as exc:
        return [
            *checks,
            Check(
                f"{name}: tabs and headers",
                False,
                str(exc),
                "restore the tab or header named (see `init` for the layout)",
            ),
        ]
    checks.append(
        Check(
            f"{name}: tabs and headers",
            True,
            f"{len(loaded.followups.frame)} customers, grading rules readable",
        )
    )
    checks.append(_team_check(name, loaded))
    if uses_google(settings) and loaded.team is not None:
        checks.append(_protection_check(name, backend, loaded.team.title))
    if uses_feishu(settings):
        checks.append(_quota_check(name, settings, backend, loaded, *schedule))
    if settings.email.enabled:
        checks.append(_mail_check(name, settings))
    if settings.channels.enabled and (settings.channels.bots or settings.channels.team):
        checks += _chat_checks(name, settings, loaded)
    if settings.channels.enabled and settings.channels.feishu_app:
        checks += _feishu_app_checks(name, settings, loaded)
    return checks


def _chat_checks(name: str, settings: Settings, loaded) -> list[Check]:
    """Each bot's address readable and recognised, and every bot the settings or the team tab
    name defined. Nothing is posted: a test message would land in a team's group chat. The
    address and secret are never shown, only the vendor."""
    from sheetsync.delivery.channels import MENTION_BY, Bot, read_people

    config, checks = settings.channels, []
    bots = {n: Bot(b, "en", hosts=config.hosts) for n, b in config.bots.items()}
    for bot_name, bot in bots.items():
        where = f"{name}: chat bot {bot_name}"
        if bot.failure:
            fix = "set the variable or file named in channels.bots (README, Chat channels)"
            checks.append(Check(where, False, bot.failure, fix))
        else:
            checks.append(Check(where, True, f"{bot.vendor} address and secret readable"))
    people = read_people(loaded.team)
    named = [(b, "channels.team") for b in config.team] + [
        (b, f"通知渠道 of {p.name}") for p in people.values() for b in p.bots
    ]
    unknown = [f"{bot} ({where})" for bot, where in named if bot not in config.bots]
    if unknown:
        checks.append(
            Check(
                f"{name}: chat names",
                False,
                f"no bot defined for {', '.join(unknown)}",
                "add it under channels.bots, or correct the name",
            )
        )
    schemas = {base["schema"] for b in config.team if bots.get(b) and (base := bots[b].base)}
    # how the group bots @-mention: by mobile, by Feishu user id
    by = {MENTION_BY[schema] for schema in schemas if schema in MENTION_BY}
    unmentioned = sorted(p.name for p in people.values() if any(not getattr(p, k) for k in by))
    if unmentioned:
        checks.append(
            Check(
                f"{name}: chat mentions",
                True,
                f"not @-mentioned in the group (no 手机 / 飞书ID): {', '.join(unmentioned)}",
            )
        )
    return checks


FEISHU_FIX = "docs/operations.md, Feishu Sheets: create the app, set its id and secret"


def _quota_check(name, settings, backend, loaded, events_every: int, hours) -> Check:
    """A month of API calls for this sheet and schedule (the daily run, plus an events check
    every `events_every` minutes in `hours`, every day) against the plan's monthly quota:
    a warning at 80 %, a failure past it, with the events interval that would fit. With
    `channels.feishu_app` the app's private messages count too: each is one call of the same
    quota, at most a digest for every member and an escalation for every manager a day."""
    from sheetsync.backends.feishu import month_calls
    from sheetsync.rules.handover import all_managers

    quota = settings.feishu.monthly_quota
    title, rows = loaded.followups.title, len(loaded.followups.frame)
    messages = 0
    if settings.channels.enabled and settings.channels.feishu_app and loaded.team is not None:
        members = sum(1 for o in loaded.team.frame["owner"] if str(o or "").strip())
        messages = members + len(all_managers(loaded.team))

    def month_of(every: int) -> tuple[int, int]:
        month, per_run = month_calls(backend._sheets, title, rows, every, hours)
        return month + 31 * messages, per_run

    month, per_run = month_of(events_every)
    schedule = f"daily runs + an events check every {events_every} min {hours[0]}-{hours[1]}"
    schedule = schedule if events_every else "daily runs"
    if messages:
        schedule += f", up to {messages} private messages a day"
    detail = (
        f"about {month:,} API calls a month ({per_run} a run, {schedule}) of the plan's "
        f"{quota:,} (feishu.monthly_quota)"
    )
    if month <= 0.8 * quota:
        return Check(f"{name}: Feishu API quota", True, detail)
    fits = [n for n in (30, 60, 90, 120, 180, 240, 360) if month_of(n)[0] <= 0.8 * quota]
    fix = (
        f"serve --events-every {fits[0]} (or more minutes), or a plan with a larger quota"
        if fits
        else "a Feishu plan with a larger API quota (then raise feishu.monthly_quota)"
    )
    if month <= quota:
        return Check(f"{name}: Feishu API quota", True, detail + ": close to it", fix, warn=True)
    return Check(
        f"{name}: Feishu API quota", False, detail + ": the schedule would exhaust it", fix
    )


def _credentials_check(name: str, settings: Settings) -> Check:
    if uses_feishu(settings):
        from sheetsync.backends.feishu import FeishuBackend
        from sheetsync.feishu_api import FeishuError

        try:
            client = feishu_client(settings)
            client.token()
        except FeishuError as exc:  # a wrong secret: said as the sync says it
            said = FeishuBackend(settings.workbook, client)._explain(exc)
            return Check(f"{name}: credentials", False, str(said), FEISHU_FIX)
        except SheetSyncError as exc:
            return Check(f"{name}: credentials", False, str(exc), FEISHU_FIX)
        return Check(f"{name}: credentials", True, "the Feishu app's token was fetched")
    if not uses_google(settings):
        return Check(
            f"{name}: credentials", True, f"none needed for the {settings.backend} backend"
        )
    from sheetsync.backends.gsheets import load_credentials

    try:
        account = load_credentials(settings.gsheets.credentials).service_account_email
    except SheetSyncError as exc:
        return Check(
            f"{name}: credentials",
            False,
            str(exc),
            "download a JSON key for the service account (README, Google Sheets)",
        )
    return Check(
        f"{name}: credentials",
        True,
        f"service account {account}; share the sheet with it as Editor",
    )


def _team_check(name: str, loaded) -> Check:
    team = read_team(loaded.team)
    if not team:
        return Check(
            f"{name}: team emails",
            False,
            "the team tab lists nobody",
            "add each owner with 邮箱 and 上级 to the 团队 tab",
        )
    bad = sorted(m.name for m in team.values() if not valid_email(m.email))
    if bad:
        return Check(
            f"{name}: team emails",
            False,
            f"no valid email for {', '.join(bad)}",
            "fill in 邮箱 in the 团队 tab, or set email.fallback",
        )
    return Check(f"{name}: team emails", True, f"{len(team)} members, all with a valid email")


def _protection_check(name: str, backend, title: str) -> Check:
    """Whether the team tab of a Google sheet is protected: who can edit it can send a
    colleague's reminders to themselves (rules/recipients.py announces and holds such a
    change a day; a protection stops it)."""
    editors = backend.editors(title)
    if editors is None:
        return Check(
            f"{name}: team tab protection",
            True,
            f"{title} is not protected: anyone who can edit the sheet can change where a "
            "colleague's reminders go (the change is announced and held a day)",
            f"python3 run.py init --spreadsheet {backend.key} --protect-team",
            warn=True,
        )
    who = ", ".join(editors) or "the sheet's owner"
    return Check(
        f"{name}: team tab protection", True, f"{title} is protected: only {who} can edit it"
    )


def _mail_check(name: str, settings: Settings) -> Check:
    email = settings.email
    if email.transport == "outbox":
        folder = Path(email.outbox)
        parent = next((p for p in [folder, *folder.parents] if p.exists()), Path("."))
        if os.access(parent, os.W_OK):
            return Check(f"{name}: mail", True, f"outbox {folder} is writable")
        return Check(
            f"{name}: mail", False, f"cannot write to {folder}", "choose a writable email.outbox"
        )
    smtp = email.smtp
    try:
        with SmtpTransport(email) as transport:
            assert transport.conn is not None  # open inside `with`
            transport.conn.noop()
    except (smtplib.SMTPException, OSError, SheetSyncError) as exc:
        reason = (
            "the server refused the login"
            if isinstance(exc, smtplib.SMTPAuthenticationError)
            else str(exc) or type(exc).__name__
        )
        return Check(
            f"{name}: mail",
            False,
            f"SMTP {smtp.host}:{smtp.port}: {reason}",
            "check email.smtp host, port, security and username, and the password variable",
        )
    return Check(f"{name}: mail", True, f"SMTP {smtp.host}:{smtp.port} reachable")


def _feishu_app_checks(name: str, settings: Settings, loaded) -> list[Check]:
    """The Feishu app's private messages (`channels.feishu_app`): its credentials fetch a
    token (one call; no message is sent), and who on the team it cannot reach. The bot
    capability, the scope and the availability range show only when a message goes: the
    sync log then names each with Feishu's code."""
    from sheetsync.delivery.channels import read_people
    from sheetsync.delivery.feishu_im import receiver
    from sheetsync.feishu_api import FeishuClient, FeishuError, feishu_credentials

    where, feishu = f"{name}: Feishu app", settings.feishu
    console = "check them in the Feishu developer console, Credentials & Basic Info"
    try:
        credentials = feishu_credentials(feishu.credentials, dict(os.environ))
        timeouts = (feishu.connect_timeout, feishu.read_timeout)
        FeishuClient(credentials, feishu.base_url, timeouts, feishu.max_wait).token()
    except SheetSyncError as exc:  # ConfigError, FeishuError (its code: 10014 a wrong secret)
        fix = console if isinstance(exc, FeishuError) else "set the app's id and secret"
        return [Check(where, False, str(exc), fix)]
    checks = [Check(where, True, f"app {credentials.app_id}: credentials accepted")]
    people = read_people(loaded.team).values()
    unreachable = sorted(p.name for p in people if not receiver(p.chat_id, p.email))
    if unreachable:
        detail = f"no 飞书ID or 邮箱, so no private message: {', '.join(unreachable)}"
        fix = "fill in their 飞书ID (open_id ou_..., user_id) or 邮箱 in the team tab"
        checks.append(Check(f"{where} recipients", True, detail, fix, warn=True))
    return checks
