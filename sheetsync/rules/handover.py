"""Handover: customers whose 负责人 left the team tab, and who hears of them.

A salesperson removed from 团队 still owns their customers until someone reassigns them. The
sync cannot mail them (no address), so instead of a failed digest every day it reports them,
with their customers, to the manager they had (their 上级 as last recorded in 跟进历史) or,
when that is not known, to every manager (everyone named as someone's 上级 or whose 角色 is
经理 / manager), in the escalation mail and the 汇总 tab, until the customers are reassigned.
Their overdue tasks are escalated to the same people.

Moving a reassigned customer's open tasks is the task log's job (`tasks.hand_over`); the
handover row is the history's (`history.update_history`).
"""

from __future__ import annotations

from typing import Protocol, TypedDict

import pandas as pd

from sheetsync.workbook.messages import lang, say
from sheetsync.workbook.parsing import cell_text, is_blank, map_unique
from sheetsync.workbook.schema import MANAGER_ROLES, normalise_header
from sheetsync.workbook.tables import Section, Sheet

_ROLES = {normalise_header(r) for r in MANAGER_ROLES}


def all_managers(team: Sheet | None) -> list[str]:
    """Everyone who is someone's 上级 or whose 角色 says manager, in the team tab's order."""
    if team is None or team.frame.empty:
        return []
    frame = team.frame
    named = {cell_text(v) for v in frame["manager"]} - {""}
    found = [
        cell_text(o)
        for o, role in zip(frame["owner"], frame["role"], strict=True)
        if not is_blank(o) and (cell_text(o) in named or normalise_header(role) in _ROLES)
    ]
    return list(dict.fromkeys([*found, *sorted(named - set(found))]))


def team_managers(team: Sheet | None) -> dict[str, str]:
    """Each team member's 上级 ("" for none): what a history row records with its owner."""
    if team is None or team.frame.empty:
        return {}
    return {
        cell_text(o): cell_text(m)
        for o, m in zip(team.frame["owner"], team.frame["manager"], strict=True)
        if not is_blank(o)
    }


def orphans(
    board: pd.DataFrame, team: list[str], former: dict[str, str], managers: list[str]
) -> pd.DataFrame:
    """One row per customer whose 负责人 is not in the team tab (none when the sync has no
    team tab: then nobody is "in" it): owner, customer_id, customer, `former` (the owner's
    上级 as `former` remembers it, if still in the team: someone who left; "" for a name the
    sync never knew, most likely a typo, which stays a row to fix) and `report_to`, the
    managers whom their overdue tasks go to (the former 上级, else every manager)."""
    columns = ["owner", "customer_id", "customer", "former", "report_to"]
    if not team:
        return pd.DataFrame(columns=columns)
    members = {normalise_header(n) for n in team}
    owner = map_unique(board["owner"], cell_text)
    gone = (owner != "") & ~map_unique(owner, lambda o: normalise_header(o) in members).astype(bool)
    if "lost" in board:  # a lost deal needs no new owner
        gone &= ~board["lost"].astype(bool)
    left = board[gone]
    frame = pd.DataFrame(
        {
            "owner": owner[gone],
            "customer_id": left["customer_id"],
            "customer": map_unique(left["customer"], cell_text),
        }
    )

    def known(name: str) -> str:
        manager = former.get(name, "")
        return manager if normalise_header(manager) in members else ""

    frame["former"] = frame["owner"].map(known)
    frame["report_to"] = frame["former"].map(lambda m: (m,) if m else tuple(managers))
    return frame.sort_values("owner", kind="stable")[columns].reset_index(drop=True)


class OrphanCustomer(TypedDict):
    customer_id: str
    customer: str


class Orphans(TypedDict):
    """An owner no longer in the team: their customers, and who hears of them."""

    owner: str
    count: int
    report_to: list[str]
    customers: list[OrphanCustomer]


class Labels(Protocol):
    """The summary tab's words for `keys`, in the workbook's language (summary._Labels)."""

    def __call__(self, *keys: str) -> list[str]: ...


def by_owner(found: pd.DataFrame) -> list[Orphans]:
    """Each orphaned owner with their customers and who hears of them, for mail and notes."""
    groups: list[Orphans] = []
    for name, mine in found.groupby("owner", sort=True):
        groups.append(
            {
                "owner": str(name),
                "count": len(mine),
                "report_to": list(mine["report_to"].iloc[0]),
                "customers": [
                    {"customer_id": i, "customer": c}
                    for i, c in zip(mine["customer_id"], mine["customer"], strict=True)
                ],
            }
        )
    return groups


def orphan_section(found: pd.DataFrame | None, label: Labels) -> Section:
    """The 汇总 tab's section: each owner not in the team, how many customers they still
    hold, and those customers by id and name (one row each), from `orphans()`. Empty when
    there are none, so the section only appears while someone has to act."""
    if found is None or found.empty:
        return []
    rows: Section = []
    for group in by_owner(found):
        for i, item in enumerate(group["customers"]):
            first = i == 0
            rows.append(
                [
                    group["owner"] if first else "",
                    group["count"] if first else "",
                    item["customer_id"],
                    item["customer"],
                ]
            )
    header = label("owner", "orphan_customers", "customer_id", "customer")
    return [label("orphans"), header, *rows]


def orphan_notes(orphaned: pd.DataFrame, locale: str) -> list[str]:
    """One line per owner who left the team: instead of a failed digest every day."""
    return [
        say(
            "orphan_owner",
            locale,
            owner=group["owner"],
            count=group["count"],
            managers=("、" if lang(locale) == "zh" else ", ").join(group["report_to"])
            or say("orphan_nobody", locale),
        )
        for group in by_owner(orphaned)
    ]
