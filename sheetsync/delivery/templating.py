"""The templates of mail and chat messages (Jinja2), imported by the renderers when they are
made: a run that sends nothing loads no template library."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)

from sheetsync.workbook.messages import prose_in_script


class ScriptLoader(FileSystemLoader):
    """Templates written once in simplified Chinese, read in the workbook's script: only the
    template's own words are converted, never the names and notes filled into it."""

    def __init__(self, folder: Path, locale: str) -> None:
        # The language's own templates first, then those both languages share (their words
        # come from the message catalogue): one copy of a layout, not one per language.
        super().__init__([folder, folder.parent])
        self.locale = locale

    def get_source(self, environment: Environment, template: str):
        source, filename, uptodate = super().get_source(environment, template)
        return prose_in_script(source, self.locale), filename, uptodate


@functools.cache
def compiled() -> FileSystemBytecodeCache | None:
    """Templates compiled once, not on every daily run: Jinja's cache in the user's own
    folder of the system's temporary directory, keyed by each template's text (an edited
    template is compiled again). None where that folder cannot be made safely."""
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def environment(
    folder: Path, locale: str, html: bool = False, also: Path | None = None
) -> Environment:
    """Templates of `folder` (then its parent's, then `also`'s) in the workbook's script, an
    unknown name an error rather than an empty string; `html`: values escaped in .html
    templates. Blocks trimmed, so a template's layout lines leave no blank lines."""
    loader = ScriptLoader(folder, locale)
    if also is not None:
        loader.searchpath.append(str(also))
    options: dict[str, Any] = {"autoescape": select_autoescape(["html"])} if html else {}
    return Environment(
        loader=loader,
        bytecode_cache=compiled(),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )
