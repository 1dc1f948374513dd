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

import contextlib
import datetime as dt
import hashlib
import json
import os
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from sheetsync.config import PROJECT_ROOT, EmailSettings
from sheetsync.delivery.remind import (
    Addresses,
    Mail,
    due_tasks,
    plan_digests,
    plan_escalations,
    plan_summaries,
    plan_unowned,
    read_team,
    rows_to_fix,
)  # fmt: skip
from sheetsync.errors import ConfigError, WorkbookError
from sheetsync.rules.tasks import record_mail
from sheetsync.workbook.messages import in_script, lang, say
from sheetsync.workbook.parsing import cell_text
from sheetsync.workbook.schema import MAIL_LOG
from sheetsync.workbook.tables import ROW, find_title, load_sheet

TEMPLATES = PROJECT_ROOT / "templates" / "email"
JOURNAL_DAYS = 14


def one_line(text: str) -> str:
    """Header values never carry a line break: a name cannot inject a header."""
    return " ".join(str(text).split())


class ScriptLoader(FileSystemLoader):
    """Templates written once in simplified Chinese, read in the workbook's script: only the
    template's own words are converted, never the names and notes filled into it."""

    def __init__(self, folder: Path, locale: str) -> None:
        super().__init__(folder)
        self.locale = locale

    def get_source(self, environment: Environment, template: str):
        source, filename, uptodate = super().get_source(environment, template)
        return in_script(source, self.locale), filename, uptodate


class Renderer:
    def __init__(self, locale: str, sender: str, folder: Path = TEMPLATES) -> None:
        self.folder, self.locale = folder / lang(locale), locale
        self.env = Environment(
            loader=ScriptLoader(self.folder, locale), autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        )  # fmt: skip
        subjects = (self.folder / "subjects.yaml").read_text(encoding="utf-8")
        self.subjects = yaml.safe_load(in_script(subjects, locale))
        self.sender = sender

    def render(self, mail: Mail, now: dt.datetime) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        subject = self.env.from_string(self.subjects[mail.kind]).render(**mail.context)
        message["Subject"] = one_line(subject)
        message["Date"] = format_datetime(now)
        message["Message-ID"] = f"<{hashlib.sha256(mail.key.encode()).hexdigest()[:32]}@sheetsync>"
        message.set_content(self.env.get_template(f"{mail.kind}.txt").render(**mail.context))
        message.add_alternative(
            self.env.get_template(f"{mail.kind}.html").render(**mail.context), subtype="html"
        )
        return message


class OutboxTransport:
    """Each message as an .eml file in a folder: open it with any mail program."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def __enter__(self) -> OutboxTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def send(self, message: EmailMessage, name: str) -> None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        path = self.folder / f"{safe}.eml"
        temp = path.with_suffix(".eml.tmp")
        temp.write_bytes(bytes(message))
        os.replace(temp, path)


class Watchdog:
    """Cuts the SMTP connection when the mail step's deadline passes. A socket timeout only
    bounds one read, so a server that trickles a greeting that never ends would otherwise
    hold the run (and the sheet's write) for as long as it likes."""

    def __init__(self, seconds: float) -> None:
        self.lock = threading.Lock()
        self.expired = self.stopped = False
        self.guard: socket.socket | None = None  # a duplicate of the connection's socket
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True
        self.timer.start()

    def watch(self, sock: socket.socket) -> socket.socket:
        """Called with each new TCP socket, before any TLS handshake on it."""
        with self.lock:
            if self.expired:
                sock.close()
                raise TimeoutError("the mail deadline has passed")
            self.guard = sock.dup()  # stays usable when smtplib wraps or closes its own
        return sock

    def _expire(self) -> None:
        with self.lock:
            if self.stopped:
                return
            self.expired = True
            if self.guard is not None:
                with contextlib.suppress(OSError):
                    self.guard.shutdown(socket.SHUT_RDWR)  # a blocked read returns at once

    def stop(self) -> None:
        self.timer.cancel()
        with self.lock:
            self.stopped = True
            if self.guard is not None:
                self.guard.close()


class _Watched(smtplib.SMTP):
    """smtplib telling the watchdog about the socket it opens."""

    def __init__(self, *args: object, watchdog: Watchdog, **kwargs: object) -> None:
        self.watchdog = watchdog
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        return self.watchdog.watch(super()._get_socket(host, port, timeout))


class _WatchedSsl(smtplib.SMTP_SSL, _Watched):
    def __init__(self, *args: object, watchdog: Watchdog, **kwargs: object) -> None:
        self.watchdog = watchdog
        smtplib.SMTP_SSL.__init__(self, *args, **kwargs)


class SmtpTransport:
    """A real SMTP server: STARTTLS or SSL, optional login; the password never leaves here.
    `timeout` bounds each network step, `deadline` the whole session."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self.conn: smtplib.SMTP | None = None
        self.watchdog: Watchdog | None = None

    @property
    def expired(self) -> bool:
        return self.watchdog is not None and self.watchdog.expired

    def __enter__(self) -> SmtpTransport:
        self.watchdog = Watchdog(self.settings.smtp.deadline)
        try:
            self._open()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _open(self) -> None:
        s, context = self.settings.smtp, ssl.create_default_context()
        if s.security == "ssl":
            self.conn = _WatchedSsl(s.host, s.port, timeout=s.timeout, context=context,
                                    watchdog=self.watchdog)  # fmt: skip
        else:
            self.conn = _Watched(s.host, s.port, timeout=s.timeout, watchdog=self.watchdog)
            if s.security == "starttls":
                self.conn.starttls(context=context)
        if s.username:
            self.conn.login(s.username, self.settings.password())

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()
        self.conn = None
        self.watchdog.stop()

    def send(self, message: EmailMessage, name: str) -> None:
        self.conn.send_message(message)


def transport_for(settings: EmailSettings):
    if settings.transport == "smtp":
        return SmtpTransport(settings)
    return OutboxTransport(settings.outbox)


class Journal:
    """Mail the servers accepted, one JSON line each, kept for two weeks. A run killed while
    appending leaves a cut-off last line: it is skipped (and dropped by `repair`), so one
    crash never stops every later run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> tuple[list[dict], int]:
        """The entries, and how many lines could not be read."""
        if not self.path.exists():
            return [], 0
        entries, torn = [], 0
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            entry = _entry(line) if line.strip() else {}
            if entry:
                entries.append(entry)
            elif line.strip():
                torn += 1
        return entries, torn

    def entries(self) -> list[dict]:
        return self.read()[0]

    def record(self, mail: Mail, at: dt.datetime) -> None:
        entry = {
            "key": mail.key, "at": at.strftime("%Y-%m-%d %H:%M:%S"),
            "recipient": one_line(mail.recipient), "to": mail.to,
            "reminds": [[i, d.date().isoformat()] for i, d in mail.reminds],
            "escalates": [[i, d.date().isoformat()] for i, d in mail.escalates],
        }  # fmt: skip
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())

    def repair(self) -> int:
        """Drop unreadable lines before appending (a new line must not be glued to a cut-off
        one); returns how many there were."""
        entries, torn = self.read()
        if torn:
            self._rewrite(entries)
        return torn

    def prune(self, today: dt.date) -> None:
        cutoff = (today - dt.timedelta(days=JOURNAL_DAYS)).isoformat()
        entries = self.entries()
        kept = [e for e in entries if e["at"] >= cutoff]
        if len(kept) != len(entries):
            self._rewrite(kept)

    def _rewrite(self, entries: list[dict]) -> None:
        """All or nothing: a crash while rewriting leaves the old journal, never half of it."""
        temp = self.path.with_name(self.path.name + ".tmp")
        with open(temp, "w", encoding="utf-8") as out:
            out.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.path)


def _entry(line: str) -> dict:
    """One journal line, or {} when it is not a whole entry."""
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        return {}
    whole = isinstance(entry, dict) and {"key", "at", "reminds", "escalates"} <= set(entry)
    return entry if whole else {}


@dataclass
class Delivery:
    sent: list[Mail] = field(default_factory=list)
    already: list[Mail] = field(default_factory=list)
    failed: list[tuple[Mail, str]] = field(default_factory=list)

    def summary(self, locale: str = "zh") -> str:
        text = say("mail_summary", locale, sent=len(self.sent), failed=len(self.failed))
        if self.already:
            text += say("mail_already", locale, count=len(self.already))
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


def deliver(mails: list[Mail], renderer: Renderer, transport, journal: Journal,
            now: dt.datetime, recorded: frozenset[str] = frozenset()) -> Delivery:  # fmt: skip
    """Send what is neither in the journal nor `recorded` in the workbook; one failure never
    stops the others, and past the deadline the rest fail at once (nothing is recorded, so
    the next run sends them)."""
    done = {e["key"] for e in journal.entries()} | recorded
    result = Delivery()
    pending = []
    for mail in mails:
        (result.already if mail.key in done else pending).append(mail)
    result.failed += [(m, "no address") for m in pending if not m.to]
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


def _send_each(pending: list[Mail], renderer: Renderer, transport, journal: Journal,
               now: dt.datetime, result: Delivery) -> None:  # fmt: skip
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

    def __init__(self, settings: EmailSettings, journal: Path, transport=None, zone=None) -> None:
        self.settings, self.journal, self.zone = settings, Journal(journal), zone
        self.transport = transport if transport is not None else transport_for(settings)
        self.addresses: Addresses | None = None
        self.locale = "zh"
        self.record, self.tab = SentRecord({}), {}

    def recorded(self, log, grids: dict[str, list[list]] | None = None):
        """The task log with every journalled mail stamped: a mail a crashed run sent is
        recorded, and not planned again. `grids` (the workbook as read) hold the mail
        record, which counts as sent too."""
        self.record = SentRecord(grids or {})
        return record_mail(log, self.journal.entries())

    def _done(self) -> frozenset[str]:
        return frozenset(e["key"] for e in [*self.journal.entries(), *self.record.entries])

    def plan(self, loaded, result, today: dt.date) -> list[Mail]:
        """`result.log` must already be `recorded()`."""
        team = read_team(loaded.team)
        self.addresses, self.locale = Addresses(team, self.settings.fallback, loaded.locale), loaded.locale
        board, rules = result.board, result.rules
        tasks = due_tasks(board, result.log, today, rules)
        summaries = (
            plan_summaries(result.summary.rows, team, today, self.addresses)
            if self.settings.manager_summary
            else []
        )
        rows = result.validation.rows[ROW]
        fixes = rows_to_fix(board, rows, result.computed["check"], team)
        return [
            *plan_digests(board, tasks, rules, today, self.addresses, fixes),
            *plan_unowned(fixes.get("", []), team, today, self.addresses, self.locale),
            *plan_escalations(tasks, rules, today, team, self.addresses),
            *summaries,
        ]

    def send(self, mails: list[Mail], log, now: dt.datetime):
        """Deliver; returns the log stamped with what was sent, and notes for the sync log."""
        renderer = Renderer(self.locale, self.settings.sender)
        torn = self.journal.repair()
        delivery = deliver(mails, renderer, self.transport, self.journal,
                           now.replace(tzinfo=self.zone), self._done())  # fmt: skip
        self.journal.prune(now.date())
        self.tab = self.record.rows(self.journal.entries(), self.locale, now.date())
        notes = [say("journal_torn", self.locale, file=self.journal.path.name, count=torn)]
        notes = [*(notes if torn else []), *self.addresses.notes, delivery.summary(self.locale)]
        return record_mail(log, self.journal.entries()), notes

    def preview(self, mails: list[Mail], now: dt.datetime) -> list[str]:
        """What `remind --dry-run` shows: each mail's envelope and plain-text part."""
        renderer = Renderer(self.locale, self.settings.sender)
        done = self._done()
        shown = []
        for mail in mails:
            message = renderer.render(mail, now.replace(tzinfo=self.zone))
            state = " (already sent)" if mail.key in done else ""
            body = message.get_body(("plain",)).get_content()
            shown.append(f"To: {message['To']}{state}\nSubject: {message['Subject']}\n\n{body}")
        return [*shown, *(say("note", self.locale, text=n) for n in self.addresses.notes)]

    def sent_tab(self) -> dict[str, list[list]]:
        """After `send`: the mail record tab to write with the rest of the workbook."""
        return self.tab


class SentRecord:
    """What was mailed, kept in the workbook itself (the 邮件记录 tab, two weeks of it): a
    copy of the workbook has no journal beside it, and must not mail the day again. The
    journal stays the crash record; this is written with the rest of the sheet."""

    def __init__(self, grids: dict[str, list[list]]) -> None:
        self.title = find_title(list(grids), MAIL_LOG, None)
        self.entries = _read_record(grids[self.title], self.title) if self.title else []

    def rows(self, journal: list[dict], locale: str, today: dt.date) -> dict[str, list[list]]:
        """The tab to write: what it held plus what the journal knows, the last two weeks."""
        by_key = {e["key"]: e for e in self.entries}
        by_key.update({e["key"]: e for e in journal if e["key"] not in by_key})
        cutoff = (today - dt.timedelta(days=JOURNAL_DAYS)).isoformat()
        kept = sorted((e for e in by_key.values() if e["at"] >= cutoff), key=lambda e: (e["at"], e["key"]))  # fmt: skip
        rows = [[e["at"], e["key"], e.get("recipient", ""), e.get("to", "")] for e in kept]
        return {self.title or MAIL_LOG.title(locale): [MAIL_LOG.headers(locale), *rows]}


def _read_record(grid: list[list], title: str) -> list[dict]:
    """The tab's entries; a tab mangled by hand counts as empty (the journal still knows)."""
    try:
        frame = load_sheet(grid, MAIL_LOG, title).frame
    except WorkbookError:
        return []
    return [
        {"at": _stamp(r.sent_at), "key": cell_text(r.key), "recipient": cell_text(r.recipient),
         "to": cell_text(r.to)}
        for r in frame.itertuples() if cell_text(r.key)
    ]  # fmt: skip


def _stamp(value: object) -> str:
    """Sent-at as the journal writes it, also when a spreadsheet turned it into a date."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return cell_text(value)
