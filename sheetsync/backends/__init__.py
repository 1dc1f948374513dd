"""Storage behind one small interface, so the pipeline never knows where the workbook lives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sheetsync.config import Settings
from sheetsync.errors import ConfigError
from sheetsync.locations import looks_like_feishu, looks_like_sheet, online, spreadsheet_key

if TYPE_CHECKING:  # pandas: the settings' checks and `--help` import this module, not it
    from sheetsync.workbook.changes import Changeset


class Backend(Protocol):
    """A workbook: read every tab as a grid, then apply one changeset in one go."""

    location: str
    timezone: str | None  # the workbook's own time zone (a Google sheet has one), after read()

    def read(self) -> dict[str, list[list]]:
        """Tab title -> rows of cell values, in tab order."""

    def keep_rows(self, titles: set[str]) -> None:
        """After read(): only the tabs `titles` may be replaced whole by the write, so only
        their rows need be kept to write what changed (the others' can be let go)."""

    def write(self, changes: Changeset) -> object:
        """Apply all of `changes` or none of them; what it says of how (the .xlsx backend:
        the write path it took, `xlsx_patch.WritePath`), or None."""

    def tab_url(self, title: str) -> str:
        """The address that opens tab `title` in a browser ("" for a file): mail links rows."""

    def held_by(self) -> str | None:
        """Who has the workbook open in a program whose next save would overwrite ours."""

    def found(self) -> list[tuple[str, dict]]:
        """What the last read or write found people doing meanwhile and did about it, as
        catalogue keys and their fields (for the run's report)."""

    def __enter__(self) -> Backend: ...

    def __exit__(self, *exc: object) -> None: ...


def uses_google(settings: Settings) -> bool:
    return settings.backend == "gsheets" or looks_like_sheet(settings.workbook)


def uses_feishu(settings: Settings) -> bool:
    return settings.backend == "feishu" or looks_like_feishu(settings.workbook)


def shared_sheet(settings: Settings) -> bool:
    """An online sheet (Google or Feishu), not a file (`locations.online`)."""
    return online(settings.backend, settings.workbook)


def sheet_key(settings: Settings) -> str:
    """The online sheet's key (Google) or token (Feishu), from its URL or as written."""
    if uses_feishu(settings):
        from sheetsync.backends.feishu import feishu_token

        return feishu_token(settings.workbook)
    return spreadsheet_key(settings.workbook)


def feishu_client(settings: Settings, environ: dict | None = None):
    """The Feishu app client the settings describe (credentials from the environment or the
    file `feishu.credentials`, never printed)."""
    import os

    from sheetsync.feishu_api import FeishuClient, feishu_credentials

    f = settings.feishu
    credentials = feishu_credentials(
        f.credentials, dict(os.environ if environ is None else environ)
    )
    return FeishuClient(credentials, f.base_url, (f.connect_timeout, f.read_timeout), f.max_wait)


def feishu_backend(settings: Settings, workbook: str):
    from sheetsync.backends.feishu import FeishuBackend

    return FeishuBackend(workbook, feishu_client(settings))


def google_backend(settings: Settings, key: str):
    """The spreadsheet `key` with the settings' credentials and retry budget. Imported only
    when used: google-auth and gspread load slowly."""
    from sheetsync.backends.gsheets import GSheetsBackend, RetryPolicy

    g = settings.gsheets
    policy = RetryPolicy(attempts=g.retries, total=g.max_wait)
    timeouts = (g.connect_timeout, g.read_timeout)
    return GSheetsBackend(key, g.credentials, g.endpoint, policy, timeouts)


def open_backend(settings: Settings, for_write: bool = False) -> Backend:
    """The backend the settings name; `for_write` takes the lock that keeps syncs apart."""
    if uses_feishu(settings):
        return feishu_backend(settings, settings.workbook)
    if uses_google(settings):
        return google_backend(settings, settings.workbook)
    if settings.backend == "xlsx":
        from sheetsync.backends.xlsx import XlsxBackend

        limits = (settings.max_part_mb, settings.max_ratio)
        return XlsxBackend(settings.workbook, for_write=for_write, limits=limits)
    raise ConfigError(f'backend: "{settings.backend}" is not supported')
