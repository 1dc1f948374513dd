"""Reminders in chat: WeCom, DingTalk and Feishu/Lark group bots (and any other service
apprise knows), next to or instead of mail.

The plan is the mail's (`Mailer.plan`, from remind.py): the same reminders, with the same
keys, so the once-only rule is the mail's too. Each reminder goes to

- every bot in `channels.team` (the team's group): each owner's digest, @-mentioning them,
  without contact details, phone numbers, amounts or notes (everyone in the group reads it);
- the bots named in the person's 通知渠道 cell of the team tab: a `private` bot gets what
  their mail carries (the mail's own text), any other bot gets the group form of the digest;
- with `channels.feishu_app`, the Feishu app itself (bot `feishu_app`, delivery/feishu_im.py):
  the person's digest, escalation and alert, privately, by their 飞书ID or 邮箱.

A message's key is the mail's plus `@bot` (`digest/张伟/2026-11-18@销售群`): one per person,
day and bot. It goes into the mail journal the moment the vendor accepted it and into the
邮件记录 tab with the rest of the sheet, so a re-run, a crash before the sheet write, or a
copy of the workbook never sends it twice. A bot that fails is not tried again in this run
(a throttled or mis-signed bot is not hammered) and its messages go out on the next run;
the other bots, the mail and the sheet write go on.

Secrets (webhook tokens, signing secrets) are read from the environment or a file only when
a message is sent, and masked in every note, report and apprise log line.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import functools
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sheetsync.delivery.feishu_im import APP, KINDS, AppBot, receiver
from sheetsync.delivery.mailer import Mailer, Renderer
from sheetsync.delivery.masking import MASK
from sheetsync.delivery.records import JOURNAL_DAYS, Journal, SentRecord, task_rows
from sheetsync.delivery.remind import Mail, valid_email
from sheetsync.errors import ConfigError
from sheetsync.resources import templates_dir
from sheetsync.rules.tasks import record_mail
from sheetsync.rules.workdays import WorkCalendar
from sheetsync.settings_sections import (
    VENDOR_HOSTS,
    ChannelSettings,
    EmailSettings,
    FeishuSettings,
)
from sheetsync.workbook.messages import CATALOGUE, lang, say
from sheetsync.workbook.parsing import cell_text, is_blank
from sheetsync.workbook.tables import ROW, Sheet

if TYPE_CHECKING:
    from sheetsync.feishu_api import FeishuClient

TEMPLATES = templates_dir() / "chat"
GROUP_KINDS = ("digest",)  # what a group reads; escalations and summaries only go private
CHINA_MOBILE_WITH_CODE = 13  # digits: "86" and the 11 of a mobile number
MENTION_BY = {"dingtalk": "mobile", "wecombot": "mobile", "feishu": "chat_id", "lark": "chat_id"}
log = logging.getLogger("sheetsync")


@functools.cache
def vendors():
    """apprise, with our fixes for the three Chinese vendors registered, loaded when the
    first bot opens: a run without chat bots never loads it (a quarter of a second and
    ~17 MB, on every run, for nothing)."""
    from sheetsync.delivery import chat_plugins

    chat_plugins.register()
    return chat_plugins


@dataclass(frozen=True)
class Person:
    """A team member as the chat sees them: their own bots and how to @-mention them."""

    name: str
    bots: tuple[str, ...] = ()
    mobile: str = ""
    chat_id: str = ""
    email: str = ""  # 邮箱, where the Feishu app's messages go without a 飞书ID


def read_people(team: Sheet | None) -> dict[str, Person]:
    """The team tab's 通知渠道 (bot names, split on commas, 、 or spaces), 手机, 飞书ID and 邮箱."""
    if team is None:
        return {}
    people = {}
    for r in team.frame.itertuples():
        if is_blank(r.owner):
            continue
        name = str(r.owner).strip()
        bots = tuple(b for b in re.split(r"[,,、;;\s]+", cell_text(r.channel)) if b)
        email = cell_text(r.email).strip()
        email = email if valid_email(email) else ""
        people[name] = Person(name, bots, _mobile(r.mobile), _chat_id(r.chat_id), email)
    return people


# An id that would @-mention a whole group (Feishu's user_id "all", WeCom's "@all"): typed
# into one cell of 团队, it would ping everyone in the group with every digest.
EVERYONE = frozenset({"all", "所有人", "全体成员", "全体", "everyone", "here"})
ID_SHAPE = re.compile(r"[A-Za-z0-9_.\-]{2,64}|[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}")


def _chat_id(value: object) -> str:
    """A 飞书ID as a mention can use it: an open_id (ou_…), union_id (on_…), user_id or email;
    "" for anything else, and for an id that means everyone."""
    text = cell_text(value).strip()
    if text.lstrip("@").casefold() in EVERYONE or not ID_SHAPE.fullmatch(text):
        return ""
    return text


def refused_ids(team: Sheet | None, locale: str) -> list[str]:
    """A note for each 飞书ID the mentions leave out (`_chat_id`), naming the row."""
    if team is None:
        return []
    frame = team.frame
    return [
        say("mention_refused", locale, tab=team.title, row=row, owner=cell_text(who), value=typed)
        for row, who, typed in zip(
            frame[ROW], frame["owner"], map(cell_text, frame["chat_id"]), strict=True
        )
        if typed and not _chat_id(typed)
    ]


def _mobile(value: object) -> str:
    """A mobile number as typed ("138 0013 8000", "+86 138-0013-8000"), as the vendors want
    it: the digits, without China's country code."""
    digits = "".join(re.findall(r"\d", cell_text(value)))
    return (
        digits[2:] if len(digits) == CHINA_MOBILE_WITH_CODE and digits.startswith("86") else digits
    )


@dataclass
class Message:
    """One reminder to one bot; `group`: in the form everyone in a group may read."""

    mail: Mail
    bot: str
    group: bool

    @property
    def key(self) -> str:
        return f"{self.mail.key}@{self.bot}"


def plan_messages(
    mails: list[Mail], people: dict[str, Person], settings: ChannelSettings, locale: str
) -> tuple[list[Message], list[str]]:
    """Who gets which message on which bot, and notes on what the team tab asks for that
    cannot be done (a bot the settings lack, a private bot several people name)."""
    notes: list[str] = []
    named: dict[str, list[str]] = {}
    for person in people.values():
        for bot in person.bots:
            named.setdefault(bot, []).append(person.name)
    for bot in sorted(set(named) - set(settings.bots)):
        notes.append(say("chat_no_bot", locale, bot=bot))
    shared = {b for b, names in named.items() if len(names) > 1}
    for bot in sorted(shared & {b for b, s in settings.bots.items() if s.private}):
        notes.append(say("chat_shared_private", locale, bot=bot, names="、".join(named[bot])))
    messages: dict[str, Message] = {}
    for mail in mails:
        if mail.kind in GROUP_KINDS:
            for bot in settings.team:
                messages.setdefault(f"{mail.key}@{bot}", Message(mail, bot, True))
        person = people.get(mail.recipient.strip(), Person(mail.recipient))
        for bot in (b for b in person.bots if b in settings.bots):
            private = settings.bots[bot].private and bot not in shared
            if private or mail.kind in GROUP_KINDS:
                messages.setdefault(f"{mail.key}@{bot}", Message(mail, bot, not private))
    if settings.feishu_app:
        app, missing = app_messages(mails, people)
        messages |= {m.key: m for m in app}
        notes += [say("im_no_id", locale, name=name) for name in missing]
    return list(messages.values()), notes


def app_messages(mails: list[Mail], people: dict[str, Person]) -> tuple[list[Message], list[str]]:
    """The Feishu app's private messages (`channels.feishu_app`): each mail of the kinds it
    carries, to its recipient by their 飞书ID or 邮箱; and who has neither (named once)."""
    messages, missing = [], []
    for mail in (m for m in mails if m.kind in KINDS):
        person = people.get(mail.recipient.strip(), Person(mail.recipient.strip()))
        if receiver(person.chat_id, person.email):
            messages.append(Message(mail, APP, False))
        elif person.name not in missing:
            missing.append(person.name)
    return messages, missing


def group_context(mail: Mail) -> dict:
    """The digest's data a whole group may read, picked field by field (never filtered out),
    so a field added to the mail later stays out of the group until someone adds it here."""
    c = mail.context
    keep = {
        "tasks": ("customer", "grade", "days_overdue", "action"),
        "contracts": ("customer", "date"),
        "birthdays": ("customer", "days"),
    }
    picked = {k: [{f: item.get(f) for f in keep[k]} for item in c.get(k, [])] for k in keep}
    return {
        "owner": c.get("owner", mail.recipient),
        "today": c.get("today"),
        **picked,
        "fixes": [f["row"] for f in c.get("fixes", [])],
    }


class Writer:
    """A message's title and text: the group form from templates/chat/<lang>/, a private
    one the mail's own subject and plain-text part (what the mail carries, word for word)."""

    def __init__(self, locale: str, email: EmailSettings, folder: Path = TEMPLATES) -> None:
        from sheetsync.delivery.templating import environment  # Jinja2: when a chat is sent

        self.env = environment(folder / lang(locale), locale)
        self.mail = Renderer(locale, email.sender)

    def write(self, message: Message, now: dt.datetime) -> tuple[str, str]:
        if message.group:
            text = self.env.get_template(f"{message.mail.kind}.txt").render(
                **group_context(message.mail)
            )
            return "", text.strip()
        return self.mail.subject_and_text(message.mail, now)


def vendor_name(schema: str, plugin, locale: str) -> str:
    """The vendor as the sheet's readers call it (钉钉, 企业微信, 飞书), not apprise's English
    service name: it is shown in the sync log and in 邮件记录."""
    key = f"vendor_{schema}"
    if key in CATALOGUE:
        return say(key, locale)
    return str(plugin.service_name) if plugin else schema


class Bot:
    """One configured bot, opened when its first message goes: the address and secret are
    read then (a bot nobody is sent to needs neither), and a bot that failed once in a run
    is not tried again in it."""

    def __init__(self, settings, locale: str, sleep=time.sleep, hosts=None) -> None:
        self.name, self.locale, self.sleep = settings.name, locale, sleep
        self.failure, self.pace = "", 0.0
        self.last: float | None = None  # time.monotonic() of the last send
        self.uncertain = self.posted = False  # of the last send
        self.deadline: float | None = None  # time.monotonic() the chat step must end by
        self.plugins = vendors()
        self.hosts = dict(VENDOR_HOSTS if hosts is None else hosts)
        self.base, self.vendor = self._open(settings), settings.name
        if self.base:
            plugin = self.plugins.SCHEMAS.get(self.base["schema"])
            self.vendor = vendor_name(self.base["schema"], plugin, locale)
            self.pace = getattr(plugin, "request_rate_per_sec", 0.0)

    def _open(self, settings) -> dict | None:
        try:
            url, secret = settings.url(), settings.secret()
        except ConfigError as exc:
            self.failure = say("chat_unusable", self.locale, bot=self.name, why=exc)
            return None
        MASK.add(url, secret)
        from apprise.plugins import url_to_dict

        base = url_to_dict(self.plugins.on_public_host(url, self.hosts))
        if not base:
            why = say("chat_no_address", self.locale)
            self.failure = say("chat_unusable", self.locale, bot=self.name, why=why)
            return None
        MASK.add(*(str(base.get(k) or "") for k in ("token", "key", "secret", "user", "password")))
        if base["schema"] in self.plugins.SCHEMAS:
            if secret:
                base["secret"] = secret
            base["base_url"] = self.plugins.base_urls(self.hosts).get(base["schema"])
        return base

    def label(self, person: Person | None) -> str:
        """Where it went, as the journal and 邮件记录 say it (never its URL)."""
        return f"{self.vendor} {self.name}"

    def mention_ids(self, person: Person | None) -> list[str]:
        by = MENTION_BY.get(self.base["schema"]) if self.base else None
        value = getattr(person, by, "") if person and by else ""
        return [value] if value else []

    def send(self, title: str, text: str, mentions: list[str]) -> str:
        """Empty when the vendor accepted it, else why not (masked). `uncertain` after it:
        the request went out but no answer came in time (the vendor may have delivered it)."""
        self.uncertain = self.posted = False
        if self.failure:
            return say("chat_not_tried", self.locale) if self.last else self.failure
        from apprise import Apprise, NotifyFormat, OverflowMode

        assert self.base is not None  # without it, `failure` says why (above)
        results = copy.deepcopy(self.base)
        if results["schema"] in MENTION_BY:
            results["targets"] = mentions
        plugin = Apprise.instantiate(results)
        if plugin is None:
            return self._fail(say("chat_unusable", self.locale, bot=self.name, why="apprise"))
        # ours (chat_plugins.Answered) read it; any other apprise plugin leaves it alone
        plugin.deadline = self.deadline  # type: ignore[attr-defined]
        self._wait()
        ok = plugin.notify(
            body=text, title=title, body_format=NotifyFormat.TEXT, overflow=OverflowMode.SPLIT
        )
        self.last = time.monotonic()
        self.posted = not getattr(plugin, "unreachable", "")  # it reached the vendor
        if ok:
            return ""
        code = getattr(plugin, "code", None)
        if code in self.plugins.RATE_LIMITED:
            return self._fail(say("chat_rate_limited", self.locale, vendor=self.vendor, code=code))
        if getattr(plugin, "uncertain", False):
            self.uncertain = True
            seconds = f"{plugin.socket_read_timeout:g}"
            return self._fail(say("chat_timeout", self.locale, vendor=self.vendor, seconds=seconds))
        error = getattr(plugin, "unreachable", "")
        if error:
            return self._fail(
                say("chat_no_connection", self.locale, vendor=self.vendor, error=error)
            )
        why = MASK(getattr(plugin, "failure", "") or say("chat_refused_plain", self.locale))
        return self._fail(say("chat_refused", self.locale, vendor=self.vendor, why=why))

    def _wait(self) -> None:
        if self.last is not None:
            self.sleep(max(0.0, self.pace - (time.monotonic() - self.last)))

    def _fail(self, why: str) -> str:
        self.failure, self.last = why, self.last or time.monotonic()
        return why


UNCERTAIN = "#uncertain"  # a journal key's suffix: sent once, no answer; retried once
OWED = "#owed"  # a journal key's suffix: an escalation's tasks a bot failed to deliver


@dataclass
class ChatDelivery:
    sent: list[Message] = field(default_factory=list)
    already: list[Message] = field(default_factory=list)
    failed: list[tuple[Message, str]] = field(default_factory=list)
    # Sent, but no answer in time (the vendor may have delivered it): sent once more on the
    # next run (`uncertain`); after that one retry, recorded as sent and never again
    # (`given_up`), so a slow vendor gets a message at most twice, never every run.
    uncertain: list[tuple[Message, str]] = field(default_factory=list)
    given_up: list[tuple[Message, str]] = field(default_factory=list)
    late: list[Message] = field(default_factory=list)  # not tried: past channels.deadline
    deadline: float = 0.0

    def summary(self, locale: str) -> str:
        text = say("chat_summary", locale, sent=len(self.sent), failed=len(self.failed))
        if self.already:
            text += say("chat_already", locale, count=len(self.already))
        if self.late:
            text += say("chat_late", locale, count=len(self.late), seconds=f"{self.deadline:g}")
        return text + self.details(locale)

    def details(self, locale: str) -> str:
        """What failed, and what may not have landed, message by message."""
        text = "".join(_one("chat_failed", locale, m, why) for m, why in self.failed)
        for key, items in (
            ("chat_uncertain", self.uncertain),
            ("chat_sent_uncertain", self.given_up),
        ):
            if items:
                text += say(key, locale, count=len(items)) + "".join(
                    _one("chat_uncertain_one", locale, m, why) for m, why in items
                )
        return text


def _one(key: str, locale: str, message: Message, why: str) -> str:
    """One message's line of the chat step's report: to whom, through which bot, and why."""
    return say(
        key, locale, recipient=message.mail.recipient, bot=_shown(message.bot, locale), why=why
    )


def _shown(bot: str, locale: str) -> str:
    """A bot as a note names it: the Feishu app's messages as 飞书私信."""
    return say("im_vendor", locale) if bot == APP else bot


class Chats:
    """The chat step of a sync: plan from the computed board (as the mail does), deliver
    each message at most once, record it in the mail journal and the 邮件记录 tab.

    `stamps`: whether what the bots delivered stamps 提醒时间 / 升级时间 in the task log. On
    when no mail goes out (the bots are then the reminders); off next to mail, so that a
    digest a bot delivered does not stop a failed mail from going out on the next run."""

    def __init__(
        self,
        settings: ChannelSettings,
        email: EmailSettings,
        journal: Path,
        zone=None,
        tab: str | None = None,
        stamps: bool = True,
        sleep=time.sleep,
        feishu=None,
        feishu_client: FeishuClient | None = None,
    ) -> None:
        self.settings, self.email, self.journal = settings, email, Journal(journal)
        # The Feishu app (`channels.feishu_app`): its settings, and a client to share with a
        # Feishu sheet's, so both count into one quota (else opened when the first message goes).
        self.feishu = feishu or FeishuSettings()
        self.feishu_client = feishu_client
        self.zone, self.tab_title, self.stamps, self.sleep = zone, tab, stamps, sleep
        self.record, self.locale = SentRecord({}), "zh"
        self.tab: dict[str, list[list]] = {}
        self.people: dict[str, Person] = {}
        self.notes: list[str] = []
        self.location, self.url = "", ""

    def where(self, location: str, url: str = "", zone=None) -> None:
        """Where the rows live, so a private message points at a row as the mail does; and
        the workbook's time zone, when the run knows it (as `Mailer.where`)."""
        self.location, self.url = location, url
        self.zone = zone if zone is not None else self.zone

    def recorded(self, log: pd.DataFrame, grids: dict[str, list[list]] | None = None):
        """The task log stamped from the journal (as `Mailer.recorded`); `grids` hold the
        邮件记录 tab, whose keys count as sent too."""
        self.record = SentRecord(grids or {}, self.tab_title)
        return record_mail(log, self.journal.entries())

    def plan(self, loaded, result, today: dt.date, calendar: WorkCalendar) -> list[Message]:
        """The mail's plan, made as if nothing had been reminded today: a bot that failed
        earlier today is still owed its message (the keys stop the others repeating)."""
        self.locale, self.people = loaded.locale, read_people(loaded.team)
        log = _unstamped(result.log, today, JOURNAL_DAYS if not self.stamps else 0)
        fresh = dataclasses.replace(result, log=log)
        mailer = Mailer(self.email, self.journal.path)
        mailer.where(self.location, self.url)
        mails = mailer.plan(loaded, fresh, today, calendar)
        messages, self.notes = plan_messages(mails, self.people, self.settings, self.locale)
        self.notes = [*refused_ids(loaded.team, self.locale), *self.notes]
        if self.stamps:
            return messages
        return self._owed(messages, _stamp_days(result.log), today.isoformat())

    def _done(self) -> set[str]:
        return {e["key"] for e in [*self.journal.entries(), *self.record.entries]}

    def send(self, messages: list[Message], log: pd.DataFrame, now: dt.datetime):
        """Deliver; returns the task log stamped with what was sent, and notes for the sync
        log. Nothing here stops the run: a failure is a note, retried next run."""
        torn = self.journal.repair()
        result = self.deliver(messages, Writer(self.locale, self.email), now)
        self.journal.prune(now.date())
        self.tab = self.record.rows(self.journal.entries(), self.locale, now.date())
        notes = [say("journal_torn", self.locale, file=self.journal.path.name, count=torn)]
        notes = [*(notes if torn else []), *self.notes, MASK(result.summary(self.locale))]
        return record_mail(log, self.journal.entries()), notes

    def deliver(self, messages: list[Message], writer, now: dt.datetime) -> ChatDelivery:
        """Each message not yet in the journal or 邮件记录, written by `writer` (anything with
        `write(message, at) -> (title, text)`: the digests' Writer, the alerts' own), sent,
        then journalled. A bot that fails stops for the rest of the run."""
        at = now.replace(tzinfo=self.zone)
        done, result = self._done(), ChatDelivery(deadline=self.settings.deadline)
        bots: dict[str, Bot | AppBot] = {}
        end = time.monotonic() + self.settings.deadline
        for message in messages:
            if message.key in done:
                result.already.append(message)
                continue
            if time.monotonic() >= end:  # the rest go out on the next run: nothing journalled
                result.late.append(message)
                continue
            bot = bots.get(message.bot) or bots.setdefault(message.bot, self._open(message.bot))
            bot.deadline = end
            retry = message.key + UNCERTAIN in done  # its one retry after an uncertain send
            why = self._deliver(message, bot, writer, at)
            if not why:
                why = self._record(message, bot, at)
                (result.failed.append((message, why)) if why else result.sent.append(message))
            elif retry and bot.posted:  # at most once again, ever: whatever the answer
                self._record(message, bot, at, state="uncertain")
                result.given_up.append((message, why))
            elif bot.uncertain:
                self._record(message, bot, at, stamp=False, key=message.key + UNCERTAIN)
                result.uncertain.append((message, why))
                self._owe(message, bot, at, done)
            else:
                result.failed.append((message, why))
                self._owe(message, bot, at, done)
        return result

    def _open(self, name: str):
        """The bot a message goes by: a webhook bot of the settings, or the Feishu app."""
        if name == APP:
            bot = AppBot(self.feishu, self.locale, self.feishu_client, self.sleep)
            self.feishu_client = bot.client  # its calls count into the run's (the quota)
            return bot
        return Bot(self.settings.bots[name], self.locale, self.sleep, self.settings.hosts)

    def api_calls(self) -> int:
        """The Feishu app's API calls in this run (with a Feishu sheet's when they share it)."""
        return self.feishu_client.calls if self.feishu_client else 0

    def _owe(self, message: Message, bot: Bot | AppBot, at: dt.datetime, done: set[str]) -> None:
        """An escalation a bot failed to deliver: its tasks are journalled (and listed in
        邮件记录, `owed/...`) as owed by the bot, so a later day sends them, though the mail
        escalated them today and the bot is owed no older ones (`_owed`)."""
        key = message.key + OWED
        if message.mail.kind != "escalation" or key in done:
            return
        pairs = [[t, _day(d)] for t, d in message.mail.escalates]
        to = bot.label(self.people.get(message.mail.recipient.strip()))
        mail = dataclasses.replace(message.mail, key=key, to=to, reminds=[], escalates=[])
        with contextlib.suppress(OSError):  # the message's failure is the note
            self.journal.record(mail, at, chat_owes=pairs)

    def _deliver(self, message: Message, bot: Bot | AppBot, writer, at: dt.datetime) -> str:
        """Why it was not delivered, or "". Any error in one message (a template, a plugin)
        is that message's failure: the other bots and the sheet write go on."""
        try:
            title, text = writer.write(message, at)
            person = self.people.get(message.mail.recipient.strip())
            if isinstance(bot, AppBot):
                person = person or Person(message.mail.recipient.strip())
                return bot.send_to(person, title, text, message.key)
            return bot.send(title, text, bot.mention_ids(person) if message.group else [])
        except Exception as exc:  # noqa: BLE001  (never the sheet write's problem)
            why = MASK(f"{type(exc).__name__}: {exc}")
            log.warning("chat message %s to %s failed: %s", message.mail.key, message.bot, why)
            return why

    def _record(
        self,
        message: Message,
        bot: Bot | AppBot,
        at: dt.datetime,
        stamp: bool = True,
        key="",
        **extra,
    ) -> str:
        """Into the journal; a journal that cannot be written (disk full) makes the message
        count as failed, so the next run sends it again (as the mail does). The tasks it
        escalated are kept as this bot's own (`chat_escalates`): next to mail, the task
        log's 升级时间 is the mail's, and the chat's once-per-task rests on these."""
        stamps = self.stamps and stamp
        entry = dataclasses.replace(
            message.mail,
            key=key or message.key,
            to=bot.label(self.people.get(message.mail.recipient.strip())),  # never its URL
            reminds=message.mail.reminds if stamps else [],
            escalates=message.mail.escalates if stamps else [],
        )
        if stamp and message.mail.kind == "escalation":
            extra["chat_escalates"] = [[t, _day(d)] for t, d in message.mail.escalates]
        try:
            self.journal.record(entry, at, **extra)
        except OSError as exc:
            return f"{self.journal.path.name}: {exc.strerror or type(exc).__name__}"
        return ""

    def _escalated(self) -> tuple[dict[str, dict[str, set[tuple]]], dict[str, set[str]]]:
        """By kind ("escalated": delivered, "owed": failed), by bot: the (task, due day)
        pairs of its escalations, from the journal and from 邮件记录's rows of them (the
        workbook alone says it on a runner that keeps no journal); and by bot the days of
        its escalations recorded before they named their tasks (an older version's journal
        line, or 邮件记录 row with no task rows sent at the same time)."""
        found: dict[str, dict[str, set[tuple]]] = {"escalated": {}, "owed": {}}
        days: dict[str, set[str]] = {}
        entries = [*self.journal.entries(), *self.record.entries]
        tasked = set()  # (bot, sent at) of the escalations whose tasks are on record
        for row in (r for e in entries for r in [e, *task_rows(e)]):
            before, sep, bot = row["key"].rpartition("@")
            kind, _, rest = before.partition("/")
            task, _, due = rest.rpartition("/")
            if sep and kind in found and task:
                found[kind].setdefault(bot, set()).add((task, due))
                tasked.add((bot, row["at"]))
        for entry in entries:
            before, sep, bot = entry["key"].rpartition("@")
            if not sep or not before.startswith("escalation/") or "#" in bot:
                continue
            if "chat_escalates" not in entry and (bot, entry["at"]) not in tasked:
                days.setdefault(bot, set()).add(entry["at"][:10])
        return found, days

    def _owed(self, messages: list[Message], stamped: dict[tuple, str], today: str):
        """Escalations as each bot still owes them: the tasks it has not yet carried that the
        mail escalates today (or escalated today, before a crash) or that the bot failed
        to deliver on an earlier day (`_owe`). Not the other tasks the mail escalated in
        the last two weeks: the manager read those in the mail, and a bot added today
        starts with today's news, as a new member of the team would. One with nothing
        left to tell is not sent. `stamped`: each task's 升级时间 day, which also tells
        what an older journal line (no `chat_escalates`) carried: the tasks the mail
        escalated on the day of that line."""
        (found, older), owed = self._escalated(), []
        escalated, owes = found["escalated"], found["owed"]
        for message in messages:
            mail, bot = message.mail, message.bot
            if mail.kind != "escalation":
                owed.append(message)
                continue

            def carried(pair: tuple, bot: str = bot) -> bool:
                day = stamped.get(pair)
                if pair in escalated.get(bot, ()) or day in older.get(bot, ()):
                    return True
                return day not in (None, today) and pair not in owes.get(bot, ())

            tasks = [
                t for t in mail.context["tasks"] if not carried((t["customer_id"], _day(t["due"])))
            ]
            if not tasks and not mail.context.get("orphans"):
                continue
            left = [p for p in mail.escalates if not carried((p[0], _day(p[1])))]
            mail = dataclasses.replace(
                mail, context={**mail.context, "tasks": tasks}, escalates=left
            )
            owed.append(Message(mail, message.bot, message.group))
        return owed

    def preview(self, messages: list[Message], now: dt.datetime) -> list[str]:
        """What `--dry-run` shows: each message's bot and text."""
        writer, done = Writer(self.locale, self.email), self._done()
        shown = []
        for message in messages:
            title, text = writer.write(message, now.replace(tzinfo=self.zone))
            state = say("preview_sent", self.locale) if message.key in done else ""
            head = say(
                "preview_chat", self.locale, bot=_shown(message.bot, self.locale), state=state
            )
            shown.append(f"{head}\n{title}\n\n{text}".replace("\n\n\n", "\n\n"))
        return [*shown, *(say("note", self.locale, text=n) for n in self.notes)]

    def sent_tab(self) -> dict[str, list[list]]:
        """After `send`: the 邮件记录 tab (mail and chat) to write with the workbook."""
        return self.tab


def _unstamped(log: pd.DataFrame, today: dt.date, days: int = 0) -> pd.DataFrame:
    """The task log without the escalation stamps of today (and of the `days` before: next
    to mail, the stamps are the mail's, and what the chat owes of the last `JOURNAL_DAYS`
    is told by its own journal entries, `Chats._owed`). Escalations go once, so a task
    stamped would not be planned again. Reminder stamps do not decide what is planned: a
    digest is once a day by its key."""
    log = log.copy()
    since, day = (today - dt.timedelta(days=days)).isoformat(), today.isoformat()
    recent = log["escalated_at"].map(
        lambda v: not is_blank(v) and (since <= str(v)[:10] if days else str(v)[:10] == day)
    )
    log["escalated_at"] = log["escalated_at"].where(~recent, None).astype(object)
    return log


def _stamp_days(log: pd.DataFrame) -> dict[tuple, str]:
    """(task, due day) -> the day of its 升级时间, for the tasks escalated."""
    stamped = log[~log["escalated_at"].map(is_blank)]
    return {
        (task, _day(due)): str(at)[:10]
        for task, due, at in zip(
            stamped["customer_id"], stamped["due_date"], stamped["escalated_at"], strict=True
        )
        if not is_blank(due)
    }


def _day(value: Any) -> str:  # a cell as pandas holds it
    """A due day as the journal keeps it ("2026-11-18")."""
    return value if isinstance(value, str) else pd.Timestamp(value).date().isoformat()
