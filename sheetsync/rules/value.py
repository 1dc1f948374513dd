"""Existing customers by value (客户关系分类及维护清单): a score from amount, margin and renewal
rate, a value class from the score, potential, and a relationship from how long and how widely
they have bought; plus the follow-up plan for won customers and the health and stage limits.

The rules come from the 价值分级 tab every run (defaults from config/value_rules.yaml when the
tab is missing), so a manager's edit changes the next sync. A mistake in that tab stops the
run with the cell named, as one in the grading tab does.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import cast

import pandas as pd

from sheetsync.errors import ConfigError
from sheetsync.rules.plans import Step, finish, read_offset, read_plan
from sheetsync.workbook.messages import in_script, lang, say
from sheetsync.workbook.parsing import (
    Unreadable,
    cell_text,
    is_blank,
    map_unique,
    parse_amount,
    parse_percent,
)
from sheetsync.workbook.schema import EVENT_WORD_KINDS, FOLLOWUPS, VALUE_BLOCKS, VALUE_METRICS
from sheetsync.workbook.tables import ROW, Sheet, load_blocks
from sheetsync.workbook.terms import (
    HEALTH_SETTINGS,
    INTENT_LEVELS,
    RETIRED_HEALTH_SETTINGS,
    STAGES,
    Tab,
    Term,
    normalise_header,
    term_lookup,
)

PERCENT_METRICS = ("margin", "renewal_rate")
OPTIONAL_HEALTH = "overdue_workdays"  # blank: each grade's 逾期升级 days


@dataclass(frozen=True)
class Metric:
    key: str  # a follow-up column: annual_amount, margin or renewal_rate
    points: float
    full_at: float | None
    half_at: float | None


@dataclass(frozen=True)
class Relationship:
    name: str
    min_months: float | None
    min_lines: float | None


@dataclass(frozen=True)
class Upkeep:
    """How a won customer of one value class is looked after."""

    value_class: str
    interval: int
    method: str
    action: str
    steps: tuple[Step, ...] = ()  # the plan (跟进计划); one step of `interval` without one


@dataclass(frozen=True)
class ValueRules:
    metrics: tuple[Metric, ...]
    bands: tuple[tuple[str, float], ...]  # (class, score at least), top down
    relationships: tuple[Relationship, ...]
    upkeep: dict[str, Upkeep]
    health: dict[str, float]
    stage_limits: dict[str, int]  # stage key -> days
    event_words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # alert/hold -> words
    success_rates: dict[str, float] = field(default_factory=dict)  # stage key -> 0..1
    nurture: Upkeep | None = None  # 培育池's light touch
    revisits: tuple[Step, ...] = ()  # after 成交, each once, before the maintenance plan


class _Reader:
    """Reads one block's cells, naming the cell in any error."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet

    def records(self) -> list[pd.Series]:
        frame = self.sheet.frame
        first = self.sheet.tab.required[0]
        return [r for _, r in frame.iterrows() if not is_blank(r[first])]

    def fail(self, record: pd.Series, key: str, expected: str) -> ConfigError:
        where = f'tab "{self.sheet.title}" row {record[ROW]}, {self.sheet.label(key)}'
        return ConfigError(f'{where}: "{cell_text(record[key])}" is not {expected}')

    def number(self, record: pd.Series, key: str, percent: bool = False) -> float | None:
        try:
            value = (parse_percent if percent else parse_amount)(record[key])
        except ValueError:
            value = -1
        if value is not None and value < 0:
            raise self.fail(record, key, "a percentage" if percent else "a number of at least 0")
        return value

    def plan(self, record: pd.Series, interval: int) -> tuple[Step, ...]:
        """跟进计划 read into steps (one step of `interval` when empty), each completed with
        the row's 跟进方式 and 核心动作; an unreadable part is named."""
        method, action = cell_text(record["method"]), cell_text(record["action"])
        written = record.get("plan", None)
        steps: tuple[Step, ...] = (Step(interval, "", ""),)
        if not is_blank(written):
            try:
                steps = read_plan(written)
            except Unreadable as exc:
                reason = say(exc.key, self.sheet.locale)
                part = exc.fields.get("part", cell_text(written))
                where = f'tab "{self.sheet.title}" row {record[ROW]}, {self.sheet.label("plan")}'
                raise ConfigError(f'{where}: "{part}" {reason}') from None
        return finish(steps, method, action, self.sheet.locale)

    def term(self, record: pd.Series, key: str, terms: tuple[Term, ...], kind: str) -> Term:
        term = term_lookup(terms).get(normalise_header(record[key]))
        if term is None:
            allowed = "/".join(t.text(self.sheet.locale) for t in terms)
            raise self.fail(record, key, f"a {kind} ({allowed})")
        return term


def value_blocks(grid: list[list[object]] | None, title: str) -> dict[str, Sheet]:
    """The blocks the tab's grid holds, by key ({} without a grid, or an empty one)."""
    return load_blocks(grid, VALUE_BLOCKS, title) if grid else {}


def read_value_rules(found: dict[str, Sheet], defaults: dict[str, Sheet]) -> ValueRules:
    """The rules from the tab's blocks (`value_blocks`); a block missing from the tab takes
    its defaults (`defaults`: the shipped blocks, as `loading.value_defaults` reads them)."""
    blocks = {b.key: _Reader(found.get(b.key) or defaults[b.key]) for b in VALUE_BLOCKS}
    return ValueRules(
        _metrics(blocks["scoring"]),
        _bands(blocks["bands"]),
        _relationships(blocks["relationship"]),
        _upkeep(blocks["maintenance"]),
        _health(blocks["health"]),
        _stage_limits(blocks["stage_limits"]),
        _event_words(blocks["event_words"]),
        _success_rates(blocks["success_rates"]),
        _nurture(blocks["nurture"]),
        _revisits(blocks["revisits"]),
    )


def missing_blocks(found: dict[str, Sheet]) -> list[Tab]:
    """The blocks a 价值分级 tab lacks (one from before 阶段成功率 and 培育池策略 existed),
    of those it has (`value_blocks`): run on their defaults, which nobody could see or edit
    until they are in the tab."""
    return [b for b in VALUE_BLOCKS if b.key not in found]


def _metrics(reader: _Reader) -> tuple[Metric, ...]:
    columns = tuple(c for c in FOLLOWUPS.columns if c.key in VALUE_METRICS)
    metrics = []
    for record in reader.records():
        key = reader.term(record, "metric", columns, "value column").key
        percent = key in PERCENT_METRICS
        metrics.append(
            Metric(
                key,
                reader.number(record, "points") or 0.0,
                reader.number(record, "full_at", percent),
                reader.number(record, "half_at", percent),
            )
        )
    return tuple(metrics)


def _bands(reader: _Reader) -> tuple[tuple[str, float], ...]:
    bands = [
        (cell_text(r["value_class"]), reader.number(r, "min_score") or 0.0)
        for r in reader.records()
    ]
    if not bands:
        raise ConfigError(f'tab "{reader.sheet.title}": no score bands')
    return tuple(bands)


def _relationships(reader: _Reader) -> tuple[Relationship, ...]:
    return tuple(
        Relationship(
            cell_text(r["relationship"]),
            reader.number(r, "min_months"),
            reader.number(r, "min_lines"),
        )
        for r in reader.records()
    )


def _upkeep(reader: _Reader) -> dict[str, Upkeep]:
    plans = {}
    for record in reader.records():
        interval = reader.number(record, "interval")
        if not interval or interval < 1:
            raise reader.fail(record, "interval", "a number of days of at least 1")
        name = cell_text(record["value_class"])
        plans[normalise_header(name)] = Upkeep(
            name,
            int(interval),
            cell_text(record["method"]),
            cell_text(record["action"]),
            reader.plan(record, int(interval)),
        )
    return plans


def _revisits(reader: _Reader) -> tuple[Step, ...]:
    """成交回访: a revisit so long after the deal (一周后, 一个月后, 一个季度后), each once."""
    steps = []
    for record in reader.records():
        try:
            days = read_offset(record["when"])
        except ValueError:
            raise reader.fail(
                record, "when", "a time after the deal (1 week, 1 month, 90)"
            ) from None
        method, action = cell_text(record["method"]), cell_text(record["action"])
        (step,) = finish((Step(days, "", "", cell_text(record["when"])),), method, action, "")
        steps.append(Step(step.every, step.method, step.action, step.phrase, step.kinds, True))
    return tuple(sorted(steps, key=lambda s: s.every))


def _health(reader: _Reader) -> dict[str, float]:
    """The health settings. `overdue_workdays` may be blank or absent: each grade's 逾期升级
    days then (`rules/health.py`). The row of earlier versions that counted calendar days
    since the last contact (预警:未联系超过跟进间隔的倍数) is read and ignored, so a workbook
    made before keeps working; `retired_health_rows` names it for the sync log."""
    settings: dict[str, float] = {}
    retired = {t.key for t in RETIRED_HEALTH_SETTINGS}
    for record in reader.records():
        terms = (*HEALTH_SETTINGS, *RETIRED_HEALTH_SETTINGS)
        key = reader.term(record, "setting", terms, "health setting").key
        if key in retired:
            continue
        value = reader.number(record, "value", percent=key == "purchase_drop")
        if value is None and key != OPTIONAL_HEALTH:
            raise reader.fail(record, "value", "a number")
        if value is not None:
            settings[key] = value
    needed = [t for t in HEALTH_SETTINGS if t.key != OPTIONAL_HEALTH]
    missing = [t.text(reader.sheet.locale) for t in needed if t.key not in settings]
    if missing:
        raise ConfigError(
            f'tab "{reader.sheet.title}": health settings missing: {", ".join(missing)}'
        )
    return settings


def retired_health_rows(found: dict[str, Sheet]) -> list[str]:
    """The health settings of earlier versions the 价值分级 tab still has (ignored), as
    written there, of its blocks (`value_blocks`): the sync log says they no longer count
    and what replaced them."""
    sheet = found.get("health")
    if sheet is None:
        return []
    retired = term_lookup(RETIRED_HEALTH_SETTINGS)
    first = sheet.tab.required[0]
    return [cell_text(v) for v in sheet.frame[first] if normalise_header(v) in retired and v]


def _stage_limits(reader: _Reader) -> dict[str, int]:
    limits = {}
    for record in reader.records():
        stage = reader.term(record, "stage", STAGES, "stage").key
        days = reader.number(record, "days")
        if days is not None:
            limits[stage] = int(days)
    return limits


def _success_rates(reader: _Reader) -> dict[str, float]:
    """Stage -> the chance a deal there is won; a rate over 100% is a typo, not a hope."""
    rates = {}
    for record in reader.records():
        stage = reader.term(record, "stage", STAGES, "stage").key
        rate = reader.number(record, "rate", percent=True)
        if rate is not None and rate > 1:
            raise reader.fail(record, "rate", "a percentage of at most 100%")
        if rate is not None:
            rates[stage] = rate
    return rates


def _nurture(reader: _Reader) -> Upkeep | None:
    """The first row: a 培育池 customer's interval, method and action."""
    for record in reader.records():
        interval = reader.number(record, "interval")
        if not interval or interval < 1:
            raise reader.fail(record, "interval", "a number of days of at least 1")
        method, action = cell_text(record["method"]), cell_text(record["action"])
        steps = finish((Step(int(interval), "", ""),), method, action, reader.sheet.locale)
        return Upkeep("", int(interval), method, action, steps)
    return None


def _event_words(reader: _Reader) -> dict[str, tuple[str, ...]]:
    """Each kind's words, one cell of them separated by 、 or commas; rows add up."""
    words: dict[str, tuple[str, ...]] = {t.key: () for t in EVENT_WORD_KINDS}
    for record in reader.records():
        kind = reader.term(record, "meaning", EVENT_WORD_KINDS, "kind of word").key
        found = re.split(r"[、,，;；\n/]+", cell_text(record["words"]))
        words[kind] += tuple(w for w in map(normalise_header, found) if w)
    return words


# --- classification --------------------------------------------------------------------
def score(rows: pd.DataFrame, rules: ValueRules) -> pd.Series:
    """Points per metric summed; NaN where the row has no value data at all."""
    total = pd.Series(0.0, index=rows.index)
    any_data = pd.Series(False, index=rows.index)
    for metric in rules.metrics:
        value = rows[metric.key].astype(float)
        any_data |= value.notna()
        full = value >= metric.full_at if metric.full_at is not None else False
        half = value >= metric.half_at if metric.half_at is not None else False
        total += metric.points * full + (metric.points / 2) * (half & ~full)
    return total.where(any_data)


def value_class(scores: pd.Series, rules: ValueRules) -> pd.Series:
    result = pd.Series(None, index=scores.index, dtype=object)
    undecided = scores.notna()
    for i, (name, at_least) in enumerate(rules.bands):
        meets = undecided & ((scores >= at_least) | (i == len(rules.bands) - 1))
        result[meets] = name
        undecided &= ~meets
    return result


def months_between(start: pd.Series, today: dt.date) -> pd.Series:
    """Whole calendar months from each date to `today` (NaN where there is no date)."""
    months = (today.year - start.dt.year) * 12 + (today.month - start.dt.month)
    counted: pd.Series = months - (start.dt.day > today.day).astype(float)
    return counted


def relationship(rows: pd.DataFrame, rules: ValueRules, today: dt.date) -> pd.Series:
    """The first relationship whose minimums are met; the last one catches the rest."""
    months = months_between(rows["since"], today)
    lines = rows["product_lines"].astype(float)
    result = pd.Series(rules.relationships[-1].name, index=rows.index, dtype=object)
    undecided = pd.Series(True, index=rows.index)
    for rule in rules.relationships[:-1]:
        meets = undecided.copy()
        if rule.min_months is not None:
            meets &= months >= rule.min_months
        if rule.min_lines is not None:
            meets &= lines >= rule.min_lines
        result[meets] = rule.name
        undecided &= ~meets
    return result


_FORMS = {
    "potential": {"zh": "{}潜力", "en": "{} potential"},
    "class": {"zh": "{}类", "en": "{}"},
    "score": {"zh": "({:g}分)", "en": " ({:g} pts)"},
}


def classify(rows: pd.DataFrame, rules: ValueRules, today: dt.date, locale: str) -> pd.DataFrame:
    """value_class, score and the 客户分类 text (`A类+高潜力+战略伙伴(85分)`); rows without
    amount, margin or renewal data get none of them."""
    points = score(rows, rules)
    classes = value_class(points, rules)
    words = {t.key: t.text(locale) for t in INTENT_LEVELS}
    forms = {k: in_script(v[lang(locale)], locale) for k, v in _FORMS.items()}
    potential = map_unique(
        rows["potential"], lambda k: forms["potential"].format(words[k]) if k in words else ""
    )
    parts = pd.DataFrame(
        {
            "class": map_unique(
                classes, lambda c: forms["class"].format(c) if isinstance(c, str) and c else ""
            ),
            "potential": potential,
            "relationship": relationship(rows, rules, today),
        }
    )
    joined = ["+".join(p for p in row if p) for row in parts.itertuples(index=False, name=None)]
    text = pd.Series(joined, index=parts.index, dtype=object) if len(parts) else classes
    text = text + map_unique(
        points, lambda p: "" if pd.isna(cast("float | None", p)) else forms["score"].format(p)
    )
    return pd.DataFrame(
        {
            "value_class": classes,
            "score": points,
            "classification": text.where(classes.notna(), None).astype(object),
        }
    )


_CLASS_WORD = re.compile(r"(?:类|级|客户|class)$")


def typed_class(labels: pd.Series, rules: ValueRules) -> tuple[pd.Series, pd.Series]:
    """The class a typed label names ("A类+高潜力+战略伙伴", "B類", "A"): its first part, with
    类 / 级 dropped, when that is a class of the score bands; and which labels named none
    ("战略客户": not guessed)."""
    names = {normalise_header(name): name for name, _ in rules.bands}

    def read(label: object) -> str | None:
        first = re.split(r"[+＋/、,，;；(（\s]", cell_text(label).strip(), maxsplit=1)[0]
        word = normalise_header(first)
        return names.get(word) or names.get(_CLASS_WORD.sub("", word))

    classes = map_unique(labels, lambda v: None if is_blank(v) else read(v))
    unread = ~map_unique(labels, is_blank).astype(bool) & classes.isna()
    return classes.astype(object), unread


def with_typed_class(
    value: pd.DataFrame, labels: pd.Series, rules: ValueRules, locale: str
) -> tuple[pd.DataFrame, pd.Series]:
    """The class each customer is kept by: a typed one (指定分类, the checklist's 客户分类)
    while it is there, else the computed one; and the 校验提示 lines: a typed class the
    computed one disagrees with, a label naming no class."""
    typed, unread = typed_class(labels, rules)
    computed = value["value_class"]
    differs = typed.notna() & computed.notna() & (typed != computed)
    lines = pd.Series("", index=value.index, dtype=object)
    lines = _put(
        lines,
        differs,
        [
            say("class_disagrees", locale, typed=t, computed=c)
            for t, c in zip(typed[differs], computed[differs], strict=True)
        ],
    )
    allowed = "/".join(name for name, _ in rules.bands)
    lines = _put(
        lines,
        unread,
        [
            say("class_label_unreadable", locale, value=cell_text(v), allowed=allowed)
            for v in labels[unread]
        ],
    )
    value = value.assign(value_class=typed.where(typed.notna(), computed))
    return value, lines


def upkeep_for(
    classes: pd.Series,
    stage_keys: pd.Series,
    rules: ValueRules,
    existing: pd.Series | None = None,
) -> pd.Series:
    """The maintenance plan of each won customer (赢单 ends the sales cycle) and of each
    existing one (`existing`: 合作状态 合作中 / 已合作 / 成交), the light touch of each 培育池
    customer, else None (the grade's plan).

    A won customer without a value class (no 年合作金额, 利润率 or 续约率 yet: often the case
    the day the deal is signed) still leaves the sales cadence: it gets the lightest touch,
    the lowest class's plan (`lightest_upkeep`). Nothing says it is worth more, and a sales
    interval and action (邀请演示) are wrong for a customer who has already bought; once its
    figures are typed in, its own class's plan takes over."""
    won = stage_keys == "won"
    if existing is not None:
        won |= existing.fillna(False).astype(bool) & (stage_keys != "lost")
    plans = map_unique(classes, lambda c: rules.upkeep.get(normalise_header(c)) if c else None)
    lightest = lightest_upkeep(rules)
    if lightest is not None:
        plans[won & plans.isna()] = lightest
    plans = plans.where(won, None)
    if rules.nurture is not None:
        plans[stage_keys == "nurture"] = rules.nurture
    return plans


def lightest_upkeep(rules: ValueRules) -> Upkeep | None:
    """The 成交维护策略 plan of the lowest value class: the lowest of the score bands that
    has a plan, else the block's last row; None when the block has no row."""
    for name, _ in reversed(rules.bands):
        plan = rules.upkeep.get(normalise_header(name))
        if plan is not None:
            return plan
    return next(reversed(rules.upkeep.values()), None)


def _put(lines: pd.Series, where: pd.Series, texts: list[str]) -> pd.Series:
    """`lines` with `texts` in the rows `where` marks, in their order."""
    placed = pd.Series(texts, index=where.index[where.to_numpy(dtype=bool)], dtype=object)
    return lines.where(~where, placed.reindex(lines.index))
