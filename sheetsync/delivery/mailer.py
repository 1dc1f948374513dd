"""Turning planned reminders into mail and delivering each at most once.

Rendering: Jinja2 templates in templates/email/<locale>/ (HTML autoescaped, plus a plain-text
part), so wording changes without code. Transports: `outbox` writes .eml files (the default;
what the demo uses), `smtp` talks to a real server. The journal is the crash record: a mail
is appended to it (and fsync'd) the moment the server accepted it, before anything else, so
a run that dies afterwards never sends it again; a run that dies between the server's
acceptance and the journal write sends that one mail once more on the next run (same
Message-ID, so most mail clients show it once).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sheetsync.config import load_yaml
from sheetsync.delivery import charts
from sheetsync.delivery.records import JOURNAL_DAYS, Journal, SentRecord  # noqa: F401  (re-exported)
from sheetsync.delivery.remind import (
    Addresses,
    Mail,
    RowLinks,
    departed,
    due_tasks,
    first_sync_day,
    last_digests,
    missed_occasions,
    one_line,
    plan_backlog,
    plan_digests,
    plan_escalations,
    plan_summaries,
    plan_unowned,
    read_team,
    rows_to_fix,
    sections,
)
from sheetsync.delivery.transports import OutboxTransport, SmtpTransport, transport_for  # noqa: F401
from sheetsync.errors import ConfigError
from sheetsync.resources import templates_dir
from sheetsync.rules.tasks import record_mail
from sheetsync.rules.workdays import WorkCalendar
from sheetsync.settings_sections import EmailSettings
from sheetsync.workbook.messages import in_script, lang, prose_in_script, say
from sheetsync.workbook.tables import ROW

if TYPE_CHECKING:
    from jinja2 import Environment, Template

TEMPLATES = templates_dir() / "email"


SHOWN = 50  # cards per section: a phone list, not the sheet; the rest is counted and linked
DEFAULTS: dict[
    str, dict[str, Any]
] = {  # fields newer than some callers' contexts (a mail planned by an older caller)
    "digest": {"upcoming": [], "sheet": {"file": "", "url": ""}, "missed": []},
    "summary": {"tables": [], "charts": []},
    "escalation": {"orphans": []},
}


def money(value: float | None, locale: str) -> str:
    """An amount as people say it: 120万 / 3.5亿 in Chinese, 1,200,000 in English."""
    if value is None:
        return ""
    if lang(locale) == "en":
        return f"{value:,.0f}"
    for unit, size in (("亿", 1e8), ("万", 1e4)):
        if abs(value) >= size:
            return f"{value / size:,.2f}".rstrip("0").rstrip(".") + in_script(unit, locale)
    return f"{value:,.0f}"


def message_id(key: str, origin: str = "") -> str:
    """The same mail from the same workbook, the same Message-ID (a mail sent again after a
    crash is shown once); another workbook's mail of the same kind, day and person, another."""
    named = f"{origin}\x00{key}" if origin else key
    return f"<{hashlib.sha256(named.encode()).hexdigest()[:32]}@sheetsync>"


def plain_text(message: EmailMessage) -> str:
    """A rendered mail's text part: every template renders one, so none is a bug."""
    part = message.get_body(("plain",))
    if part is None:
        raise ValueError("a rendered mail has no text part")
    return str(part.get_content())


class Renderer:
    """Mail from templates: each template compiled once per renderer and rendered once per
    recipient (a section shows its first `SHOWN` cards and counts the rest), so the cost
    follows the number of mails, not the number of customers."""

    def __init__(
        self, locale: str, sender: str, folder: Path = TEMPLATES, origin: str = ""
    ) -> None:
        self.folder, self.locale, self.sender = folder / lang(locale), locale, sender
        self.origin = origin  # the workbook: two teams' digests for one person are two mails
        self.shared = TEMPLATES if folder != TEMPLATES else None  # alerts: the mail's layout

    @functools.cached_property
    def env(self) -> Environment:
        """The templates, made at the first mail rendered: a run whose mail all went before
        (a second run the same day) loads no template library."""
        from sheetsync.delivery.templating import environment  # Jinja2: when mail is made

        locale = self.locale
        env = environment(self.folder, locale, html=True, also=self.shared)
        env.globals.update(say=lambda key, **f: say(key, locale, **f), shown=SHOWN)
        env.globals["colour"] = charts.colour
        env.filters["money"] = lambda v: money(v, locale)
        env.filters["number"] = lambda v: int(v) if float(v).is_integer() else round(v, 2)
        return env

    @functools.cached_property
    def subjects(self) -> dict[str, Template]:
        subjects = (self.folder / "subjects.yaml").read_text(encoding="utf-8")
        plain = self.env.overlay(autoescape=False)  # a subject is plain text, never HTML
        # subjects.yaml ships with the templates: a mapping of mail kind to subject template
        found = cast("dict[str, str]", load_yaml(prose_in_script(subjects, self.locale)))
        return {k: plain.from_string(v) for k, v in found.items()}

    def subject_and_text(self, mail: Mail, now: dt.datetime) -> tuple[str, str]:
        """The mail's subject and its plain-text part: what a private chat message carries
        of it, word for word."""
        rendered = self.render(mail, now)
        return str(rendered["Subject"]), plain_text(rendered).strip()

    def render(self, mail: Mail, now: dt.datetime) -> EmailMessage:
        context = {**DEFAULTS.get(mail.kind, {}), **mail.context}
        if mail.kind == "digest" and "overdue" not in context:  # planned without sections
            context.update(sections(context["tasks"]))
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = one_line(self.subjects[mail.kind].render(**context))
        message["Date"] = format_datetime(now)
        message["Message-ID"] = message_id(mail.key, self.origin)
        message.set_content(self.env.get_template(f"{mail.kind}.txt").render(**context))
        pictures = _pictures(mail.key, context.get("charts", []) if mail.kind == "summary" else [])
        html = self.env.get_template(f"{mail.kind}.html").render(**context, cids=list(pictures))
        message.add_alternative(html, subtype="html")
        if pictures:  # multipart/related: the HTML and the pictures it shows by cid:
            body = message.get_body(("html",))
            assert body is not None  # the HTML part just added
            for cid, data in pictures.items():
                body.add_related(
                    data, "image", "png", cid=f"<{cid}>", filename=f"{cid.split('@')[0]}.png"
                )
        return message


def _pictures(key: str, chart_list: list[dict]) -> dict[str, bytes]:
    """Each chart as a PNG under a Content-ID unique to this mail."""
    stem = hashlib.sha256(key.encode()).hexdigest()[:12]
    return {f"chart{i}-{stem}@sheetsync": charts.picture(c) for i, c in enumerate(chart_list)}


@dataclass
class Delivery:
    sent: list[Mail] = field(default_factory=list)
    already: list[Mail] = field(default_factory=list)
    failed: list[tuple[Mail, str]] = field(default_factory=list)
    outbox: Path | None = None  # the folder the outbox transport wrote to: nothing was sent

    def summary(self, locale: str = "zh") -> str:
        if self.outbox is None:
            text = say("mail_summary", locale, sent=len(self.sent), failed=len(self.failed))
        else:
            written, failed = len(self.sent), len(self.failed)
            text = say(
                "mail_outbox_summary", locale, written=written, folder=self.outbox, failed=failed
            )
        if self.already:
            key = "mail_already" if self.outbox is None else "mail_outbox_already"
            text += say(key, locale, count=len(self.already))
        return text + "".join(
            say("mail_failed", locale, recipient=m.recipient, to=m.to, why=why)
            for m, why in self.failed
        )


def _failure(exc: BaseException, transport, locale: str) -> str:
    if getattr(transport, "expired", False):  # whatever broke, the deadline cut it off
        return say("smtp_deadline", locale)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return say("smtp_login_refused", locale)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return say("smtp_address_refused", locale)
    if isinstance(exc, smtplib.SMTPResponseException):
        return say("smtp_error", locale, code=exc.smtp_code)
    return one_line(str(exc) or type(exc).__name__)


def deliver(
    mails: list[Mail],
    renderer: Renderer,
    transport,
    journal: Journal,
    now: dt.datetime,
    recorded: frozenset[str] = frozenset(),
) -> Delivery:
    """Send what is neither in the journal nor `recorded` in the workbook; one failure never
    stops the others, and past the deadline the rest fail at once (nothing is recorded, so
    the next run sends them)."""
    done = {e["key"] for e in journal.entries()} | recorded
    result = Delivery(outbox=transport.folder if isinstance(transport, OutboxTransport) else None)
    pending: list[Mail] = []
    for mail in mails:
        (result.already if mail.key in done else pending).append(mail)
    result.failed += [(m, say("mail_no_address", renderer.locale)) for m in pending if not m.to]
    pending = [m for m in pending if m.to]
    if not pending:
        return result
    try:
        with transport as open_transport:
            _send_each(pending, renderer, open_transport, journal, now, result)
    except (smtplib.SMTPException, OSError, ConfigError) as exc:
        handled = {id(m) for m in result.sent} | {id(m) for m, _ in result.failed}
        reason = _failure(exc, transport, renderer.locale)
        result.failed += [(m, reason) for m in pending if id(m) not in handled]
    return result


def _send_each(
    pending: list[Mail],
    renderer: Renderer,
    transport,
    journal: Journal,
    now: dt.datetime,
    result: Delivery,
) -> None:
    for mail in pending:
        if getattr(transport, "expired", False):
            result.failed.append((mail, say("smtp_deadline", renderer.locale)))
            continue
        try:
            transport.send(renderer.render(mail, now), mail.key.replace("/", "-"))
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            result.failed.append((mail, _failure(exc, transport, renderer.locale)))
            continue
        journal.record(mail, now)
        result.sent.append(mail)


class Mailer:
    """The reminder step of a sync: plan from the computed board and log, deliver, record."""

    def __init__(
        self,
        settings: EmailSettings,
        journal: Path,
        transport=None,
        zone=None,
        tab: str | None = None,
    ) -> None:
        self.settings, self.journal, self.zone = settings, Journal(journal), zone
        self.transport = transport if transport is not None else transport_for(settings)
        self.addresses: Addresses | None = None
        self.locale = "zh"
        self.record, self.tab_title = SentRecord({}), tab
        self.tab: dict[str, list[list]] = {}
        self.links = RowLinks()
        self.origin = ""  # the workbook (`where`), in each mail's Message-ID

    def where(self, location: str, url: str = "", zone=None) -> None:
        """Where the follow-up rows live, so a mail can point at a customer's row: a Google
        sheet's tab URL (`backend.tab_url`), else the file, named by its file name; and the
        workbook's time zone (a Google sheet's own), when the run knows it."""
        self.links = RowLinks(file="" if url else Path(location).name, url=url)
        self.origin = location
        self.zone = zone if zone is not None else self.zone

    def recorded(self, log, grids: dict[str, list[list]] | None = None):
        """The task log with every journalled mail stamped: a mail a crashed run sent is
        recorded, and not planned again. `grids` (the workbook as read) hold the mail
        record, which counts as sent too."""
        self.record = SentRecord(grids or {}, self.tab_title)
        return record_mail(log, self.journal.entries())

    def renderer(self, locale: str | None = None, folder: Path = TEMPLATES) -> Renderer:
        """The renderer of this step's mail (notices and alerts: their own `folder`), each
        mail's Message-ID naming the workbook."""
        return Renderer(locale or self.locale, self.settings.sender, folder, self.origin)

    def done(self) -> frozenset[str]:
        """The mail keys already sent: in the journal or the workbook's 邮件记录."""
        return frozenset(e["key"] for e in [*self.journal.entries(), *self.record.entries])

    def plan(self, loaded, result, today: dt.date, calendar: WorkCalendar) -> list[Mail]:
        """`result.log` must already be `recorded()`; `calendar`, the run's: escalation
        counts workdays."""
        team = read_team(loaded.team)
        self.addresses, self.locale = (
            Addresses(team, self.settings.fallback, loaded.locale),
            loaded.locale,
        )
        rows, rules = result.validation.rows[ROW], result.rules
        board = result.board.assign(sheet_row=rows)  # the row people see, for the row links
        tasks = due_tasks(board, result.log, today, rules)
        summary = result.summary
        summaries = (
            plan_summaries(summary.rows, team, today, self.addresses, summary.charts)
            if self.settings.manager_summary
            else []
        )
        orphans = result.orphans  # owners no longer in the team (rules/handover.py)
        fixes = rows_to_fix(
            board, rows, result.computed["check"], team, self.links, departed(orphans)
        )
        done = self.done()
        missed = missed_occasions(result.log, board, last_digests(done, today), today, self.locale)
        backlog = plan_backlog(
            tasks, first_sync_day(result.log), today, team, self.addresses, orphans
        )
        return [
            *plan_digests(board, tasks, rules, today, self.addresses, fixes, self.links, missed),
            *plan_unowned(fixes.get("", []), team, today, self.addresses, self.locale),
            *[m for m in backlog if m.key not in done],  # once: not "already sent" every day
            *plan_escalations(tasks, rules, today, team, self.addresses, calendar, orphans),
            *summaries,
        ]

    def send(self, mails: list[Mail], log, now: dt.datetime):
        """Deliver; returns the log stamped with what was sent, and notes for the sync log."""
        renderer = self.renderer()
        assert self.addresses is not None, "plan() first"
        torn = self.journal.repair()
        delivery = deliver(
            mails,
            renderer,
            self.transport,
            self.journal,
            now.replace(tzinfo=self.zone),
            self.done(),
        )
        self.journal.prune(now.date())
        entries = self.journal.entries()  # read once: a big team's journal is megabytes
        self.tab = self.record.rows(entries, self.locale, now.date())
        notes = [say("journal_torn", self.locale, file=self.journal.path.name, count=torn)]
        notes = [*(notes if torn else []), *self.addresses.notes, delivery.summary(self.locale)]
        return record_mail(log, entries), notes

    def preview(self, mails: list[Mail], now: dt.datetime) -> list[str]:
        """What `remind --dry-run` shows: each mail's envelope and plain-text part."""
        renderer = self.renderer()
        assert self.addresses is not None, "plan() first"
        done = self.done()
        shown = []
        for mail in mails:
            message = renderer.render(mail, now.replace(tzinfo=self.zone))
            state = say("preview_sent", self.locale) if mail.key in done else ""
            body = plain_text(message)
            envelope = say(
                "preview_mail",
                self.locale,
                to=message["To"],
                state=state,
                subject=message["Subject"],
            )
            shown.append(f"{envelope}\n\n{body}")
        return [*shown, *(say("note", self.locale, text=n) for n in self.addresses.notes)]

    def sent_tab(self) -> dict[str, list[list]]:
        """After `send`: the mail record tab to write with the rest of the workbook."""
        return self.tab
