"""The few ways a run can fail; the CLI turns any of them into one clear line and exit 1."""


class SheetSyncError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""


class ConfigError(SheetSyncError):
    """The settings file, an environment override or a rules tab is wrong."""


class BackendError(SheetSyncError):
    """The workbook cannot be read or written."""


class ConflictError(BackendError):
    """Someone else changed the workbook between our read and our write."""


class LockedError(BackendError):
    """Another sync is already running on the workbook, or a person has it open in Excel,
    WPS or LibreOffice (whose next save would overwrite the sync's)."""


class WorkbookError(SheetSyncError):
    """A tab or a header the sync needs is missing, duplicated or unreadable."""
