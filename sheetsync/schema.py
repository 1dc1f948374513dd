"""Every tab, column, status and level of the workbook contract (SPEC.md), in both languages.

Code refers to things by their English key; what people see is looked up here, so a header
or a status word is spelled in exactly one place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

LOCALES = ("zh", "en")


def normalise_header(text: object) -> str:
    """Headers match whatever their case, spacing or full-/half-width punctuation."""
    folded = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return re.sub(r"[\s\W_]+", "", folded)


@dataclass(frozen=True)
class Term:
    """A word shown to people, with the spellings accepted when reading it back."""

    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()

    def text(self, locale: str) -> str:
        return self.zh if locale == "zh" else self.en

    def spellings(self) -> tuple[str, ...]:
        return (self.zh, self.en, *self.aliases)


@dataclass(frozen=True)
class Tab:
    key: str
    zh: str
    en: str
    columns: tuple[Term, ...]
    required: tuple[str, ...] = ()

    def title(self, locale: str) -> str:
        return self.zh if locale == "zh" else self.en

    def column(self, key: str) -> Term:
        return next(c for c in self.columns if c.key == key)

    def headers(self, locale: str) -> list[str]:
        return [c.text(locale) for c in self.columns]


def _terms(*rows: tuple[str, ...]) -> tuple[Term, ...]:
    return tuple(Term(key, zh, en, tuple(aliases)) for key, zh, en, *aliases in rows)


PEOPLE_COLUMNS = _terms(
    ("customer_id", "客户编号", "Customer ID", "客户ID", "ID"),
    ("customer", "客户名称", "Customer", "Customer name", "客户"),
    ("industry", "行业", "Industry"),
    ("contact", "联系人及职务", "Contact", "联系人"),
    ("phone", "联系方式", "Phone/Email", "Phone", "电话"),
    ("lead_source", "线索来源", "Lead source"),
    ("stage", "销售阶段", "Stage"),
    ("intent", "意向度", "Intent"),
    ("budget", "预算情况", "Budget"),
    ("decision_cycle", "决策周期", "Decision cycle"),
    ("last_contact", "上次跟进日期", "Last contact"),
    ("method", "跟进方式", "Method"),
    ("summary", "跟进内容摘要", "Summary"),
    ("feedback", "客户反馈/需求变化", "Feedback", "客户反馈"),
    ("owner", "负责人", "Owner"),
    ("agreed_date", "约定跟进日期", "Agreed date"),
    ("paused_until", "暂缓至", "Paused until"),
    ("grade_override", "指定等级", "Grade override"),
    ("contract_end", "合同到期日", "Contract end"),
    ("birthday", "生日/纪念日", "Birthday", "生日"),
    ("notes", "备注", "Notes"),
)
SYNC_COLUMNS = _terms(
    ("grade", "客户等级", "Grade"),
    ("next_date", "下次跟进日期", "Next follow-up"),
    ("task", "跟进任务", "Task"),
    ("status", "状态", "Status"),
    ("check", "校验提示", "Check"),
)

FOLLOWUPS = Tab(
    "followups",
    "客户跟进",
    "Follow-ups",
    PEOPLE_COLUMNS + SYNC_COLUMNS,
    required=("customer_id", "customer", "owner"),
)
GRADING = Tab(
    "grading",
    "分级标准",
    "Grading",
    _terms(
        ("grade", "等级", "Grade"),
        ("min_budget", "预算情况至少", "Budget at least"),
        ("min_intent", "意向度至少", "Intent at least"),
        ("max_cycle", "决策周期上限(天)", "Max decision cycle (days)"),
        ("interval", "跟进间隔(天)", "Interval (days)"),
        ("method", "跟进方式", "Method"),
        ("action", "核心动作", "Core action"),
        ("escalate_after", "逾期升级(天)", "Escalate after (days)"),
    ),
    required=("grade", "interval"),
)
TEAM = Tab(
    "team",
    "团队",
    "Team",
    _terms(
        ("owner", "负责人", "Owner", "姓名", "Name"),
        ("email", "邮箱", "Email", "电子邮件"),
        ("manager", "上级", "Manager", "经理"),
        ("role", "角色", "Role"),
    ),
    required=("owner",),
)
SUMMARY = Tab("summary", "汇总", "Summary", ())
TASK_LOG = Tab(
    "task_log",
    "任务记录",
    "Task log",
    _terms(
        ("customer_id", "客户编号", "Customer ID"),
        ("due_date", "到期日期", "Due date"),
        ("owner", "负责人", "Owner"),
        ("grade", "等级", "Grade"),
        ("state", "任务状态", "State"),
        ("created", "创建日期", "Created"),
        ("basis", "创建时上次跟进", "Last contact at creation"),
        ("done_on", "完成日期", "Done on"),
        ("reminded_at", "提醒时间", "Reminded at"),
        ("escalated_at", "升级时间", "Escalated at"),
    ),
    required=("customer_id", "due_date"),
)
SYNC_LOG = Tab(
    "sync_log",
    "同步日志",
    "Sync log",
    _terms(
        ("run_at", "运行时间", "Run at"),
        ("run_date", "同步日期", "Run date"),
        ("rows", "读取行数", "Rows read"),
        ("invalid", "无效行", "Invalid rows"),
        ("due_today", "今日跟进", "Due today"),
        ("overdue", "已逾期", "Overdue"),
        ("cells", "写入单元格", "Cells written"),
        ("result", "结果", "Result"),
        ("message", "说明", "Message"),
    ),
)
TABS = (FOLLOWUPS, GRADING, TEAM, SUMMARY, TASK_LOG, SYNC_LOG)
TABS_BY_KEY = {t.key: t for t in TABS}

STATUSES = _terms(
    ("incomplete", "资料不全", "Incomplete"),
    ("paused", "暂缓", "Paused"),
    ("overdue", "已逾期", "Overdue"),
    ("due_today", "今日跟进", "Due today"),
    ("pending", "待跟进", "Pending"),
)
TASK_STATES = _terms(
    ("open", "待办", "Open"),
    ("done", "已完成", "Done"),
    ("cancelled", "已取消", "Cancelled"),
)
# Ordered lowest first: the index is the level used when comparing against the grading tab.
INTENT_LEVELS = _terms(("low", "低", "low"), ("medium", "中", "medium"), ("high", "高", "high"))
BUDGET_LEVELS = _terms(
    ("unknown", "未定", "unknown"),
    ("preliminary", "初步确认", "preliminary"),
    ("clear", "明确", "clear"),
)
STAGES = _terms(
    ("lead", "线索获取", "Lead"),
    ("contacted", "初步接触", "First contact"),
    ("needs", "需求确认", "Needs confirmed"),
    ("proposal", "方案展示", "Proposal"),
    ("negotiation", "商务谈判", "Negotiation"),
    ("contract", "合同签署", "Contract"),
    ("won", "成交维护", "Won"),
)
PAUSE_FOREVER = ("是", "yes", "y", "true")


def term_lookup(terms: tuple[Term, ...]) -> dict[str, Term]:
    """Map every accepted spelling (normalised) to its term."""
    return {normalise_header(s): t for t in terms for s in t.spellings()}


def term_text(terms: tuple[Term, ...], key: str, locale: str) -> str:
    return next(t for t in terms if t.key == key).text(locale)


SUMMARY_LABELS = _terms(
    ("title", "客户跟进汇总", "Follow-up summary"),
    ("as_of", "统计日期", "As of"),
    ("by_grade", "按等级", "By grade"),
    ("by_status", "按状态", "By status"),
    ("by_owner", "按负责人", "By owner"),
    ("funnel", "销售漏斗", "Sales funnel"),
    ("longest_overdue", "逾期最久的客户", "Longest overdue"),
    ("grade", "等级", "Grade"),
    ("status", "状态", "Status"),
    ("stage", "阶段", "Stage"),
    ("owner", "负责人", "Owner"),
    ("customers", "客户数", "Customers"),
    ("share", "占比", "Share"),
    ("due_today", "今日跟进", "Due today"),
    ("overdue", "已逾期", "Overdue"),
    ("done_7d", "近7天完成", "Done (7 days)"),
    ("on_time_30d", "30天按时完成率", "On time (30 days)"),
    ("at_stage", "当前客户数", "At this stage"),
    ("reached", "累计到达", "Reached"),
    ("conversion", "转化率(到下一阶段)", "Conversion to next"),
    ("other_stage", "未填写/其他", "Blank/other"),
    ("customer_id", "客户编号", "Customer ID"),
    ("customer", "客户名称", "Customer"),
    ("days_overdue", "逾期天数", "Days overdue"),
)
