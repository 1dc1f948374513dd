"""Who receives a team member's mail and chat: a change is announced, and held a day.

Anyone who can edit 团队 can type their own address into a colleague's 邮箱, 通知渠道, 飞书ID,
手机 or 上级 and receive that colleague's digest (phones, contacts, amounts, notes), private-bot
digest, escalations and complaint alerts. So the sync remembers, per member, where their mail
and chat went as it last confirmed it (rows of the hidden 同步快照 tab, customer id blank),
and a change to any of those five cells:

- is announced by the run that first sees it (`first`): a notice to the previous address and
  to the manager on record (delivery/notices.py), and a line in 同步日志;
- is held: the member's mail, chat, escalations and alerts keep going where they went (the
  team tab as this run's steps read it is `Recipients.team`, the remembered values put back);
- takes effect on a run on a later day that still finds it, once its notice is on record as
  sent (`confirmed`: the hourly checks of `serve`, a re-run the same day and a run that
  could tell nobody do not confirm it), or at once when the settings'
  `accept_recipient_changes` lists the member's name or the change's code (`accepted`).

A member the memory does not know (new in 团队, or the first run of this version) has no
previous recipient: their cells count as typed, and the sync log names them once. A member
removed from 团队 stays remembered, so removing a row and typing it back is a change too.

Only a sync announces and moves the memory on: `announce=False` (serve's hourly checks,
`remind`) holds every remembered member to their confirmed values, tells what is pending
(a notice a sync could not send), and keeps the rows as read.

Pure: the team tab, the memory rows, `today` and the accepted names in; decisions out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from sheetsync.workbook.messages import listed, say
from sheetsync.workbook.parsing import cell_text, date_or_none, is_blank
from sheetsync.workbook.schema import RECIPIENT_MEMORY_KEYS, TEAM
from sheetsync.workbook.tables import Sheet

FIELDS = ("email", "channel", "chat_id", "mobile", "manager")  # the team columns held
HELD = {f: f"held_{f}" for f in FIELDS}  # the memory column of each
CN_CODE, CN_MOBILE_DIGITS = "86", 11  # +86 13800001111: a mainland mobile, with its code


def _text(value: object) -> str:
    """A cell as text; a mobile typed as a number (13800001111.0 as read) without its ".0"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return cell_text(value)


def _normal(key: str, text: str) -> str:
    """What counts as the same recipient: an address in any case, bots in any separator, a
    mobile in any spacing (with or without +86)."""
    if key == "email":
        return text.casefold()
    if key == "channel":
        return ",".join(b for b in re.split(r"[,,、;;\s]+", text) if b)
    if key == "mobile":
        digits = "".join(re.findall(r"\d", text))
        mainland = len(digits) == len(CN_CODE) + CN_MOBILE_DIGITS and digits.startswith(CN_CODE)
        return digits[len(CN_CODE) :] if mainland else digits
    return text


@dataclass(frozen=True)
class Change:
    """One member's recipient cells, changed since the sync last confirmed them."""

    name: str
    code: str  # what `accept_recipient_changes` may name to let it take effect at once
    seen: dt.date  # the day a run first saw it
    fields: tuple[str, ...]  # which of FIELDS changed
    before: dict[str, str]  # as confirmed: where the mail goes while it is held
    after: dict[str, str]  # as the team tab has them now
    state: str  # "first" (seen by this run), "held" (seen before, not confirmed), "confirmed"
    accepted: bool = False  # the settings accept it: in effect at once

    @property
    def in_effect(self) -> bool:
        return self.state == "confirmed" or self.accepted

    @property
    def key(self) -> str:
        """Once-only key of its notices (the mail journal): a change made again after
        being undone is seen on another day, and told again."""
        return _key(self.name, self.code, self.seen)


def _key(name: str, code: str, seen: dt.date) -> str:
    return f"recipients/{name}/{code}/{seen.isoformat()}"


@dataclass
class Recipients:
    """The team tab as this run's mail and chat must read it, and what changed."""

    team: Sheet | None
    changes: list[Change] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)  # the memory's member rows to write
    added: list[str] = field(default_factory=list)  # members new to a memory that knew some
    announce: bool = True

    def to_tell(self) -> list[Change]:
        """The changes whose notices are owed: first seen by this run, or still held (a
        notice that failed goes on the next run; the journal keeps it once)."""
        return [c for c in self.changes if c.state != "confirmed"]

    def notes(self, locale: str) -> list[str]:
        """Lines for 同步日志: each change as seen, held, confirmed or accepted."""
        notes = []
        for change in self.changes if self.announce else []:
            names = listed((field_label(self.team, f, locale) for f in change.fields), locale)
            what = {"name": change.name, "fields": names, "code": change.code}
            if change.state == "first":
                notes.append(say("recipients_first", locale, **what))
            if change.state == "confirmed":
                notes.append(say("recipients_confirmed", locale, **what))
            else:
                notes.append(
                    say("recipients_" + ("accepted" if change.accepted else "held"), locale, **what)
                )
        if self.added and self.announce:
            notes.append(say("recipients_added", locale, names=listed(self.added, locale)))
        return notes


def field_label(team: Sheet | None, key: str, locale: str) -> str:
    """The header people see for a team column."""
    return team.label(key) if team is not None else TEAM.column(key).text(locale)


def remembered(memory: Sheet | None) -> dict[str, dict[str, object]]:
    """The member rows of 同步快照, by name (the last row of a name wins)."""
    if memory is None or memory.frame is None or "member" not in memory.columns:
        return {}
    frame = memory.frame
    frame = frame[frame["member"].notna().to_numpy()]  # not the customers' rows (100 k of them)
    found = {}
    for values in zip(*(frame[k] for k in RECIPIENT_MEMORY_KEYS), strict=True):
        row = dict(zip(RECIPIENT_MEMORY_KEYS, values, strict=True))
        name = cell_text(row["member"])
        if name:
            found[name] = row
    return found


def _current(team: Sheet | None) -> dict[str, dict[str, str]]:
    """Each member's recipient cells as typed (the last row of a name, as the mail reads)."""
    if team is None:
        return {}
    frame = team.frame
    found = {}
    for values in zip(frame["owner"], *(frame[f] for f in FIELDS), strict=True):
        if not is_blank(values[0]):
            found[cell_text(values[0])] = {
                f: _text(v) for f, v in zip(FIELDS, values[1:], strict=True)
            }
    return found


def _code(name: str, before: dict[str, str], after: dict[str, str]) -> str:
    text = "\x1f".join([name, *(_normal(f, before[f]) for f in FIELDS)])
    text += "\x1e" + "\x1f".join(_normal(f, after[f]) for f in FIELDS)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def hold(
    team: Sheet | None,
    memory: Sheet | None,
    today: dt.date,
    accepted: frozenset[str] = frozenset(),
    told: frozenset[str] = frozenset(),
    announce: bool = True,
) -> Recipients:
    """Compare 团队 with the memory; the team tab as the run's mail and chat must read it
    (changes held), the changes, and the memory's member rows to write. `told`: the keys
    of the notices on record (the mail journal, 邮件记录): a change takes effect only once
    its notice went out, whatever runs saw it meanwhile (`sync --no-email`). `announce`
    False (`serve`'s hourly checks, `remind`): hold everyone remembered, tell what the
    memory holds pending, move nothing on (no sync-log row says it)."""
    before = remembered(memory)
    now = _current(team)
    if not announce:  # hold everyone remembered, tell what is pending; nothing moves on
        confirmed = {n: {f: _text(r[HELD[f]]) for f in FIELDS} for n, r in before.items()}
        kept = [[r[k] for k in RECIPIENT_MEMORY_KEYS] for r in before.values()]
        pending = [_compare(n, before[n], now[n], today) for n in before.keys() & now.keys()]
        changes = [c for c in pending if c is not None and c.state == "held"]
        return Recipients(_held_team(team, confirmed), changes, kept, announce=False)
    result = Recipients(team)
    held: dict[str, dict[str, str]] = {}
    rows: dict[str, list[object]] = {}
    for name, cells in now.items():
        if name not in before:
            if before:  # a memory that knows the team: say who is new
                result.added.append(name)
            rows[name] = _row(name, cells)
            continue
        change = _compare(name, before[name], cells, today, accepted, told)
        if change is None:
            rows[name] = _row(name, cells)
            continue
        result.changes.append(change)
        if change.in_effect:
            rows[name] = _row(name, cells)
        else:
            held[name] = change.before
            rows[name] = _row(name, change.before, change.code, change.seen)
    for name, row in before.items():  # members no longer in 团队 stay remembered
        rows.setdefault(name, [row[k] for k in RECIPIENT_MEMORY_KEYS])
    result.team, result.rows = _held_team(team, held), list(rows.values())
    return result


def _compare(
    name: str,
    row: dict[str, object],
    cells: dict[str, str],
    today: dt.date,
    accepted: frozenset[str] = frozenset(),
    told: frozenset[str] = frozenset(),
) -> Change | None:
    """The member's change, if their cells differ from the confirmed ones: first seen
    today, held, confirmed (seen on an earlier day and told, still there) or accepted."""
    confirmed = {f: _text(row[HELD[f]]) for f in FIELDS}
    changed = tuple(f for f in FIELDS if _normal(f, cells[f]) != _normal(f, confirmed[f]))
    if not changed:
        return None
    code = _code(name, confirmed, cells)
    seen = date_or_none(row["change_seen"]) if _text(row["change_code"]) == code else None
    seen = seen.date() if isinstance(seen, dt.datetime) else seen
    if seen is None:
        state, seen = "first", today
    else:
        key = _key(name, code, seen)
        was_told = any(k == key or k.startswith((key + "/", key + "@")) for k in told)
        state = "confirmed" if seen < today and was_told else "held"
    ok = state != "confirmed" and (name in accepted or code in accepted)
    return Change(name, code, seen, changed, confirmed, cells, state, accepted=ok)


def _row(
    name: str, cells: dict[str, str], code: str = "", seen: dt.date | None = None
) -> list[object]:
    return [name, *(cells[f] or None for f in FIELDS), code or None, seen]


def _held_team(team: Sheet | None, held: dict[str, dict[str, str]]) -> Sheet | None:
    """The team tab with each held member's recipient cells put back as confirmed."""
    if team is None or not held:
        return team
    frame = team.frame.copy()
    owners = frame["owner"].map(cell_text)
    for name, cells in held.items():
        rows = owners == name
        for key in FIELDS:
            frame.loc[rows, key] = cells[key] or None
    return dataclasses.replace(team, frame=frame)
