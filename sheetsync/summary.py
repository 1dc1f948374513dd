"""The summary tab managers read: rebuilt from scratch every run, so it is never stale.

It holds counts and the longest-overdue list by id, name and owner: no contact details, so
it can be shared more widely than the follow-up tab.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sheetsync.parsing import is_blank, map_unique
from sheetsync.schema import STAGES, STATUSES, SUMMARY_LABELS, normalise_header, term_lookup

LONGEST_OVERDUE = 10


def _percent(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "—"


class _Labels:
    def __init__(self, locale: str) -> None:
        self.words = {t.key: t.text(locale) for t in SUMMARY_LABELS}

    def __call__(self, *keys: str) -> list[str]:
        return [self.words[k] for k in keys]


def summarise(board: pd.DataFrame, log: pd.DataFrame, grades: list[str], owners: list[str],
              today: dt.date, locale: str) -> list[list]:  # fmt: skip
    """`board`: one row per customer with customer_id, customer, owner, stage, grade,
    status (key) and due. Returns the tab's rows, sections separated by a blank row."""
    label = _Labels(locale)
    sections = [
        [[*label("title"), *label("as_of"), today]],
        _by_grade(board, grades, label),
        _by_status(board, locale, label),
        _by_owner(board, log, owners, today, label),
        _funnel(board, locale, label),
        _longest_overdue(board, today, label),
    ]
    rows: list[list] = []
    for section in sections:
        rows += [*section, []]
    return rows[:-1]


def _by_grade(board: pd.DataFrame, grades: list[str], label: _Labels) -> list[list]:
    counts = board["grade"].value_counts()
    total = len(board)
    rows = [[g, int(counts.get(g, 0)), _percent(counts.get(g, 0), total)] for g in grades]
    return [label("by_grade"), label("grade", "customers", "share"), *rows]


def _by_status(board: pd.DataFrame, locale: str, label: _Labels) -> list[list]:
    counts = board["status"].value_counts()
    rows = [[t.text(locale), int(counts.get(t.key, 0))] for t in STATUSES]
    return [label("by_status"), label("status", "customers"), *rows]


def _by_owner(board: pd.DataFrame, log: pd.DataFrame, owners: list[str], today: dt.date,
              label: _Labels) -> list[list]:  # fmt: skip
    now = pd.Timestamp(today)
    owner = map_unique(board["owner"], lambda v: "" if is_blank(v) else str(v).strip())
    names = list(dict.fromkeys([*owners, *sorted(set(owner) - {""})]))
    done = log[log["state"] == "done"]
    recent = done[done["done_on"] > now - pd.Timedelta(days=7)]
    window = log[(log["due_date"] > now - pd.Timedelta(days=30)) & (log["due_date"] < now)]
    judged = window[(window["state"] == "done") | (window["state"] == "open")]
    on_time = judged[(judged["state"] == "done") & (judged["done_on"] <= judged["due_date"])]
    rows = []
    for name in names:
        mine = board["status"][owner == name]
        rows.append([
            name, len(mine), int((mine == "due_today").sum()), int((mine == "overdue").sum()),
            int((recent["owner"] == name).sum()),
            _percent((on_time["owner"] == name).sum(), (judged["owner"] == name).sum()),
        ])  # fmt: skip
    header = label("owner", "customers", "due_today", "overdue", "done_7d", "on_time_30d")
    return [label("by_owner"), header, *rows]


def _funnel(board: pd.DataFrame, locale: str, label: _Labels) -> list[list]:
    lookup = {k: STAGES.index(t) for k, t in term_lookup(STAGES).items()}
    position = map_unique(board["stage"], lambda v: lookup.get(normalise_header(v), -1))
    counts = position.value_counts()
    at_stage = [int(counts.get(i, 0)) for i in range(len(STAGES))]
    reached = [sum(at_stage[i:]) for i in range(len(STAGES))]
    rows = []
    for i, term in enumerate(STAGES):
        conversion = _percent(reached[i + 1], reached[i]) if i + 1 < len(STAGES) else ""
        rows.append([term.text(locale), at_stage[i], reached[i], conversion])
    rows.append([*label("other_stage"), int(counts.get(-1, 0)), "", ""])
    return [label("funnel"), label("stage", "at_stage", "reached", "conversion"), *rows]


def _longest_overdue(board: pd.DataFrame, today: dt.date, label: _Labels) -> list[list]:
    late = board[board["status"] == "overdue"]
    days = (pd.Timestamp(today) - late["due"]).dt.days
    top = late.assign(days=days).sort_values("days", ascending=False, kind="stable")
    rows = [
        [r.customer_id, r.customer, r.owner, int(r.days)]
        for r in top.head(LONGEST_OVERDUE).itertuples()
    ]
    header = label("customer_id", "customer", "owner", "days_overdue")
    return [label("longest_overdue"), header, *rows]
