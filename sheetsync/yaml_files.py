"""The defaults that ship as YAML files (the new workbook's layout, the default grade and
value rules), read from disk once per process. Outside `workbook/` and `rules/`, which do
no I/O: they take what is read here (see tests/test_architecture.py)."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

from sheetsync.config import load_yaml
from sheetsync.errors import ConfigError


def defaults_file(path: Path) -> dict:
    """A defaults file, read once per process (every run builds the value rules' defaults):
    a deep copy each time, so no caller can change what the next one gets."""
    return copy.deepcopy(_read_yaml(path))


@lru_cache(maxsize=8)
def _read_yaml(path: Path) -> dict:
    data = load_yaml(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):  # a shipped file, broken by an edit
        raise ConfigError(f"{path}: expected a mapping of settings")
    return data
