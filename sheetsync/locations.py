"""What a workbook setting names, read from its text alone: a Google sheet's address, a Feishu
sheet's, a spreadsheet key. Settings (which rebases paths but not addresses) and the backends
(which open them) both need it, and neither imports the other for it."""

from __future__ import annotations

import re

ONLINE_BACKENDS = ("gsheets", "feishu")  # the `backend:` values that are no file


def looks_like_sheet(text: str) -> bool:
    return "docs.google.com/spreadsheets/" in text


def spreadsheet_key(text: str) -> str:
    """A key from a key or any Google Sheets URL."""
    match = re.search(r"/spreadsheets/d/([A-Za-z0-9_-]+)", text)
    return match.group(1) if match else text.strip()


def looks_like_feishu(text: str) -> bool:
    """A Feishu / Lark sheet's address (a private deployment's needs `backend: feishu`)."""
    return bool(
        re.search(r"https?://[^/\s]*(feishu\.cn|larksuite\.com|larkoffice\.com)/sheets/", text)
    )


def online(backend: str, workbook: str) -> bool:
    """An online sheet (Google or Feishu), not a file: no path, no lock, a key or a URL."""
    return backend in ONLINE_BACKENDS or looks_like_sheet(workbook) or looks_like_feishu(workbook)
