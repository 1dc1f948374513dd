"""`init --spreadsheet`: the requests that make an existing spreadsheet match the template
without touching its data (missing tabs and headers, frozen rows, colours, dropdowns,
warning-only protection of the sync-owned columns)."""

from __future__ import annotations

from sheetsync.backends.gsheets_requests import Requests, layout_requests
from sheetsync.workbook.schema import FOLLOWUPS, SYNC_COLUMNS
from sheetsync.workbook.tables import load_sheet
from sheetsync.workbook.template import followup_layout
from sheetsync.workbook.terms import normalise_header


def _rgb(hex_colour: str) -> dict:
    value = int(hex_colour, 16)
    return {
        "red": (value >> 16 & 255) / 255,
        "green": (value >> 8 & 255) / 255,
        "blue": (value & 255) / 255,
    }


PROTECTION_NOTE = "sheetsync: computed by the daily sync; edits here are overwritten"


def setup_requests(meta: dict, grids: dict[str, list[list]], content) -> list[dict]:
    """Requests that make a spreadsheet match the template without touching existing data:
    missing tabs and headers, frozen header rows, colours, dropdowns, row colours for overdue
    and due today, and a warning-only protection of the columns the sync writes."""
    from sheetsync.workbook.schema import TABS

    props = {s["properties"]["title"]: s for s in meta.get("sheets", [])}
    build = Requests({t: s["properties"] for t, s in props.items()})
    build.hidden = {t.title for t in content.tabs if t.hidden}
    extra: list[dict] = []
    by_title = {tab.title(lc): tab for tab in TABS for lc in ("zh", "en")}
    for tab_content in content.tabs:
        title = tab_content.title
        existing = grids.get(title)
        if tab_content.form:  # 价值分级: filled when empty, never reshaped
            if not existing:
                build.replace(title, tab_content.rows, None if title not in props else [])
            continue
        if not existing:  # a new or empty tab gets the template's rows
            build._sheet(title)  # added even when the template leaves it empty (汇总)
            if tab_content.rows:
                build.replace(title, tab_content.rows, None if title not in props else [])
            header = tab_content.rows[0] if tab_content.rows else []
        else:
            header = list(existing[0])
            known = {normalise_header(h) for h in header}
            for h in tab_content.rows[0] if tab_content.rows else []:
                if normalise_header(h) not in known:
                    header.append(h)
                    build.cell(title, 1, len(header), h)
        if not header:
            continue
        sheet_id = build._sheet(title)["sheetId"]
        extra += _header_format(sheet_id, header, tab_content, content)
        if by_title.get(title) is FOLLOWUPS:
            extra += _followup_aids(sheet_id, header, tab_content, props.get(title, {}))
            positions = load_sheet([header], FOLLOWUPS, "").columns  # as the tab has them
            rows = len(existing) if existing else len(tab_content.rows)
            extra += layout_requests(sheet_id, followup_layout(positions, len(header), rows))
    return [*build.structure, *build.content, *extra]


def _header_format(sheet_id: int, header: list, tab_content, content) -> list[dict]:
    sync_headers = {normalise_header(tab_content.rows[0][c - 1]) for c in tab_content.sync_columns}
    requests_ = [
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
                "fields": "gridProperties.frozenRowCount",
            }
        }
    ]
    for c, h in enumerate(header):
        colour = (
            content.sync_header_fill if normalise_header(h) in sync_headers else content.header_fill
        )
        requests_.append(
            {
                "repeatCell": {
                    "range": {
                        "sheetId": sheet_id,
                        "startRowIndex": 0,
                        "endRowIndex": 1,
                        "startColumnIndex": c,
                        "endColumnIndex": c + 1,
                    },
                    "cell": {
                        "userEnteredFormat": {
                            "backgroundColor": _rgb(colour),
                            "textFormat": {"bold": True},
                        }
                    },
                    "fields": "userEnteredFormat(backgroundColor,textFormat)",
                }
            }
        )
    return requests_


def _followup_aids(sheet_id: int, header: list, tab_content, existing: dict) -> list[dict]:
    columns = load_sheet([header], FOLLOWUPS, "").columns
    template = {
        normalise_header(tab_content.rows[0][c - 1]): values
        for c, values in tab_content.choices.items()
    }
    requests_ = []
    for c, h in enumerate(header, start=1):
        values = template.get(normalise_header(h))
        if values:
            requests_.append(
                {
                    "setDataValidation": {
                        "range": {
                            "sheetId": sheet_id,
                            "startRowIndex": 1,
                            "startColumnIndex": c - 1,
                            "endColumnIndex": c,
                        },
                        "rule": {
                            "condition": {
                                "type": "ONE_OF_LIST",
                                "values": [{"userEnteredValue": v} for v in values],
                            },
                            "strict": False,
                            "showCustomUi": True,
                        },
                    }
                }
            )
    status = columns.get("status")
    formulas = {
        str(
            r.get("booleanRule", {})
            .get("condition", {})
            .get("values", [{}])[0]
            .get("userEnteredValue")
        )
        for r in existing.get("conditionalFormats", [])
    }
    if status:
        letter = _letter(status)
        for word, colour in tab_content.row_colours.items():
            formula = f'=${letter}2="{word}"'
            if formula not in formulas:
                requests_.append(
                    {
                        "addConditionalFormatRule": {
                            "index": 0,
                            "rule": {
                                "ranges": [
                                    {
                                        "sheetId": sheet_id,
                                        "startRowIndex": 1,
                                        "startColumnIndex": 0,
                                        "endColumnIndex": len(header),
                                    }
                                ],
                                "booleanRule": {
                                    "condition": {
                                        "type": "CUSTOM_FORMULA",
                                        "values": [{"userEnteredValue": formula}],
                                    },
                                    "format": {"backgroundColor": _rgb(colour)},
                                },
                            },
                        }
                    }
                )
    sync_cols = [columns[t.key] for t in SYNC_COLUMNS if t.key in columns]
    protected = {p.get("description") for p in existing.get("protectedRanges", [])}
    if sync_cols and PROTECTION_NOTE not in protected:
        requests_.append(
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": {
                            "sheetId": sheet_id,
                            "startRowIndex": 0,
                            "startColumnIndex": min(sync_cols) - 1,
                            "endColumnIndex": max(sync_cols),
                        },
                        "description": PROTECTION_NOTE,
                        "warningOnly": True,
                    }
                }
            }
        )
    return requests_


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


# `init --protect-team` / `adopt --protect-team`: 团队 (who receives each member's reminders)
# and 同步快照 (where the sync remembers it) editable by the managers only.
TEAM_PROTECTION_NOTE = "sheetsync: only the managers edit who receives each member's reminders"


def whole_tab_protection(sheet: dict) -> dict | None:
    """The tab's protection that stops edits (not a warning) over the whole tab, if any."""
    for protected in sheet.get("protectedRanges", []):
        span = protected.get("range", {})
        bounded = any(k in span for k in ("endRowIndex", "endColumnIndex"))
        offset = span.get("startRowIndex", 0) or span.get("startColumnIndex", 0)
        if not protected.get("warningOnly") and not bounded and not offset:
            return protected
    return None


def protection_requests(meta: dict, titles: list[str], editors: list[str]) -> list[dict]:
    """A protected range over each tab of `titles`, editable by `editors` only; a tab that
    has ours already gets these editors (a manager added to the team since)."""
    sheets = {s["properties"]["title"]: s for s in meta.get("sheets", [])}
    users = {"users": sorted(set(editors))}
    requests_ = []
    for title in titles:
        sheet = sheets[title]
        ours = [
            p
            for p in sheet.get("protectedRanges", [])
            if p.get("description") == TEAM_PROTECTION_NOTE
        ]
        if ours:
            protected = {"protectedRangeId": ours[0]["protectedRangeId"], "editors": users}
            requests_.append(
                {"updateProtectedRange": {"protectedRange": protected, "fields": "editors"}}
            )
            continue
        protected = {
            "range": {"sheetId": sheet["properties"]["sheetId"]},
            "description": TEAM_PROTECTION_NOTE,
            "warningOnly": False,
            "editors": users,
        }
        requests_.append({"addProtectedRange": {"protectedRange": protected}})
    return requests_
