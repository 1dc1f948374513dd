"""Grade rules come from the 分级标准 tab every run, so a manager's edit changes the next sync.

A mistake in that tab is a configuration error naming the cell: grading every customer
with half-read rules would quietly reschedule the whole team.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sheetsync.errors import ConfigError
from sheetsync.rules.plans import Step, finish, read_plan
from sheetsync.workbook.messages import listed, say
from sheetsync.workbook.parsing import Unreadable, cell_text, is_blank, parse_cycle, parse_frequency
from sheetsync.workbook.schema import (
    BUDGET_LEVELS,
    INTENT_LEVELS,
    Term,
    normalise_header,
    term_lookup,
)
from sheetsync.workbook.tables import ROW, Sheet

MAX_DAYS = 3650  # an interval of 1e9 days is a typo, not a schedule
CRITERIA_SPLIT = re.compile(r"[,，;；、/]|且|并且|和|及")
# The playbook's intent words: 意向强烈 is high, 意向模糊 the lowest (no minimum).
INTENT_WORDS = {
    "高意向": 2,
    "意向强烈": 2,
    "意向明确": 2,
    "意向高": 2,
    "中意向": 1,
    "意向一般": 1,
    "意向中等": 1,
    "低意向": 0,
    "意向模糊": 0,
    "意向低": 0,
    "意向不明": 0,
}
_GRADE_RE = re.compile(r"([A-Za-z][A-Za-z0-9+]?)\s*[类類級级]")


def short_grade(text: str) -> str:
    """ "A类(高意向)" is grade A, as 客户等级 and 指定等级 write it; other names stay whole."""
    match = _GRADE_RE.match(text)
    return match.group(1).upper() if match else text


@dataclass(frozen=True)
class GradeRule:
    grade: str
    min_budget: int | None
    min_intent: int | None
    max_cycle: float | None
    interval: int
    method: str
    action: str
    escalate_after: int
    steps: tuple[Step, ...] = ()  # the plan (跟进计划); one step of `interval` without one


def plan_cell(fail: Callable[[str, str], ConfigError], value: object) -> tuple[Step, ...]:
    """A 跟进计划 cell read into steps; an unreadable part stops the run, named (`fail`:
    makes the error naming the cell, given the part and why)."""
    try:
        return read_plan(value)
    except Unreadable as exc:
        raise fail(str(exc.fields.get("part", cell_text(value))), exc.key) from None


class _RuleReader:
    """Reads one grading row, naming the cell in any error."""

    def __init__(self, sheet: Sheet, record: pd.Series, last: bool = False) -> None:
        self.sheet, self.record, self.last = sheet, record, last

    def fail(self, key: str, expected: str, value: object = None) -> ConfigError:
        value = self.record[key] if value is None else value
        return ConfigError(
            say(
                "rule_cell",
                self.sheet.locale,
                tab=self.sheet.title,
                row=self.record[ROW],
                header=self.sheet.label(key),
                value=cell_text(value),
                expected=expected,
            )
        )

    def level(self, key: str, terms: tuple[Term, ...]) -> int | None:
        value = self.record[key]
        if is_blank(value):
            return None
        term = term_lookup(terms).get(normalise_header(value))
        if term is None:
            allowed = "/".join(t.text(self.sheet.locale) for t in reversed(terms))
            raise self.fail(key, say("one_of_or_empty", self.sheet.locale, allowed=allowed))
        return terms.index(term)

    def days(
        self,
        key: str,
        default: int | None = None,
        parser: Callable[[object], float | None] = parse_cycle,
        least: int = 0,
    ) -> float | None:
        value = self.record[key]
        if is_blank(value):
            return default
        try:
            days = parser(value)
        except ValueError:
            days = None
        if days is None or not least <= days <= MAX_DAYS:
            raise self.fail(
                key, say("days_expected", self.sheet.locale, least=least, most=MAX_DAYS)
            )
        return days

    def criteria(self) -> dict[str, float | None]:
        """The three criteria from their columns, or from the playbook's one 核心标准 phrase
        ("预算明确,决策周期≤1个月"); a phrase it cannot read is named, never guessed."""
        found: dict[str, float | None] = {  # the levels are ints
            "min_budget": self.level("min_budget", BUDGET_LEVELS),
            "min_intent": self.level("min_intent", INTENT_LEVELS),
            "max_cycle": self.days("max_cycle"),
        }
        text = cell_text(self.record["criteria"])
        for part in (p for p in CRITERIA_SPLIT.split(text) if p.strip()):
            key, value = self._criterion(part.strip())
            found[key] = found[key] if found[key] is not None else value
        return found

    def _criterion(self, part: str) -> tuple[str, float | None]:
        words = normalise_header(part)
        for key, terms, prefix in (
            ("min_budget", BUDGET_LEVELS, "预算"),
            ("min_intent", INTENT_LEVELS, "意向"),
        ):
            level = INTENT_WORDS.get(words) if key == "min_intent" else None
            if level is None and words.startswith(prefix):
                term = term_lookup(terms).get(
                    words.removeprefix(prefix).removeprefix("情况").removeprefix("度")
                )
                level = terms.index(term) if term else INTENT_WORDS.get(words)
            if level is not None:
                return key, level or None  # "意向模糊": the lowest level, no minimum
        if words.startswith("决策周期"):
            cycle = part.split("期", 1)[1].strip()
            if not cycle.startswith((">", "＞", "超过", "大于")):
                try:
                    return "max_cycle", parse_cycle(cycle)
                except Unreadable:
                    pass
            elif self.last:
                return "max_cycle", None  # the catch-all row: "more than" is everyone else
        raise self.fail("criteria", say("criteria_expected", self.sheet.locale), part)

    def plan_fail(self, key: str) -> Callable[[str, str], ConfigError]:
        def fail(part: str, why: str) -> ConfigError:
            reason = say(why, self.sheet.locale)
            return self.fail(key, say("plan_expected", self.sheet.locale, part=part, reason=reason))

        return fail

    def steps(self) -> tuple[int, tuple[Step, ...]]:
        """The interval and the plan: 跟进计划 when filled; else 跟进间隔/跟进频率, a number of
        days or a frequency (每2-3天1次), or the playbook's sentence pasted there."""
        locale, method = self.sheet.locale, cell_text(self.record["method"])
        action = cell_text(self.record["action"])
        written, typed = self.record["plan"], self.record["interval"]
        plan = plan_cell(self.plan_fail("plan"), written) if not is_blank(written) else None
        try:
            interval = self.days("interval", parser=parse_frequency, least=1)
        except ConfigError:
            if plan is not None:
                raise
            plan = plan_cell(self.plan_fail("interval"), typed)  # the sentence, pasted here
            interval = min(s.every for s in plan)
        if interval is None:
            if plan is None:
                raise self.fail("interval", say("days_expected", locale, least=1, most=MAX_DAYS))
            interval = min(s.every for s in plan)
        plan = plan or (Step(int(interval), "", ""),)
        return int(interval), finish(plan, method, action, locale)

    def rule(self) -> GradeRule:
        interval, steps = self.steps()
        criteria = self.criteria()
        escalate_after = self.days("escalate_after", int(interval))
        assert escalate_after is not None  # an empty cell is the interval
        return GradeRule(
            grade=short_grade(cell_text(self.record["grade"])),
            min_budget=_level(criteria["min_budget"]),
            min_intent=_level(criteria["min_intent"]),
            max_cycle=criteria["max_cycle"],
            interval=int(interval),
            method=cell_text(self.record["method"]),
            action=cell_text(self.record["action"]),
            escalate_after=int(escalate_after),
            steps=steps,
        )


def _level(value: float | None) -> int | None:
    """A criterion's level (an index into its terms) as GradeRule holds it."""
    return None if value is None else int(value)


def read_rules(sheet: Sheet) -> list[GradeRule]:
    """The grade rules, top down; the last row is the catch-all whatever its criteria."""
    rows = sheet.frame[~sheet.frame["grade"].map(is_blank)]
    last = len(rows) - 1
    rules = [
        _RuleReader(sheet, record, i == last).rule()
        for i, (_, record) in enumerate(rows.iterrows())
    ]
    if not rules:
        raise ConfigError(say("no_grade_rows", sheet.locale, tab=sheet.title))
    seen: dict[str, int] = {}
    for rule, row in zip(rules, rows[ROW], strict=True):
        first = seen.setdefault(normalise_header(rule.grade), row)
        if first != row:
            raise ConfigError(
                say(
                    "grade_twice",
                    sheet.locale,
                    tab=sheet.title,
                    rows=listed([str(first), str(row)], sheet.locale),
                    header=sheet.label("grade"),
                    grade=rule.grade,
                )
            )
    return rules


def grade(rows: pd.DataFrame, rules: list[GradeRule]) -> pd.Series:
    """The first grade whose every filled criterion the row meets; 指定等级 wins over it."""
    result = pd.Series(rules[-1].grade, index=rows.index, dtype=object)
    undecided = pd.Series(True, index=rows.index)
    for rule in rules[:-1]:
        meets = undecided.copy()
        if rule.min_budget is not None:
            meets &= rows["budget_level"] >= rule.min_budget
        if rule.min_intent is not None:
            meets &= rows["intent_level"] >= rule.min_intent
        if rule.max_cycle is not None:
            meets &= rows["cycle_days"] <= rule.max_cycle
        result[meets] = rule.grade
        undecided &= ~meets
    override = rows["override"].notna()
    result[override] = rows.loc[override, "override"]
    return result
