"""The few ways a run can fail; the CLI turns any of them into one clear line and exit 1."""

from __future__ import annotations


class SheetSyncError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""


class ConfigError(SheetSyncError):
    """The settings file, an environment override or a rules tab is wrong."""


class BackendError(SheetSyncError):
    """The workbook cannot be read or written. `key` names its sentence in the message
    catalogue and `fields` fill it: the backend, which knows no sheet's language, says it in
    English, and the run says it again in the sheet's (`said`)."""

    def __init__(self, message: str, key: str = "", **fields: object) -> None:
        super().__init__(message)
        self.key, self.fields = key, fields

    @classmethod
    def said(cls, key: str, locale: str = "en", **fields: object):
        """The error in `locale`; a `cause` (another keyed BackendError) is said in it too,
        as `{reason}`."""
        from sheetsync.workbook.messages import say  # the catalogue imports nothing of ours

        cause = fields.get("cause")
        if isinstance(cause, BackendError) and cause.key:
            reason = type(cause).said(cause.key, locale, **cause.fields)
            fields = {**fields, "reason": str(reason)}
        return cls(say(key, locale, **fields), key, **fields)


class ConflictError(BackendError):
    """Someone else changed the workbook between our read and our write (said in the
    sheet's language, as every BackendError with a `key`)."""


class LockedError(BackendError):
    """Another sync is already running on the workbook, or a person has it open in Excel,
    WPS or LibreOffice (whose next save would overwrite the sync's)."""


class WorkbookError(SheetSyncError):
    """A tab or a header the sync needs is missing, duplicated or unreadable."""
