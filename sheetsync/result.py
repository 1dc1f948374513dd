"""What one run computed (`pipeline.compute`), before anything is written: what the plan,
the report and the reminders are made from. Its own module, so the report and delivery can
name it without importing the pipeline that imports them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sheetsync.rules.grading import GradeRule
from sheetsync.rules.recipients import Recipients
from sheetsync.rules.summary import Summary
from sheetsync.rules.value import ValueRules
from sheetsync.workbook.edits import Edits
from sheetsync.workbook.schema import Tab
from sheetsync.workbook.validate import Validation


@dataclass
class Result:
    """What one run computed; nothing written yet."""

    validation: Validation
    rules: list[GradeRule]
    computed: pd.DataFrame  # the sync-owned columns, by key; one row per follow-up row
    board: pd.DataFrame  # one row per customer, status as keys, for counting
    log: pd.DataFrame
    summary: Summary
    notes: list[str]
    stage_log: pd.DataFrame
    value_rules: ValueRules
    edits: Edits
    history: pd.DataFrame  # 跟进历史, this run's rows appended
    history_known: int  # how many of its rows the tab held: the rest are appended
    history_kept: pd.DataFrame  # 同步快照's history keys, per follow-up row
    stages_known: int  # the same for 阶段记录
    orphans: pd.DataFrame  # customers whose owner left the team (handover)
    forecast_log: pd.DataFrame  # 预测记录, this month's rows included
    added_blocks: list[Tab]  # 价值分级 blocks the tab lacked
    note_read: pd.Series  # what was read of each note (rules/attention.py)
    class_log: pd.DataFrame  # 分类记录, this run's rows appended (classes.py)
    classes_known: int  # how many of its rows the tab held
    recipients: Recipients | None = None  # who receives each member's mail (rules/recipients)
