"""Precision and recall of the complaint reading (rules/attention.py) on labelled notes.

A corpus is a UTF-8 TSV: `label kind summary feedback`, label 1 when the note needs the
manager today. The test suite holds three (tests/data/attention/), each by another author:
notes.tsv and notes-b.tsv, which the rules were developed against, and holdout.tsv, which
was only ever measured (nobody read its misses to write a rule).
Both the tests and the benchmark score them here, and so does the keyword matcher the sync
used before, so the figures say what the change bought.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sheetsync.rules.attention import attention
from sheetsync.rules.events import said

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "data" / "attention"
OLD_WORDS = tuple(
    ["投诉", "不满", "终止合作", "退款", "差评", "解约", "取消合作", "不再合作", "要求赔偿"]
)


@dataclass(frozen=True)
class Score:
    notes: int
    precision: float
    recall: float
    false_alarms: list[str]
    misses: list[str]

    def line(self) -> str:
        return (
            f"{self.notes} notes: precision {self.precision:.2f}, recall {self.recall:.2f} "
            f"({len(self.false_alarms)} false alarms, {len(self.misses)} misses)"
        )


def read_corpus(path: Path) -> pd.DataFrame:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    frame = pd.DataFrame(rows, columns=["label", "kind", "summary", "feedback"]).fillna("")
    return frame.assign(label=frame["label"].astype(int))


def score(frame: pd.DataFrame, found: pd.Series) -> Score:
    alerted = found != ""
    wanted = frame["label"] == 1
    hits = int((alerted & wanted).sum())
    notes = frame["summary"] + " | " + frame["feedback"]
    return Score(
        len(frame),
        hits / max(int(alerted.sum()), 1),
        hits / max(int(wanted.sum()), 1),
        list(notes[alerted & ~wanted]),
        list(notes[~alerted & wanted]),
    )


def score_rules(frame: pd.DataFrame, extra=(), exclude=()) -> Score:
    return score(frame, attention(frame["summary"], frame["feedback"], extra, exclude))


def score_keywords(frame: pd.DataFrame) -> Score:
    """The bare keyword match the sync used before (the old default 需重点关注 words)."""
    return score(frame, said(frame["summary"], frame["feedback"], OLD_WORDS))


def report() -> list[str]:
    """The benchmark's lines: each corpus, read now and by the old keywords."""
    lines = []
    for name in ("notes.tsv", "notes-b.tsv", "holdout.tsv"):
        path = CORPUS / name
        if not path.exists():
            lines.append(f"  {name}: not found (the corpus ships with the tests)")
            continue
        frame = read_corpus(path)
        lines.append(f"  {name:<12} rules    {score_rules(frame).line()}")
        lines.append(f"  {'':<12} keywords {score_keywords(frame).line()}")
    return lines
