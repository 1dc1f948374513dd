"""Grade rules come from the 分级标准 tab every run, so a manager's edit changes the next sync.

A mistake in that tab is a configuration error naming the cell: grading every customer
with half-read rules would quietly reschedule the whole team.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sheetsync.errors import ConfigError
from sheetsync.parsing import cell_text, is_blank, parse_cycle
from sheetsync.schema import BUDGET_LEVELS, INTENT_LEVELS, Term, normalise_header, term_lookup
from sheetsync.tables import ROW, Sheet


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


class _RuleReader:
    """Reads one grading row, naming the cell in any error."""

    def __init__(self, sheet: Sheet, record: pd.Series) -> None:
        self.sheet, self.record = sheet, record

    def fail(self, key: str, expected: str) -> ConfigError:
        value = self.record[key]
        where = f'tab "{self.sheet.title}" row {self.record[ROW]}, {self.sheet.label(key)}'
        return ConfigError(f'{where}: "{cell_text(value)}" is not {expected}')

    def level(self, key: str, terms: tuple[Term, ...]) -> int | None:
        value = self.record[key]
        if is_blank(value):
            return None
        term = term_lookup(terms).get(normalise_header(value))
        if term is None:
            allowed = "/".join(t.text(self.sheet.locale) for t in reversed(terms))
            raise self.fail(key, f"one of {allowed} (or empty)")
        return terms.index(term)

    def days(self, key: str, default: int | None = None) -> float | None:
        value = self.record[key]
        if is_blank(value):
            return default
        try:
            days = parse_cycle(value)
        except ValueError:
            days = None
        if days is None or days < 0:
            raise self.fail(key, "a number of days")
        return days

    def rule(self) -> GradeRule:
        interval = self.days("interval")
        if not interval:
            raise self.fail("interval", "a number of days of at least 1")
        return GradeRule(
            grade=cell_text(self.record["grade"]),
            min_budget=self.level("min_budget", BUDGET_LEVELS),
            min_intent=self.level("min_intent", INTENT_LEVELS),
            max_cycle=self.days("max_cycle"),
            interval=int(interval),
            method=cell_text(self.record["method"]),
            action=cell_text(self.record["action"]),
            escalate_after=int(self.days("escalate_after", int(interval))),
        )


def read_rules(sheet: Sheet) -> list[GradeRule]:
    """The grade rules, top down; the last row is the catch-all whatever its criteria."""
    rows = sheet.frame[~sheet.frame["grade"].map(is_blank)]
    rules = [_RuleReader(sheet, record).rule() for _, record in rows.iterrows()]
    if not rules:
        raise ConfigError(f'tab "{sheet.title}" has no grade rows; run `init` for the defaults')
    seen: set[str] = set()
    for rule in rules:
        if normalise_header(rule.grade) in seen:
            raise ConfigError(f'tab "{sheet.title}": grade "{rule.grade}" is listed twice')
        seen.add(normalise_header(rule.grade))
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
