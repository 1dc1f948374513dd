"""Owner fit: a customer whose grade or class asks for more than its owner's 职级.

The playbook's grading table says who should hold each grade (负责人要求: A级 资深销售/客户经理,
B级 销售, C级 销售助理); 价值分级's 成交维护策略 may say the same per class. The 团队 tab's
optional 职级 column says what each person is. Levels are compared on one ladder,
`terms.OWNER_LEVELS` (销售助理 < 初级销售 < 中级销售 < 资深销售/客户经理 < 销售经理), any
script or language. A requirement naming several titles ("资深销售/客户经理") is met by any of
them or higher; "资深销售及以上" is read as 资深销售.

This is the manager's list in the summary, never a row error: the customer still has an owner
who follows it up. A title the ladder does not know (in 团队 or in a requirement) is named in
the sync log and not checked, never guessed; nor is an owner with no 职级, or not in 团队.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from sheetsync.rules.grading import short_grade
from sheetsync.workbook.messages import listed, say
from sheetsync.workbook.parsing import cell_text, is_blank, map_unique
from sheetsync.workbook.schema import (
    OWNER_LEVELS,
    normalise_header,
    summary_words,
    term_lookup,
)
from sheetsync.workbook.tables import Section, Sheet

SPLIT = re.compile(r"[/／、,，;；|]|或者|或|\bor\b", re.I)
OR_ABOVE = re.compile(r"(及|或)?以上|\b(or|and)\s+(above|higher)\b", re.I)
AT_LEAST = ("及以上", "或以上", "以上", "orabove", "andabove", "orhigher", "andhigher")


def level_of(text: object) -> int | None:
    """The rung of one title on the ladder (0 lowest); None when it is not on it."""
    words = normalise_header(text)
    for suffix in AT_LEAST:
        words = words.removesuffix(suffix)
    term = term_lookup(OWNER_LEVELS).get(words)
    return OWNER_LEVELS.index(term) if term else None


def requirement(text: object) -> tuple[int | None, list[str]]:
    """The lowest rung a requirement cell accepts, and the titles in it not on the ladder."""
    parts = [p.strip() for p in SPLIT.split(OR_ABOVE.sub("", cell_text(text))) if p.strip()]
    found = [(p, level_of(p)) for p in parts]
    known = [lvl for _, lvl in found if lvl is not None]
    return (min(known) if known else None), [p for p, lvl in found if lvl is None]


def _requirements(
    frame: pd.DataFrame | None, key: str, name: Callable[[object], str] = cell_text
) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """name (normalised) -> (rung, the cell as written), and the unknown titles."""
    asks: dict[str, tuple[int, str]] = {}
    unknown: list[str] = []
    if frame is None or "owner_requirement" not in frame:
        return asks, unknown
    for who, text in zip(frame[key], frame["owner_requirement"], strict=True):
        if is_blank(who) or is_blank(text):
            continue
        rung, strange = requirement(text)
        unknown += strange
        if rung is not None:
            asks[normalise_header(name(who))] = (rung, cell_text(text))
    return asks, unknown


def _class_frame(found: dict[str, Sheet]) -> pd.DataFrame | None:
    block = found.get("maintenance")
    return block.frame if block is not None else None


def _levels(team: Sheet | None) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """Each owner (normalised) with a known 职级 -> (rung, the title as typed); unknown ones."""
    levels: dict[str, tuple[int, str]] = {}
    unknown: list[str] = []
    if team is None or "level" not in team.frame:
        return levels, unknown
    for owner, title in zip(team.frame["owner"], team.frame["level"], strict=True):
        if is_blank(owner) or is_blank(title):
            continue
        rung = level_of(title)
        if rung is None:
            unknown.append(cell_text(title))
        else:
            levels[normalise_header(owner)] = (rung, cell_text(title))
    return levels, unknown


def owner_fit(
    board: pd.DataFrame,
    team: Sheet | None,
    grading: Sheet,
    value_blocks: dict[str, Sheet],
    value_title: str,
    locale: str,
) -> tuple[Section, list[str]]:
    """The summary's section (empty when every customer fits) and the sync-log notes naming
    titles the ladder does not know. `board`: customer_id, customer, owner, grade,
    value_class and lost (a lost deal needs nobody)."""
    levels, strange_levels = _levels(team)
    by_grade, strange_grades = _requirements(grading.frame, "grade", _grade_name)
    by_class, strange_classes = _requirements(_class_frame(value_blocks), "value_class")
    # Whole columns, each distinct value looked up once: a loop per customer cost ~0.5 s at
    # 100 k customers.
    held = _rungs(board["owner"], levels)
    by_grade_ask = _rungs(board["grade"], by_grade)
    by_class_ask = _rungs(board["value_class"], by_class)
    asked = pd.concat([by_grade_ask["rung"], by_class_ask["rung"]], axis=1).max(axis=1)
    misfit = (held["rung"] < asked) & ~board["lost"].astype(bool)  # NaN: nothing to check
    from_grade = by_grade_ask["rung"] >= by_class_ask["rung"].fillna(-1)
    binding = by_grade_ask["text"].where(from_grade, by_class_ask["text"])
    rows = [
        [cell_text(r.owner), level, r.customer_id, r.customer, r.grade, r.value_class, text]
        for r, level, text in zip(
            board[misfit].itertuples(index=False),
            held.loc[misfit, "text"],
            binding[misfit],
            strict=True,
        )
    ]
    notes = _notes(
        strange_levels, team, strange_grades, grading, strange_classes, value_title, locale
    )
    if not rows:
        return [], notes
    order = {normalise_header(o): i for i, o in enumerate(levels)}
    rows.sort(key=lambda row: (order.get(normalise_header(row[0]), len(order)), str(row[2])))
    words = summary_words(locale)
    keys = ["owner", "level", "customer_id", "customer", "grade", "value_class", "asks_for"]
    return [[words["owner_fit"]], [words[k] for k in keys], *rows], notes


def _rungs(values: pd.Series, known: dict[str, tuple[int, str]]) -> pd.DataFrame:
    """Each value's (rung, text) from `known` (by normalised name); NaN / None where none."""
    found = map_unique(values, lambda v: known.get(normalise_header(cell_text(v))))
    return pd.DataFrame(
        {
            "rung": found.map(lambda f: f[0] if f else None).astype(float),
            "text": found.map(lambda f: f[1] if f else None),
        },
        index=values.index,
    )


def _grade_name(value: object) -> str:
    return short_grade(cell_text(value))


def _notes(
    levels: list[str],
    team: Sheet | None,
    grades: list[str],
    grading: Sheet,
    classes: list[str],
    value_title: str,
    locale: str,
) -> list[str]:
    """The sync-log notes: the 职级 (`levels`, of `team`) and the required titles (`grades`,
    `classes`) the ladder does not know."""
    ladder = listed((t.text(locale) for t in OWNER_LEVELS), locale)
    notes = []
    if levels and team is not None:  # unknown levels are read from the team tab
        titles = listed(dict.fromkeys(levels), locale)
        notes.append(
            say("owner_level_unknown", locale, tab=team.title, titles=titles, ladder=ladder)
        )
    for tab, found in ((grading.title, grades), (value_title, classes)):
        if found:
            titles = listed(dict.fromkeys(found), locale)
            notes.append(
                say("owner_requirement_unknown", locale, tab=tab, titles=titles, ladder=ladder)
            )
    return notes
