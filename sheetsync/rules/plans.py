"""Plans, not one interval: a grade's or a value class's follow-up is a list of steps, each
with its own cadence, method and action, read from the sentences the playbooks print.

    >>> [(s.every, s.action) for s in read_plan("每2-3天发送1次资料,每周1次电话沟通需求变化")]
    [(3, '发送资料'), (7, '电话沟通需求变化')]

The sentence is split at commas, semicolons, "+" and line breaks; each part must say how
often (每N天 / 每周 / 每月 / 每季度 / 半年 / 每年 / 月度 / 隔周 / "3天1次", numbers in
Chinese or Arabic digits; every N days / weekly / twice a month in English). What is left of
the part once the cadence is taken out is the step's action. A part with no cadence, or two,
is named (`Unreadable`), never guessed.

A range takes its longer interval (每2-3天 -> 3 days, 每月1-2次 -> 30 days): the step falls due
when the playbook's range ends, so a contact anywhere in it is on time (the grading tab's
跟进频率 has always read 每2-3天1次 as 3). N times a period is the period divided by N,
rounded down (每周2次 -> 3 days).

Scheduling (`schedule_steps`) replays the contacts the sync has seen (跟进历史): a contact
completes the step its 跟进方式 matches (电话, 面谈/上门, 邮件/资料, 微信, 推送), otherwise the
earliest due step. Each step is next due its cadence after it was last done (never done:
after the plan started); the customer is due at the earliest, and the task names that step.
Pure: the contacts, the plans and `today` come in, dates go out.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from sheetsync.workbook.messages import simplified
from sheetsync.workbook.parsing import Unreadable, cell_text
from sheetsync.workbook.schema import METHOD_KINDS, normalise_header


@dataclass(frozen=True)
class Step:
    """One step of a plan. `every`: days between two of it; for a step done once (`once`, an
    after-sale revisit), days after the plan's start. `kinds`: the contact methods that
    complete it (METHOD_KINDS keys; empty: whatever the contact)."""

    every: int
    method: str
    action: str
    phrase: str = ""  # as written in the rules tab: names the step (task log, messages)
    kinds: frozenset[str] = field(default_factory=frozenset)
    once: bool = False

    @property
    def key(self) -> str:
        return _key(self.phrase or f"{self.every}{self.method}{self.action}")


@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    """A step's name folded as a header is (任务记录's 计划步骤 matched back to it)."""
    return normalise_header(text)


# --- reading a sentence -----------------------------------------------------------------
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5}
_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两兩三四五六七八九十半]+)"
_TO = r"\s*(?:-|~|～|至|到|—|–|或)\s*"
_UNIT = r"(?:个|個)?\s*(?P<unit>季度|季|星期|礼拜|禮拜|周|週|天|日|月|年)"
_ZH_CADENCE = (
    # 每2-3天, 每两三天, 每隔3天 (read as every 3 days), 每个月, 每季度, 每半年
    re.compile(rf"每\s*(?:隔\s*)?(?P<n>{_NUM})?(?:{_TO}(?P<m>{_NUM}))?\s*{_UNIT}"),
    # 3天1次, 半年1次, 一周两次: a span, then how many times in it
    re.compile(rf"(?P<n>{_NUM})(?:{_TO}(?P<m>{_NUM}))?\s*{_UNIT}\s*(?=\S*?{_NUM}\s*[次回])"),
    # 月度, 季度, 年度, 半年 on their own; 隔天, 隔周, 双周, 隔月: every other one
    re.compile(
        r"(?P<unit>月|季|年)度|(?P<n>半)(?P<unit2>年)"
        r"|(?:隔|双|雙)(?P<alt>天|日|周|週|星期|月)"
    ),
)
_TIMES = re.compile(rf"(?P<t>{_NUM})(?:{_TO}(?P<t2>{_NUM}))?\s*[次回]")
_EN_CADENCE = re.compile(
    r"\bevery\s+(?:(?P<n>\d+(?:\.\d+)?|other|two|three|four|six)(?:\s*(?:-|–|to|or)\s*"
    r"(?P<m>\d+))?\s+)?(?P<unit>day|week|month|quarter|year)s?\b"
    r"|\b(?P<adverb>daily|weekly|biweekly|fortnightly|monthly|quarterly|yearly|annually"
    r"|half-yearly|semi-annually)\b"
)
_EN_TIMES = re.compile(
    r"\b(?P<t>once|twice|\d+\s*(?:-|to)?\s*\d*\s*times)\s*(?:a|per|every|each)?\s*"
    r"(?P<unit>day|week|month|quarter|year)?\b"
)
_EN_WORDS = {"other": 2, "two": 2, "three": 3, "four": 4, "six": 6}
_ADVERBS = {
    "daily": (1, "day"),
    "weekly": (1, "week"),
    "biweekly": (2, "week"),
    "fortnightly": (2, "week"),
    "monthly": (1, "month"),
    "quarterly": (1, "quarter"),
    "yearly": (1, "year"),
    "annually": (1, "year"),
    "half-yearly": (6, "month"),
    "semi-annually": (6, "month"),
}
_DAYS = {
    "天": 1,
    "日": 1,
    "day": 1,
    "周": 7,
    "週": 7,
    "星期": 7,
    "礼拜": 7,
    "禮拜": 7,
    "week": 7,
    "月": 30,
    "month": 30,
    "季": 90,
    "季度": 90,
    "quarter": 90,
    "年": 365,
    "year": 365,
}
SPLIT = re.compile(r"\s*[,，;；+＋\n]\s*")
MAX_DAYS = 3650
HALF = 0.5  # 半, as `number` reads it
HALF_YEAR_DAYS = 180.0  # 半年: six months, as 决策周期 counts them
_RANGE_DIGITS = 2  # 两三, 三五: a rough range is said as two digits in a row
_EN_COUNTS = {"once": 1.0, "twice": 2.0}


def number(text: str | None) -> tuple[float, float] | None:
    """ "3" -> (3, 3), "十二" -> (12, 12), "两三" -> (2, 3) (a range said as two digits),
    "半" -> (0.5, 0.5); None for nothing."""
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text), float(text)
    if text == "半":
        return HALF, HALF
    if len(text) == _RANGE_DIGITS and all(c in _DIGITS and _DIGITS[c] for c in text):
        low, high = _DIGITS[text[0]], _DIGITS[text[1]]
        if high == low + 1 or (low, high) in ((3, 5),):  # 两三, 三四, 三五: a rough range
            return float(low), float(high)
    tens, _, ones = text.partition("十")
    if "十" in text:
        value = (_DIGITS.get(tens, 0) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)
        ok = (not tens or tens in _DIGITS) and (not ones or ones in _DIGITS)
    else:
        value, ok = _DIGITS.get(text, 0), text in _DIGITS
    return (float(value), float(value)) if ok and value else None


def _span_days(n: tuple[float, float] | None, m: tuple[float, float] | None, unit: str) -> float:
    """The longest span the words allow: 2-3天 -> 3, 半年 -> 180 (six months, as 决策周期)."""
    upper = (m or n or (1.0, 1.0))[1]
    if unit in ("年", "year") and upper == HALF:
        return HALF_YEAR_DAYS
    return upper * _DAYS[unit]


def _zh_cadence(text: str) -> tuple[float, list[tuple[int, int]]] | None:
    """Days of the span a Chinese part names, and where the words stand (to cut them out)."""
    for pattern in _ZH_CADENCE:
        found = list(pattern.finditer(text))
        if not found:
            continue
        if len(found) > 1:
            raise Unreadable("plan_two_cadences")
        match = found[0]
        groups = match.groupdict()
        if groups.get("alt"):
            return 2.0 * _DAYS[groups["alt"]], [match.span()]
        unit = groups.get("unit") or groups.get("unit2")
        assert unit is not None  # each pattern names its unit, but for an "alt" (隔周)
        if unit in ("季", "季度", "月", "年") and groups.get("n") is None and "度" in match[0]:
            return float(_DAYS[unit]), [match.span()]
        n, m = number(groups.get("n")), number(groups.get("m"))
        if groups.get("n") and n is None or groups.get("m") and m is None:
            raise Unreadable("plan_no_cadence")
        return _span_days(n, m, unit), [match.span()]
    return None


def _en_cadence(text: str) -> tuple[float, list[tuple[int, int]]] | None:
    found = list(_EN_CADENCE.finditer(text))
    if not found:
        return None
    if len(found) > 1:
        raise Unreadable("plan_two_cadences")
    match = found[0]
    if match.group("adverb"):
        count, unit = _ADVERBS[match.group("adverb")]
        return count * _DAYS[unit], [match.span()]
    raw = match.group("n")
    n = _EN_WORDS[raw] if raw in _EN_WORDS else float(raw) if raw else 1.0
    upper = float(match.group("m")) if match.group("m") else n
    return upper * _DAYS[match.group("unit")], [match.span()]


def _times(text: str, english: bool) -> tuple[float, tuple[int, int] | None, float | None]:
    """How many times in the span (a range: the fewer), where it stands, and the span an
    English "twice a week" names itself (None otherwise)."""
    if english:
        match = _EN_TIMES.search(text)
        if not match:
            return 1.0, None, None
        said = match.group("t")
        if said in _EN_COUNTS:
            count = _EN_COUNTS[said]
        else:  # "3 times", "2-3 times": the fewer
            digits = re.match(r"\d+", said)
            assert digits is not None  # the pattern's "N times" starts with its digits
            count = float(digits[0])
        unit = match.group("unit")
        return count, match.span(), float(_DAYS[unit]) if unit else None
    match = _TIMES.search(text)
    if not match:
        return 1.0, None, None
    times = number(match.group("t"))
    if times is None:
        raise Unreadable("plan_no_cadence")
    return max(times[0], 1.0), match.span(), None


def _cut(text: str, spans: list[tuple[int, int] | None], english: bool) -> str:
    """The text with the cadence words taken out: what is to be done."""
    for start, end in sorted((s for s in spans if s), reverse=True):
        text = text[:start] + (" " if english else "") + text[end:]
    words = " ".join(text.split())
    return words.strip(" ,，;；:：、.。-—()（）").removeprefix("进行").removeprefix("進行").strip()


def read_step(part: str) -> Step:
    """One part of a plan sentence as a step (`Unreadable` naming why when it cannot be)."""
    text = unicodedata.normalize("NFKC", part).strip()
    english = not re.search(r"[\u4e00-\u9fff]", text)
    folded = text.casefold() if english else text
    cadence = _en_cadence(folded) if english else _zh_cadence(folded)
    times, times_span, times_unit = _times(folded, english)
    if cadence is None and times_unit is not None:  # "twice a week"
        cadence = (times_unit, [])
    if cadence is None:
        raise Unreadable("plan_no_cadence")
    span, spans = cadence
    every = max(1, math.floor(span / times))
    if every > MAX_DAYS:
        raise Unreadable("plan_no_cadence")
    action = _cut(text, [*spans, times_span], english)
    if english:  # "send material once a week": words like "a"/"per" left over
        action = re.sub(r"\b(?:a|per|each|every)\s*$", "", action).strip(" ,;")
    kinds = method_kinds(action)
    return Step(every, "", action, part.strip(), kinds)


def read_plan(value: object) -> tuple[Step, ...]:
    """Every step of a plan sentence; `Unreadable` (with `.fields["part"]`) for the first
    part that cannot be read."""
    text = cell_text(value)
    steps = []
    for part in SPLIT.split(text):
        if not part.strip(" .。"):
            continue
        try:
            steps.append(read_step(part))
        except Unreadable as exc:
            raise Unreadable(exc.key, part=part.strip()) from None
    if not steps:
        raise Unreadable("plan_no_cadence", part=text)
    return tuple(steps)


def read_offset(value: object) -> int:
    """Days after the plan's start for a step done once: 一周后, 1个月, 一个季度, 7, 30天."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 1:
        return int(value)
    text = unicodedata.normalize("NFKC", cell_text(value)).strip()
    text = re.sub(r"(?:以?后|之后|後|之後|\s+later|\s+after)$", "", text).strip()
    if re.fullmatch(r"\d+", text) and int(text) >= 1:
        return int(text)
    text = re.sub(r"^(?:one|a|an)\s+", "1 ", text.casefold()) if text.isascii() else text
    match = re.fullmatch(rf"(?P<n>{_NUM})?\s*{_UNIT}", text) or re.fullmatch(
        r"(?P<n>\d+)?\s*(?P<unit>day|week|month|quarter|year)s?", text.casefold()
    )
    if match is None:
        raise Unreadable("plan_no_offset", part=cell_text(value))
    n = number(match.group("n")) if match.group("n") else (1.0, 1.0)
    if n is None:
        raise Unreadable("plan_no_offset", part=cell_text(value))
    return max(1, int(_span_days(n, None, match.group("unit"))))


def method_kinds(text: object) -> frozenset[str]:
    """The contact methods a 跟进方式 (or a step's words) names: 电话 -> phone, 面谈/上门 ->
    visit, 邮件/资料 -> mail, 微信 -> wechat, 推送/触达 -> push."""
    words = simplified(cell_text(text)).casefold()
    return frozenset(
        t.key for t in METHOD_KINDS if any(simplified(s).casefold() in words for s in t.spellings())
    )


def finish(steps: tuple[Step, ...], method: str, action: str, locale: str) -> tuple[Step, ...]:
    """The steps as a rules row schedules them. A step with no words of its own ("每日1次" in
    跟进频率) takes the row's 核心动作. Its method: what its words name (发送资料: mail), or for
    the plan's one step, the row's 跟进方式 or its 核心动作's; shown as the row's 跟进方式 when
    that names the same, else the method's own word. A step naming none (满意度调研) is
    completed by any contact that matches no other step."""
    done = []
    for step in steps:
        own = step.action or action
        kinds = step.kinds
        if not kinds and len(steps) == 1:
            kinds = method_kinds(method) or method_kinds(own)
        if method and (method_kinds(method) & kinds or (len(steps) == 1 and not step.kinds)):
            shown = method
        elif kinds:
            shown = next(t for t in METHOD_KINDS if t.key in kinds).text(locale)
        else:
            shown = ""
        done.append(Step(step.every, shown, own, step.phrase, kinds, step.once))
    return tuple(done)


# --- scheduling -------------------------------------------------------------------------
# Days are whole numbers (days since 1970-01-01) inside the replay: a Timestamp's arithmetic
# costs ~100 times an int's, and the replay runs once per customer, 100 k of them.
EPOCH = np.datetime64("1970-01-01", "D")


@dataclass
class Scheduled:
    """One customer's plan as of today: when it is next due (a day number; not yet on a
    working day), the step due then, and when each step was last done (Step.key -> a day
    number, None if never)."""

    due: int | None
    step: Step | None
    done: dict[str, int | None]


# A step as the replay reads it: (index, every, kinds, key); a plan: its once-steps and its
# recurring ones; a step owed: (due day, index, kinds, key); a contact: (day, its kinds).
_StepRow = tuple[int, int, frozenset[str], str]
_Plan = tuple[tuple[_StepRow, ...], tuple[_StepRow, ...]]
_Owed = tuple[int, int, frozenset[str], str]
_Contact = tuple[int, frozenset[str]]


@lru_cache(maxsize=1024)
def _compiled(steps: tuple[Step, ...]) -> _Plan:
    """A plan as plain tuples (index, every, kinds, key), once-steps and recurring apart:
    read 100 k times a run, attribute by attribute, a dataclass costs more than the work."""
    rows = [(i, s.every, s.kinds, s.key) for i, s in enumerate(steps)]
    once = tuple(r for r, s in zip(rows, steps, strict=True) if s.once)
    return once, tuple(r for r, s in zip(rows, steps, strict=True) if not s.once)


def _next(plan: _Plan, done: dict[str, int], base: int, today: int) -> list[_Owed]:
    """The steps owed, each as (due day, index, kinds, key): the once-steps not done (only
    the latest of those already due: a revisit passed by the next is not owed), or, all of
    them done, the recurring steps, counted from the last once-step."""
    once, recurring = plan
    owed = [(base + every, i, kinds, key) for i, every, kinds, key in once if key not in done]
    if owed:
        passed = [d for d in owed if d[0] <= today]
        return owed if len(passed) <= 1 else [passed[-1], *[d for d in owed if d[0] > today]]
    start = max((done[key] for *_, key in once), default=base)
    return [(done.get(key, start) + every, i, kinds, key) for i, every, kinds, key in recurring]


def schedule(
    steps: tuple[Step, ...], contacts: Sequence[_Contact], start: int | None, today: int
) -> Scheduled:
    """Replay `contacts` ((day, kinds), oldest first) after `start` (the plan's start, or
    None: from the first contact) over `steps`."""
    if start is not None:
        contacts = [c for c in contacts if c[0] > start]
        base = start
    elif contacts:
        base = contacts[0][0]
    else:
        return Scheduled(None, steps[0] if steps else None, dict.fromkeys(s.key for s in steps))
    plan = _compiled(steps)
    done: dict[str, int] = {}
    if len(steps) == 1 and not plan[0]:  # one step: every contact completes it
        if contacts:
            done[plan[1][0][3]] = contacts[-1][0]
    else:
        for day, kinds in contacts:
            owed = _next(plan, done, base, day)
            matching = [o for o in owed if o[2] & kinds] if kinds else owed
            done[min(matching or owed)[3]] = day  # the earliest due, then the first listed
    due, index, _, _ = min(_next(plan, done, base, today))
    if contacts:  # a step still owed after a contact is due from the next day, not overdue
        due = max(due, contacts[-1][0] + 1)
    return Scheduled(due, steps[index], {s.key: done.get(s.key) for s in steps})


def _days(values: Iterable[object]) -> np.ndarray:
    """Dates as day numbers (float, NaN for none)."""
    days = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]")
    out = (days - EPOCH).astype("timedelta64[D]").astype(float)
    out[np.isnat(days)] = np.nan
    return out


def as_dates(days: Iterable[float | None]) -> pd.Series:
    """Day numbers (None or NaN for none) back to dates."""
    numbers = pd.Series(days, dtype=float)
    return pd.to_datetime(numbers, unit="D")


def schedule_steps(
    plans: pd.Series, contacts: pd.DataFrame, starts: pd.Series, ids: pd.Series, today: dt.date
) -> pd.DataFrame:
    """Per row: `planned` (the due date, before workdays), `step` (the Step due) and `done`
    (step key -> the day number it was last done, None if never: `as_dates`). `plans`: each
    row's steps; `contacts`: customer_id, date, method (the contacts of 跟进历史, this run's
    included); `starts`: each row's plan start (NaT: none)."""
    now = int(_days([pd.Timestamp(today)])[0])
    seen: dict[str, list[_Contact]] = {}
    dated = contacts[contacts["date"].notna()].sort_values("date", kind="stable")
    kinds_of: dict[str, frozenset[str]] = {}
    days = _days(dated["date"]).astype(int).tolist()
    methods = dated["method"].tolist()
    for cid, day, method in zip(dated["customer_id"].tolist(), days, methods, strict=True):
        kinds = kinds_of.get(method)
        if kinds is None:
            kinds = kinds_of[method] = method_kinds(method)
        seen.setdefault(cid, []).append((day, kinds))
    begin = [None if np.isnan(d) else int(d) for d in _days(starts)]
    out = [
        schedule(steps, seen.get(cid, []), start, now)
        for steps, cid, start in zip(plans.tolist(), ids.tolist(), begin, strict=True)
    ]
    return pd.DataFrame(
        {
            "planned": as_dates([s.due for s in out]).set_axis(plans.index),
            "step": pd.Series([s.step for s in out], index=plans.index, dtype=object),
            "done": pd.Series([s.done for s in out], index=plans.index, dtype=object),
        }
    )
