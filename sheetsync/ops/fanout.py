"""Fifty teams, fifty workbooks: `sync --all` split among workers an existing scheduler
starts (a GitHub Actions matrix, a Kubernetes Indexed Job), each given `--shard I/N`, or one
workbook by name (`--only`).

A workbook's shard comes from its name alone (sha1 of its `name:`, or of its file's name or
online address when it has none), so every worker of one run computes the same split without talking to
the others, on any machine and any Python (the built-in hash() is salted per process), and
adding a workbook moves no other workbook to another shard. Shards count from 0, as
`JOB_COMPLETION_INDEX` does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sheetsync.backends import shared_sheet
from sheetsync.config import Settings

SHARD_FORMAT = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    """The `index`-th of `count` shares (0 <= index < count)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """ "2/4" -> Shard(2, 4). Anything else raises ValueError saying what was expected."""
    match = SHARD_FORMAT.fullmatch(text)
    if not match:
        raise ValueError(f'"{text}": expected I/N, e.g. 0/4 (the first of 4 shards)')
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise ValueError(f'"{text}": the number of shards N must be at least 1')
    if index >= count:
        raise ValueError(
            f'"{text}": shards count from 0, so I must be 0 to {count - 1} for N={count}'
        )
    return Shard(index, count)


def workbook_name(settings: Settings) -> str:
    """How logs, `list-workbooks` and `--only` call a workbook: its `name:`, else its
    workbook (the path it opens, or the online sheet's address)."""
    return settings.label


def split_key(settings: Settings) -> str:
    """What the split hashes: the entry's `name:`, else its file's name (the path a relative
    `workbook:` resolves to differs per checkout) or the online sheet's address."""
    if settings.name or shared_sheet(settings):
        return settings.label
    return Path(settings.workbook).name


def names_of(settings: Settings) -> set[str]:
    """Every way `--only` may name a workbook: its name, its workbook, its file's name."""
    return {settings.label, str(settings.workbook), split_key(settings)}


def workbook_shard(settings: Settings, count: int) -> int:
    """The shard (0 to count-1) of one workbook, out of `count`."""
    return shard_of(split_key(settings), count)


def shard_of(name: str, count: int) -> int:
    """The shard (0 to count-1) a workbook named `name` belongs to, out of `count`."""
    digest = hashlib.sha1(name.encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big") % count


def unknown_names(workbooks: Sequence[Settings], only: Sequence[str]) -> list[str]:
    """The `--only` names that match no workbook (by name, or by workbook as written)."""
    known = set().union(*(names_of(s) for s in workbooks))
    return [n for n in only if n not in known]


def pick(
    workbooks: Sequence[Settings], only: Sequence[str] = (), shard: Shard | None = None
) -> list[Settings]:
    """The workbooks this worker runs, in the settings' order: those named in `only` (all
    when empty), then of those, the ones in `shard` (all when None)."""
    chosen = [s for s in workbooks if not only or names_of(s) & set(only)]
    if shard is None:
        return chosen
    return [s for s in chosen if workbook_shard(s, shard.count) == shard.index]
