"""`adopt`: the way in for a team that already has a sheet.

A team's sheet was not made by `init`: its tabs and headers are the playbooks' (客户跟进记录表,
维护责任人, 上次跟进时间), maybe in traditional characters, and some of its columns carry the
names of columns the sync owns (下次跟进日期, 状态, 客户分类) but hold what people typed.
Taking those over would silently replace people's work, so adopt plans first:
- which tab is which, and what each header maps to (or that it is left alone);
- what happens to every column that collides with a sync-owned one: a typed 下次跟进日期
  becomes 约定跟进日期 (the agreed date), any other is renamed "…(手填)" and kept as a people's
  column, the sync adding its own column after the last one used;
- the tabs it adds (the grading defaults when there is none, a 团队 tab listing the owners);
- whatever stops it (a header the rules read is missing, a grading phrase it cannot read);
- every cell the first sync will write.
Nothing is written until `--apply`. Pure: grids and settings in, a plan out. With `--apply`
the plan is made on the grids the first sync reads (`Adoption`), and written with it, in
one write: the sheet is computed once, and an .xlsx is adopted and synced, or left as it
was (a Google sheet's write is one request per ~2 MB of changes: a large sheet's first
sync can be cut between them, as any first sync's can).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from sheetsync.config import Settings
from sheetsync.errors import SheetSyncError, WorkbookError
from sheetsync.loading import PEOPLE_KEYS, load, read_columns, value_defaults
from sheetsync.pipeline import compute, plan
from sheetsync.report import report_for
from sheetsync.rules.grading import read_rules
from sheetsync.rules.value import read_value_rules, typed_class, value_blocks
from sheetsync.rules.workdays import WorkCalendar
from sheetsync.workbook.changes import CellChange, Changeset, SheetLayout, describe
from sheetsync.workbook.messages import lang, listed, say
from sheetsync.workbook.parsing import cell_text, is_blank
from sheetsync.workbook.schema import (
    FOLLOWUPS,
    GRADING,
    MEMORY,
    SYNC_COLUMNS,
    SYNC_LOG,
    TEAM,
    VALUE_RULES,
)
from sheetsync.workbook.tables import (
    ROW,
    Sheet,
    closest,
    column_letter,
    find_title,
    guess_locale,
    load_sheet,
    missing_columns,
    unmapped,
)
from sheetsync.workbook.template import followup_layout, header_width, new_workbook
from sheetsync.workbook.terms import CUSTOMER_STATES, Tab, normalise_header, term_lookup

SYNC_KEYS = {t.key for t in SYNC_COLUMNS}


@dataclass
class Column:
    """One header of the follow-up tab and what adopt does with it."""

    cell: str
    header: str
    key: str | None
    filled: int  # cells people filled below the header
    action: str  # read | ignored | take_over | rename
    new_header: str = ""


@dataclass
class AdoptPlan:
    locale: str
    tabs: dict[str, str] = field(default_factory=dict)  # tab key -> title found
    columns: list[Column] = field(default_factory=list)
    renames: list[CellChange] = field(default_factory=list)
    new_tabs: dict[str, list[list]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)  # each grade's and class's steps
    lifecycle: list[str] = field(default_factory=list)  # existing customers, typed classes
    settings_lines: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)  # every cell the first sync writes
    layout: dict[str, SheetLayout] = field(default_factory=dict)  # the follow-up tab's
    shape: _Shape | None = field(default=None, repr=False)  # the follow-up tab, as read
    applied: bool = False  # written with the first sync (whose report says what it wrote)
    theirs: set[str] = field(default_factory=set)  # never synced: other tabs holding content

    @property
    def ok(self) -> bool:
        return not self.problems

    def adopted(self, grids: dict[str, list[list]]) -> dict[str, list[list]]:
        """The grids as the sheet reads once adopted: headers renamed or added, tabs added.
        Only what changes is copied (the header rows), not the rows people typed."""
        adopted = dict(grids)
        for tab in {r.tab for r in self.renames}:
            adopted[tab] = list(adopted[tab])
        for rename in self.renames:
            header = adopted[rename.tab][rename.row - 1] = list(adopted[rename.tab][rename.row - 1])
            header.extend([None] * (rename.column - len(header)))
            header[rename.column - 1] = rename.new
        adopted.update({t: [list(r) for r in rows] for t, rows in self.new_tabs.items()})
        return adopted

    def with_first_sync(self, changes: Changeset) -> Changeset:
        """The one write of --apply: the renames, the new tabs and the follow-up tab's layout
        (its filter reaching over the columns the sync adds), with the first sync's changes,
        planned on `adopted` grids. The sync sets cells only in the follow-up tab, which is
        never a tab adopt adds; a tab both would write whole is written as the sync plans it
        (as when the adoption was written first and the sync after)."""
        taken = self.taken_tabs(changes)
        if taken:
            raise WorkbookError("; ".join(taken))
        shape = self.shape
        assert shape is not None  # read by plan_adoption, as every plan's
        self.layout[shape.title] = _work_layout(shape, self, len(changes.new_headers))
        self.cells = [  # what is written whole, for the plan printed (the report counts cells)
            say("rewritten", self.locale, tab=t, rows=len(r))
            for t, r in {**self.new_tabs, **changes.replace}.items()
        ]
        if set(self.new_tabs) & {c.tab for c in changes.new_headers}:
            raise WorkbookError("adopt: the first sync adds headers to a tab adopt adds")
        return dataclasses.replace(
            changes,
            renames=[*self.renames, *changes.renames],
            replace={**self.new_tabs, **changes.replace},
            layout={**self.layout, **changes.layout},
        )

    def taken_tabs(self, changes: Changeset) -> list[str]:
        """Why not: each tab people keep under a name the first sync writes whole (a 汇总 of
        their own), which would lose what they typed there."""
        return [
            say("adopt_tab_theirs", self.locale, title=t)
            for t in changes.replace
            if t in self.theirs
        ]


@dataclass(frozen=True)
class _Shape:
    """What the follow-up tab's layout needs of the tab as read (not its rows)."""

    title: str
    columns: dict[str, int]
    header: list
    header_row: int
    width: int
    used_width: int
    last_row: int

    @classmethod
    def of(cls, sheet: Sheet) -> _Shape:
        last_row = int(sheet.frame[ROW].max()) if len(sheet.frame) else sheet.header_row
        return cls(
            sheet.title,
            dict(sheet.columns),
            list(sheet.header),
            sheet.header_row,
            sheet.width,
            sheet.used_width,
            last_row,
        )


class Adoption:
    """--apply, inside the first sync (`pipeline.sync(mode=RunMode(adoption=...))`): the plan made on the
    grids the sync reads (one read), the sync computing on them as adopted (`adopted`), and
    the plan's changes written with the sync's (`with_first_sync`). A plan that cannot be
    applied, or a first sync that stops, stops before anything is written."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.plan: AdoptPlan | None = None

    def adopt(self, grids: dict[str, list[list]], settings: Settings):
        self.plan = plan = plan_adoption(grids, settings, self.today, preview=False)
        if not plan.ok:
            raise WorkbookError("; ".join(plan.problems))
        return plan.adopted(grids), adopted_settings(settings, plan)

    def changes(self, changes: Changeset) -> Changeset:
        assert self.plan is not None, "adopt() first"
        changes = self.plan.with_first_sync(changes)
        self.plan.applied = True
        return changes


def find_tab(grids: dict[str, list[list]], tab: Tab, configured: str | None) -> str | None:
    """By title (any language, script or playbook name), else the tab whose header row maps
    the most of this tab's columns, the required ones included (a sheet named Sheet1)."""
    title = find_title(list(grids), tab, configured)
    if title is not None or configured:
        return title
    best, best_count = None, 0
    for name, grid in grids.items():
        try:
            sheet = load_sheet(grid, tab, name)
        except SheetSyncError:
            continue
        count = len(sheet.columns)
        if (
            sheet.header_row
            and all(k in sheet.columns for k in tab.required)
            and count > best_count
        ):
            best, best_count = name, count
    return best


def plan_adoption(
    grids: dict[str, list[list]], settings: Settings, today: dt.date, preview: bool = True
) -> AdoptPlan:
    """The plan; with `preview` (no --apply), the first sync run on the adopted grids in
    memory, for its stops and every cell it would write. Without it (--apply), the sync
    itself runs next on the same grids."""
    locale = (
        settings.locale
        if settings.locale != "auto"
        else guess_locale([*grids, *(v for g in grids.values() for row in g[:3] for v in row)])
    )
    result = AdoptPlan(locale)
    for tab in (FOLLOWUPS, GRADING, TEAM):
        others = {t: g for t, g in grids.items() if t not in result.tabs.values()}
        title = find_tab(others, tab, settings.tabs.get(tab.key))
        if title:
            result.tabs[tab.key] = title
    if "followups" not in result.tabs:
        result.problems.append(say("adopt_no_followups", locale, titles=", ".join(grids)))
        return result
    renames = {theirs: key for key, theirs in settings.columns.items()}
    sheet = load_sheet(
        grids[result.tabs["followups"]], FOLLOWUPS, result.tabs["followups"], PEOPLE_KEYS, renames
    )
    result.locale = locale = settings.locale if settings.locale != "auto" else sheet.locale
    synced_before = any(  # by the sync's own tabs, by their names or the settings' names
        find_title(list(grids), tab, name)
        for tab in (MEMORY, SYNC_LOG)
        for name in (None, settings.tabs.get(tab.key))
    )
    _map_columns(result, sheet, grids[result.tabs["followups"]], bool(synced_before))
    _add_tabs(result, grids, sheet, locale, settings.tabs)
    _add_read_columns(result, {**grids, **result.new_tabs}, sheet)
    _lifecycle(result, grids, sheet, settings)
    for tab_key, title in result.tabs.items():
        default = find_title(
            [title], {"followups": FOLLOWUPS, "grading": GRADING, "team": TEAM}[tab_key], None
        )
        if default is None and not settings.tabs.get(tab_key):
            result.settings_lines.append(f"  {tab_key}: {title}")
    if result.settings_lines:
        result.settings_lines.insert(0, "tabs:")
    result.shape = _Shape.of(sheet)
    if not synced_before:  # a synced sheet's other tabs are the sync's own
        ours = set(result.tabs.values())
        result.theirs = {t for t, g in grids.items() if t not in ours and _filled(g)}
    if preview:
        _simulate(result, grids, settings, today)
    return result


def _filled(grid: list[list]) -> bool:
    return any(not is_blank(v) for row in grid for v in row)


def _map_columns(result: AdoptPlan, sheet: Sheet, grid: list[list], synced_before: bool) -> None:
    """Every header: read, ignored, taken over (an empty sync column) or renamed (a sync
    column holding what people typed)."""
    keys = {position: key for key, position in sheet.columns.items()}
    body = grid[sheet.header_row :]
    renaming_next_to_agreed = "agreed_date" not in sheet.columns
    for position, value in enumerate(sheet.header, start=1):
        if is_blank(value):
            continue
        key = keys.get(position)
        filled = sum(1 for row in body if position <= len(row) and not is_blank(row[position - 1]))
        cell = f"{column_letter(position)}{sheet.header_row}"
        column = Column(cell, cell_text(value), key, filled, "read" if key else "ignored")
        if key in SYNC_KEYS:
            column.action = "take_over"
            if filled and not synced_before:
                column.action = "rename"
                if key == "next_date" and renaming_next_to_agreed:
                    column.new_header = FOLLOWUPS.column("agreed_date").text(result.locale)
                    renaming_next_to_agreed = False
                else:
                    column.new_header = say("typed_header", result.locale, header=column.header)
                result.renames.append(
                    CellChange(
                        sheet.title,
                        sheet.header_row,
                        position,
                        "",
                        column.header,
                        column.header,
                        column.new_header,
                    )
                )
        result.columns.append(column)


def _add_read_columns(result: AdoptPlan, grids: dict[str, list[list]], sheet: Sheet) -> None:
    """Columns the grade rules read that the sheet lacks altogether (the relationship
    checklist has no 意向度) are added empty: everyone counts as the lowest level, and
    校验提示 says so, until people fill them. A look-alike header stops it instead."""
    title = result.tabs["grading"]
    try:
        rules = read_rules(load_sheet(grids[title], GRADING, title))
    except SheetSyncError as exc:
        result.problems.append(str(exc))
        return
    result.rules = [_rule_line(r, result.locale) for r in rules]  # as the first sync reads them
    result.plans = [plan_line(r.grade, r.steps, result.locale) for r in rules]
    free = unmapped(sheet.header, sheet.columns)
    position = sheet.used_width
    for key in read_columns(rules):
        if key in sheet.columns:
            continue
        term = FOLLOWUPS.column(key)
        if key in FOLLOWUPS.required or any(closest(s, free) for s in term.spellings()):
            result.problems.append(
                missing_columns(
                    FOLLOWUPS,
                    sheet.title,
                    [key],
                    sheet.header,
                    sheet.header_row,
                    result.locale,
                    sheet.columns,
                )
            )
            continue
        position += 1
        header = term.text(result.locale)
        cell = f"{column_letter(position)}{sheet.header_row}"
        result.columns.append(Column(cell, header, key, 0, "add"))
        result.renames.append(
            CellChange(sheet.title, sheet.header_row, position, "", header, None, header)
        )


def _add_tabs(
    result: AdoptPlan,
    grids: dict[str, list[list]],
    sheet: Sheet,
    locale: str,
    configured: dict[str, str | None],
) -> None:
    """The grading defaults when the sheet has no grading table, and a 团队 tab listing the
    owners (their email and manager left for a person to fill in). Never over a tab people
    have: with the settings naming a tab the sheet lacks, a 团队 tab already there is not the
    team tab, and is not replaced (adopt stops and says so)."""
    template = {t.title: t.rows for t in new_workbook(locale).tabs}
    for key, tab in (("grading", GRADING), ("team", TEAM)):
        if key in result.tabs:
            continue
        title = tab.title(locale)
        if title in grids:
            which = say(f"tab_{key}", locale)
            wanted = configured.get(key, "")
            result.problems.append(
                say("adopt_tab_taken", locale, which=which, title=title, configured=wanted)
            )
            continue
        if key == "grading":
            result.new_tabs[title] = template[title]
        else:
            owners = sorted({cell_text(v) for v in sheet.frame["owner"] if not is_blank(v)})
            result.new_tabs[title] = [TEAM.headers(locale), *([o] for o in owners)]
        result.tabs[key] = title


def _simulate(
    result: AdoptPlan, grids: dict[str, list[list]], settings: Settings, today: dt.date
) -> None:
    """Run the first sync on the adopted grids in memory: its rules, its stops, its cells."""
    adopted = result.adopted(grids)
    settings = adopted_settings(settings, result)
    if result.problems:
        return
    try:
        loaded = load(adopted, settings)
        computed = compute(
            loaded, today, WorkCalendar(settings.holidays), settings.task_log_keep_days
        )
    except SheetSyncError as exc:
        result.problems.append(str(exc))
        return
    result.rules = [_rule_line(r, result.locale) for r in computed.rules]
    shape = result.shape
    assert shape is not None  # read before the simulation (plan_adoption)
    report = report_for(shape.title, today, computed, result.locale)
    changes = plan(loaded, computed, report, dt.datetime.combine(today, dt.time()))
    result.problems += result.taken_tabs(changes)
    result.cells = [describe(c) for c in [*result.renames, *changes.new_headers, *changes.cells]]
    result.layout[shape.title] = _work_layout(shape, result, len(changes.new_headers))
    result.cells += [
        say("rewritten", result.locale, tab=t, rows=len(r))
        for t, r in {**result.new_tabs, **changes.replace}.items()
    ]


def _work_layout(sheet: _Shape, result: AdoptPlan, new_columns: int) -> SheetLayout:
    """The follow-up tab's layout, its columns where people have them: nothing moves. The
    filter reaches over the columns the first sync adds at the end; a column people sized
    keeps its width, one nobody sized gets room for its header."""
    added = [r.column for r in result.renames if r.old is None]  # read columns added empty
    width = max([sheet.width, sheet.used_width, *added]) + new_columns
    layout = followup_layout(sheet.columns, width, sheet.last_row, sheet.header_row)
    headers = {p: cell_text(h) for p, h in enumerate(sheet.header, start=1) if not is_blank(h)}
    headers.update({r.column: cell_text(r.new) for r in result.renames})
    layout.widths = {p: header_width(h) for p, h in headers.items()}
    layout.keep_widths = True
    return layout


def adopted_settings(settings: Settings, result: AdoptPlan) -> Settings:
    """The settings with the tabs found by their headers (a tab titled Sheet1)."""
    tabs = {**settings.tabs, **{k: v for k, v in result.tabs.items()}}
    return dataclasses.replace(settings, tabs=tabs)


def _lifecycle(result: AdoptPlan, grids: dict, sheet: Sheet, settings: Settings) -> None:
    """What the sheet's 合作状态 and typed 客户分类 say, as the first sync will read them:
    existing customers kept by their class's plan, prospects graded as leads; each label
    naming no class and each status it does not know, by row (kept, never guessed)."""
    locale = result.locale
    title = find_title(list(grids), VALUE_RULES, settings.tabs.get("value_rules"))
    try:
        defaults = value_defaults(locale, title or "")
        found = value_blocks(grids.get(title) if title else None, title or "")
        value_rules = read_value_rules(found, defaults)
    except SheetSyncError as exc:
        result.problems.append(str(exc))
        return
    result.plans += [
        plan_line(say("class_plan_name", locale, name=u.value_class), u.steps, locale)
        for u in value_rules.upkeep.values()
    ]
    if value_rules.revisits:
        result.plans.append(plan_line(say("revisits_name", locale), value_rules.revisits, locale))
    frame = sheet.frame
    lookup = {k: t.key for k, t in term_lookup(CUSTOMER_STATES).items()}
    states = frame["customer_state"].map(lambda v: lookup.get(normalise_header(v)))
    if "customer_state" in sheet.columns:
        counts = states.value_counts()
        result.lifecycle.append(
            say(
                "adopt_existing",
                locale,
                active=int(counts.get("active", 0)),
                prospects=int(counts.get("prospect", 0)),
                lost=int(counts.get("lost", 0)),
            )
        )
        unknown = frame[states.isna() & ~frame["customer_state"].map(is_blank)]
        result.lifecycle += [
            say("adopt_state_unread", locale, row=r[ROW], value=cell_text(r["customer_state"]))
            for _, r in unknown.iterrows()
        ]
    if "class_label" in sheet.columns:
        classes, unread = typed_class(frame["class_label"], value_rules)
        counts = classes.value_counts()
        names = listed((f"{c} {n}" for c, n in counts.items()), locale)
        result.lifecycle.append(say("adopt_classes", locale, counts=names or "0"))
        result.lifecycle += [
            say("adopt_class_unread", locale, row=r[ROW], value=cell_text(r["class_label"]))
            for _, r in frame[unread].iterrows()
        ]


def plan_line(name: str, steps, locale: str) -> str:
    """A plan in one line: "B:每3天资料/电话:发送资料;每7天资料/电话:电话沟通需求变化"."""
    said = [
        say(
            "plan_revisit" if s.once else "plan_step",
            locale,
            every=s.every,
            method=s.method,
            action=s.action,
        )
        for s in steps
    ]
    return say(
        "plan_line", locale, name=name, steps=("; " if lang(locale) == "en" else ";").join(said)
    )


def _rule_line(rule, locale: str) -> str:
    from sheetsync.workbook.terms import BUDGET_LEVELS, INTENT_LEVELS

    parts = []
    if rule.min_budget is not None:
        parts.append(say("rule_budget", locale, level=BUDGET_LEVELS[rule.min_budget].text(locale)))
    if rule.min_intent is not None:
        parts.append(say("rule_intent", locale, level=INTENT_LEVELS[rule.min_intent].text(locale)))
    if rule.max_cycle is not None:
        parts.append(say("rule_cycle", locale, days=f"{rule.max_cycle:g}"))
    criteria = ", ".join(parts) or say("rule_rest", locale)
    return say("rule_line", locale, grade=rule.grade, criteria=criteria, days=rule.interval)


def _layout_line(title: str, layout: SheetLayout, locale: str) -> str:
    """What --apply does to the follow-up tab's view and printing, said in one line."""
    columns = layout.freeze[1] if layout.freeze else 0
    frozen = (
        say("adopt_frozen_names", locale, columns=f"A-{column_letter(columns)}")
        if columns
        else say("adopt_frozen_header", locale)
    )
    return say("adopt_layout", locale, title=title, frozen=frozen, ref=layout.filter_ref())


def plan_lines(result: AdoptPlan) -> list[str]:
    """The plan as printed, in the sheet's language."""
    lc = result.locale
    lines = [
        say("adopt_tab", lc, which=say(f"tab_{k}", lc), title=t) for k, t in result.tabs.items()
    ]
    for column in result.columns:
        target = FOLLOWUPS.column(column.key).text(lc) if column.key else ""
        lines.append(
            "  "
            + say(
                f"adopt_{column.action}",
                lc,
                cell=column.cell,
                header=column.header,
                target=target,
                filled=column.filled,
                new=column.new_header,
            )
        )
    lines += [
        say("adopt_new_tab", lc, title=t, rows=len(r) - 1) for t, r in result.new_tabs.items()
    ]
    lines += [_layout_line(t, layout, lc) for t, layout in result.layout.items()]
    if result.rules:
        lines.append(say("adopt_rules", lc))
        lines += ["  " + r for r in result.rules]
    if result.plans:
        lines.append(say("adopt_plans", lc))
        lines += ["  " + p for p in result.plans]
    lines += result.lifecycle
    if result.settings_lines:
        lines.append(say("adopt_settings", lc))
        lines += ["  " + s for s in result.settings_lines]
    lines += [say("adopt_problem", lc, text=p) for p in result.problems]
    if result.ok:  # applied: the tabs written whole (the report counts the cells)
        lines.append(say("adopt_cells", lc, count=len(result.cells)))
        lines += ["  " + c for c in result.cells]
    return lines
