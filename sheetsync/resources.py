"""Where the files that ship with sheetsync are: the mail, chat and workbook templates
(templates/) and the default settings and rules (config/).

They live once, at the repository's top level, where people edit them. A wheel carries a
copy inside the package, at sheetsync/_data/ (pyproject.toml maps them there at build time),
so an installed `sheetsync` finds them whatever the current directory and wherever the
checkout went. A source checkout, or an editable install (which builds no copy), has no
sheetsync/_data/: there the repository's own folders are used, so an edited template shows
on the next run without a reinstall.

Found with importlib.resources, not from the checkout's path: an installed package may sit
anywhere. A package imported from a zip file is not supported (the templates are read as
files by Jinja2 and the YAML loaders).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

__all__ = ["config_dir", "data_root", "templates_dir"]

PACKAGED = "_data"  # sheetsync/_data/{templates,config} inside a wheel


@cache
def data_root() -> Path:
    """The folder holding templates/ and config/: the package's copy when installed, else
    the source checkout's top level (the folder above the package). Found once a process:
    the package does not move while it runs."""
    packaged = Path(str(files("sheetsync") / PACKAGED))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent


def templates_dir() -> Path:
    """templates/: mail (email/, alerts/, notices/), chat (chat/) and workbook.yaml."""
    return data_root() / "templates"


def config_dir() -> Path:
    """config/: the default settings (sheetsync.yaml), grading.yaml, value_rules.yaml, and
    the deployment recipes (deploy/) as a reference."""
    return data_root() / "config"
