"""sheetsync: a scheduled sync that makes a shared follow-up spreadsheet work like a CRM.

The public API is what `__all__` names: what a script or another scheduler needs to run the
sync without the command line (read the settings, create a workbook, run one sync or a
check, read its report, tell its failures apart). Everything else is the package's inside
and may change between versions without notice; the command line (`sheetsync --help`) and
the workbook contract (docs/workbook.md) are the other stable faces.

    import sheetsync
    settings = sheetsync.load_settings("team.yaml")
    report = sheetsync.run_sync(settings)
    print("\\n".join(report.lines()))

The names are imported when first used (PEP 562), not with the package: `import sheetsync`
and `sheetsync --help` stay cheap, and no module inside the package depends on this one.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> the module that defines it
_PUBLIC = {
    "Settings": "sheetsync.config",
    "load_settings": "sheetsync.config",
    "load_all": "sheetsync.config",
    "init_workbook": "sheetsync.ops.app",
    "run_sync": "sheetsync.ops.app",
    "run_validate": "sheetsync.ops.app",
    "SyncReport": "sheetsync.report",
    "SheetSyncError": "sheetsync.errors",
    "ConfigError": "sheetsync.errors",
    "BackendError": "sheetsync.errors",
    "ConflictError": "sheetsync.errors",
    "LockedError": "sheetsync.errors",
    "WorkbookError": "sheetsync.errors",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value  # once: later lookups are plain attributes
        return value
    raise AttributeError(f"module 'sheetsync' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
