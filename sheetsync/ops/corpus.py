"""Precision and recall of the complaint reading (rules/attention.py) on labelled notes.

A corpus is a UTF-8 TSV: `label kind summary feedback`, label 1 when the note needs the
manager today. The test suite holds (tests/data/attention/), each by another author:
notes.tsv, notes-b.tsv, notes-c.tsv and notes-d.tsv, half needing attention, which the rules
were developed against (c and d were measured first, as they came: see docs/workbook.md);
holdout.tsv, the same mix, only ever measured (nobody read its misses to write a rule); and
300 everyday notes none of which needs attention, the kind a sheet is mostly made of, split
in two: routine.tsv teaches the model what is ordinary, routine-check.tsv is only measured.
Both the tests and the benchmark score them here, and so does the keyword matcher the sync
used before, so the figures say what the change bought.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections import Counter
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sheetsync.rules import attention as attention_module
from sheetsync.rules import attention_model
from sheetsync.rules.attention import THRESHOLD, attention, grams, note_text
from sheetsync.rules.events import said

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "data" / "attention"
TRAINING = ("notes.tsv", "notes-b.tsv", "notes-c.tsv", "notes-d.tsv", "routine.tsv")  # not held out
ROUTINE = "routine-check.tsv"  # everyday notes nobody tuned on: the false alarms of a day
MODEL = Path(__file__).resolve().parents[1] / "rules" / "attention_model.py"
MIN_COUNT = 2  # an n-gram seen once says more about one author than about notes
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


@contextmanager
def model(prior: float, weights: dict[str, float], threshold: float = THRESHOLD):
    """The detector with another model (or, with an infinite threshold, rules only): how the
    benchmark scores a set with a model that never saw it."""
    saved = attention_model.PRIOR, attention_model.WEIGHTS, attention_module.THRESHOLD
    attention_model.PRIOR, attention_model.WEIGHTS = prior, weights
    attention_module.THRESHOLD = threshold
    try:
        yield
    finally:
        attention_model.PRIOR, attention_model.WEIGHTS, attention_module.THRESHOLD = saved


def report() -> list[str]:
    """The benchmark's lines: each set as the sync reads it (for the development sets, with
    the model trained on the other one only: a set the model learnt from proves nothing),
    by the rules alone, and by the keywords the sync matched before."""
    if not all((CORPUS / name).exists() for name in (*TRAINING, "holdout.tsv", ROUTINE)):
        return ["  not found (the labelled notes ship with the tests)"]
    sets = {name: read_corpus(CORPUS / name) for name in (*TRAINING, "holdout.tsv")}
    lines = []
    for name, frame in sets.items():
        if name == "routine.tsv":
            continue  # no note in it needs attention: it is counted by routine_line
        others = [f for other, f in sets.items() if other in TRAINING and other != name]
        with model(*train(others)) if name in TRAINING else nullcontext():
            read = score_rules(frame)
        with model(0.0, {}, math.inf):
            rules = score_rules(frame)
        lines += [
            f"  {name:<12} sheetsync  {read.line()}"
            + ("  (model trained on the other sets)" if name in TRAINING else ""),
            f"  {'':<12} rules only {rules.line()}",
            f"  {'':<12} keywords   {score_keywords(frame).line()}",
        ]
    return [*lines, routine_line(read_corpus(CORPUS / ROUTINE))]


def routine_line(frame: pd.DataFrame) -> str:
    """How many everyday notes would raise an alert: what a team sees every day."""
    alarms = score_rules(frame).false_alarms
    with model(0.0, {}, math.inf):
        rules = len(score_rules(frame).false_alarms)
    return (
        f"  {ROUTINE:<12} {len(alarms)} of {len(frame)} everyday notes alerted "
        f"({len(alarms) / len(frame):.1%}; rules alone {rules})"
    )


def train(frames: list[pd.DataFrame]) -> tuple[float, dict[str, float]]:
    """Naive Bayes over the character 1-3-grams a note holds (each counted once per note):
    the prior log-odds and each n-gram's log-odds, add-half smoothed, for the n-grams seen
    in at least MIN_COUNT notes."""
    counts: dict[int, Counter] = {0: Counter(), 1: Counter()}
    notes = {0: 0, 1: 0}
    for frame in frames:
        for label, summary, feedback in frame[["label", "summary", "feedback"]].itertuples(
            index=False
        ):
            notes[label] += 1
            counts[label].update(grams(note_text(summary, feedback)))
    weights = {}
    for gram in sorted(set(counts[0]) | set(counts[1])):
        if counts[0][gram] + counts[1][gram] >= MIN_COUNT:
            yes = (counts[1][gram] + 0.5) / (notes[1] + 1)
            no = (counts[0][gram] + 0.5) / (notes[0] + 1)
            weights[gram] = round(math.log(yes / no), 3)
    return round(math.log(notes[1] / notes[0]), 3), weights


def model_source() -> str:
    """rules/attention_model.py as training on the development sets writes it."""
    prior, weights = train([read_corpus(CORPUS / name) for name in TRAINING])
    lines = [
        '"""Generated by `python -m sheetsync.ops.corpus` from tests/data/attention/'
        f"{' and '.join(TRAINING)}: do not edit.",
        "",
        "Naive Bayes log-odds of the character 1-3-grams of a follow-up note (rules/attention.py",
        'reads notes the rules find no cue in with them)."""',
        "",
        f"PRIOR = {prior!r}",
        "WEIGHTS = {",
        *(
            f"    {json.dumps(gram, ensure_ascii=False)}: {weight!r},"
            for gram, weight in weights.items()
        ),
        "}",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    MODEL.write_text(model_source(), encoding="utf-8")
    print(f"wrote {MODEL}", file=sys.stderr)
