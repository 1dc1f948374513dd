"""Storage behind one small interface, so the pipeline never knows where the workbook lives."""

from __future__ import annotations

from typing import Protocol

from sheetsync.changes import Changeset
from sheetsync.config import Settings
from sheetsync.errors import ConfigError


class Backend(Protocol):
    """A workbook: read every tab as a grid, then apply one changeset in one go."""

    location: str
    timezone: str | None  # the workbook's own time zone (a Google sheet has one), after read()

    def read(self) -> dict[str, list[list]]:
        """Tab title -> rows of cell values, in tab order."""

    def write(self, changes: Changeset) -> None:
        """Apply all of `changes` or none of them."""

    def __enter__(self) -> Backend: ...

    def __exit__(self, *exc: object) -> None: ...


def open_backend(settings: Settings, for_write: bool = False) -> Backend:
    """The backend the settings name; `for_write` takes the lock that keeps syncs apart."""
    from sheetsync.backends.gsheets import GSheetsBackend, RetryPolicy, looks_like_sheet

    if settings.backend == "gsheets" or looks_like_sheet(settings.workbook):
        g = settings.gsheets
        policy = RetryPolicy(attempts=g.retries, total=g.max_wait)
        return GSheetsBackend(settings.workbook, g.credentials, g.endpoint, policy)
    if settings.backend == "xlsx":
        from sheetsync.backends.xlsx import XlsxBackend

        return XlsxBackend(settings.workbook, for_write=for_write)
    raise ConfigError(f'backend: "{settings.backend}" is not supported')
