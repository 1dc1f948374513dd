"""What a run is, as one value: the daily sync, a dry run, `remind`, `serve`'s hourly check,
the first sync of an adoption. Each step asks it one question (does this run archive, write
the sheet, log itself?) instead of combining five flags of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sheetsync.config import Settings
from sheetsync.workbook.changes import Changeset


class Adopting(Protocol):
    """`adopt --apply` (ops/adopt.py's `Adoption`): the run computes on the grids as adopted
    and writes the adoption's changes with its own, in its one write."""

    def adopt(
        self, grids: dict[str, list[list]], settings: Settings
    ) -> tuple[dict[str, list[list]], Settings]:
        """The grids as they read once adopted, and the settings that find their tabs (may
        stop the run)."""

    def changes(self, changes: Changeset) -> Changeset:
        """The run's changes with the adoption's."""


@dataclass(frozen=True)
class RunMode:
    """`dry_run`: compute and say what would be written and sent; nothing is. `sheet=False`
    (`remind`): mail and its record only, the sync's columns left alone. `force`: write a
    workbook someone has open (their next save overwrites ours). `events_only` (`serve`'s
    hourly check): complaint alerts and the sheet's write, no digests, escalations or
    sync-log row. `adoption`: the first sync of `adopt --apply`."""

    dry_run: bool = False
    sheet: bool = True
    force: bool = False
    events_only: bool = False
    adoption: Adopting | None = None

    @property
    def checks_holder(self) -> bool:
        """Whether a workbook someone has open stops the run (before anything is sent)."""
        return not (self.dry_run or self.force)

    @property
    def archives(self) -> bool:
        """Whether old log rows may move out this run (a plain sync of the sheet)."""
        return self.sheet and not self.dry_run and not self.events_only and not self.adoption

    @property
    def full(self) -> bool:
        """A sync of the sheet with its own log row and held-recipient announcements, not
        `remind` and not the hourly events check."""
        return self.sheet and not self.events_only

    @property
    def reminds(self) -> bool:
        """Whether digests, escalations and summaries may go (on a reminder day)."""
        return not self.events_only


SYNC = RunMode()  # the daily run
