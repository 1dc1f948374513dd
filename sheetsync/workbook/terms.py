"""The words the workbook shows people (statuses, levels, stages, health, summary labels) and
the machinery to spell each in every language and match it whatever its case, spacing,
punctuation or script. Every word is spelled here once; code refers to it by its key."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from sheetsync.workbook.messages import EN, ZH, ZH_HANT, in_script, lang, simplified

LOCALES = (ZH, ZH_HANT, EN)


@lru_cache(maxsize=65536)
def normalise_header(text: object) -> str:
    """Headers and words match whatever their case, spacing, full-/half-width punctuation or
    script: 客戶編號 is 客户编号."""
    folded = simplified(unicodedata.normalize("NFKC", str(text or ""))).casefold()
    return re.sub(r"[\s\W_]+", "", folded)


@dataclass(frozen=True)
class Term:
    """A word shown to people, with the spellings accepted when reading it back."""

    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()

    def text(self, locale: str) -> str:
        """As the workbook writes it: English, 简体, or 繁體 for a traditional workbook."""
        return self.en if lang(locale) == EN else in_script(self.zh, locale)

    def spellings(self) -> tuple[str, ...]:
        return (self.zh, self.en, *self.aliases)


@dataclass(frozen=True)
class Tab:
    key: str
    zh: str
    en: str
    columns: tuple[Term, ...]
    required: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other titles the playbooks give this tab
    read_only: tuple[str, ...] = ()  # columns read when present, never written by `init`

    def title(self, locale: str) -> str:
        return self.en if lang(locale) == EN else in_script(self.zh, locale)

    def titles(self) -> tuple[str, ...]:
        return (self.zh, self.en, *self.aliases)

    def column(self, key: str) -> Term:
        return next(c for c in self.columns if c.key == key)

    def headers(self, locale: str) -> list[str]:
        return [c.text(locale) for c in self.columns if c.key not in self.read_only]


def _terms(*rows: tuple[str, ...]) -> tuple[Term, ...]:
    return tuple(Term(key, zh, en, tuple(aliases)) for key, zh, en, *aliases in rows)


HEALTH_SETTINGS = _terms(
    ("churn_days", "流失:未联系天数", "Churned: days without contact"),
    (
        "overdue_workdays",
        "预警:逾期超过工作日数(空=逾期升级天数)",
        "Warning: overdue by more than (workdays; blank: escalate after)",
        "预警:逾期超过工作日数",
        "Warning: overdue by more than (workdays)",
    ),
    ("purchase_drop", "预警:采购额下降至少", "Warning: purchases down by at least"),
    ("no_response", "预警:连续无回应次数", "Warning: follow-ups in a row without response"),
    ("wake_up_days", "流失客户唤醒间隔(天)", "Churned: wake-up touch every (days)"),
)
# Health settings of earlier versions, still read (a workbook keeps its tab) and ignored:
# "days without contact, times the interval" counted calendar days since the last contact,
# which `overdue_workdays` replaces (rules/health.py).
RETIRED_HEALTH_SETTINGS = _terms(
    (
        "warn_factor",
        "预警:未联系超过跟进间隔的倍数",
        "Warning: days without contact, times the interval",
    ),
)
HEALTH = _terms(
    ("churned", "流失", "Churned"),
    ("warning", "预警", "Warning"),
    ("healthy", "健康", "Healthy"),
)
RELATIONSHIPS = _terms(
    ("strategic", "战略伙伴", "Strategic partner"),
    ("long_term", "长期合作", "Long-term"),
    ("growing", "成长合作", "Growing"),
    ("new", "新接触", "New contact"),
)
# 团队's 职级 (owner fit, issue 24 item 4; rules/owner_fit.py), lowest first: the index is the
# level compared with what a grade (分级标准's 负责人要求) or a value class (价值分级's
# 成交维护策略, its optional 负责人要求 column) asks for. Titles that are one step share a term,
# as its aliases (资深销售 and 客户经理 both meet "资深销售/客户经理"). The one place the order
# is defined: add a title as an alias of its step, or a step where it belongs.
OWNER_LEVELS = _terms(
    ("assistant", "销售助理", "Sales assistant", "助理", "实习销售", "Sales intern"),
    ("junior", "初级销售", "Junior sales", "销售", "销售专员", "销售代表", "Sales", "Sales rep"),
    ("intermediate", "中级销售", "Intermediate sales", "Mid-level sales"),
    (
        "senior",
        "资深销售",
        "Senior sales",
        "高级销售",
        "客户经理",
        "大客户经理",
        "Account manager",
        "Key account manager",
    ),
    ("manager", "销售经理", "Sales manager", "销售主管", "销售总监", "Sales director"),
)
RESPONSES = _terms(("responded", "有回应", "Responded"), ("none", "无回应", "No response"))
# Words in 跟进内容摘要 / 客户反馈 that record a contact attempt nobody answered.
NO_RESPONSE_WORDS = (
    "无回应",
    "未回应",
    "没回应",
    "未接通",
    "没接",
    "未接",
    "未回复",
    "没回复",
    "不回复",
    "联系不上",
    "no response",
    "no answer",
    "unanswered",
    "no reply",
)


STATUSES = _terms(
    ("incomplete", "资料不全", "Incomplete"),
    ("paused", "暂缓", "Paused"),
    ("overdue", "已逾期", "Overdue"),
    ("due_today", "今日跟进", "Due today"),
    ("pending", "待跟进", "Pending"),
    # 输单: the deal is lost and off the daily list (no next date, no task, never overdue).
    ("lost", "已输单", "Lost"),
)
TASK_STATES = _terms(
    ("open", "待办", "Open"),
    ("done", "已完成", "Done"),
    ("cancelled", "已取消", "Cancelled"),
    # A 客户关怀 or 续约跟进 whose day passed undone: counted against the completion rate.
    ("missed", "已错过", "Missed"),
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
    # 赢单/成交 end the sales cycle: maintenance (价值分级's 成交维护策略) takes over.
    ("won", "成交维护", "Won", "赢单", "成交", "已成交", "已赢单", "Closed won"),
    # Off the funnel's ladder (OFF_FUNNEL): a lost deal leaves the daily list, a nurtured
    # one gets a light monthly touch (价值分级's 培育池策略).
    ("lost", "输单", "Lost", "丢单", "已输单", "失败", "已丢单", "Closed lost"),
    ("nurture", "培育池", "Nurture", "培育", "培育中"),
)
# The stages a deal climbs, in order: the funnel and conversion count only these.
OFF_FUNNEL = ("lost", "nurture")
FUNNEL_STAGES = tuple(t for t in STAGES if t.key not in OFF_FUNNEL)
PAUSE_FOREVER = ("是", "yes", "y", "true")
YES_WORDS = PAUSE_FOREVER

# Issue 24, items 1-3 (lifecycle): how a contact was made, as a plan's step names it and as
# 跟进方式 records it (rules/plans.py matches a contact to the step it completes by these).
METHOD_KINDS = _terms(
    ("phone", "电话", "Call", "致电", "通话", "电联", "call", "phone"),
    ("visit", "面谈", "Visit", "上门", "拜访", "面访", "见面", "互访", "走访", "visit", "meeting"),
    ("mail", "邮件", "Email", "资料", "案例", "email", "mail", "material"),
    ("wechat", "微信", "WeChat", "wechat"),
    ("push", "推送", "Push", "触达", "短信", "push", "touch"),
)
# What a 合作状态 / 当前状态 / 客户状态 cell says of the customer: an existing customer is
# maintained by its class's plan, a prospect graded as a lead, a lost one churned.
CUSTOMER_STATES = _terms(
    (
        "active",
        "合作中",
        "Active",
        "已合作",
        "成交",
        "已成交",
        "维护中",
        "在合作",
        "合作",
        "active",
    ),
    ("prospect", "待转化", "Prospect", "潜在", "潜在客户", "prospect", "potential"),
    ("lost", "流失", "Lost", "已流失", "lost", "churned"),
)


def term_lookup(terms: tuple[Term, ...]) -> dict[str, Term]:
    """Map every accepted spelling (normalised) to its term."""
    return {normalise_header(s): t for t in terms for s in t.spellings()}


def summary_words(locale: str) -> dict[str, str]:
    """Every word of the summary tab (SUMMARY_LABELS) by key, in `locale`."""
    return {t.key: t.text(locale) for t in SUMMARY_LABELS}


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
    ("status", "状态", "Status", "当前状态", "跟进状态"),
    ("stage", "阶段", "Stage"),
    ("owner", "负责人", "Owner", "维护责任人", "责任人", "跟进人", "销售负责人"),
    ("customers", "客户数", "Customers"),
    ("share", "占比", "Share"),
    ("due_today", "今日跟进", "Due today"),
    ("overdue", "已逾期", "Overdue"),
    ("done_7d", "近7天完成", "Done (7 days)"),
    ("on_time_30d", "30天按时完成率", "On time (30 days)"),
    ("at_stage", "当前客户数", "At this stage"),
    ("reached", "累计到达", "Reached"),
    ("conversion", "转化率(到下一阶段)", "Conversion to next"),
    ("median_days", "在本阶段天数(中位)", "Days in stage (median)"),
    ("other_stage", "未填写/其他", "Blank/other"),
    ("customer_id", "客户编号", "Customer ID"),
    ("customer", "客户名称", "Customer"),
    ("days_overdue", "逾期天数", "Days overdue"),
    ("by_value", "按价值分类", "By value class"),
    ("value_class", "分类", "Class"),
    ("amount", "年合作金额(万元)", "Annual amount (10k CNY)"),
    ("amount_share", "金额占比", "Amount share"),
    ("unclassified", "未分类(无价值数据)", "Unclassified (no value data)"),
    ("by_health", "按健康度", "By health"),
    ("health", "健康度", "Health"),
    ("not_rated", "未评估(资料不全)", "Not rated (incomplete)"),
    ("stalled", "停滞商机(按负责人和阶段)", "Stalled deals (by owner and stage)"),
    ("total", "合计", "Total"),
    ("continued", "(续)", " (continued)"),
    ("chart_grades", "客户等级分布", "Customers by grade"),
    ("chart_funnel", "销售漏斗(进入客户数)", "Sales funnel (entered)"),
    ("chart_overdue", "各负责人逾期数", "Overdue by owner"),
    # handover (rules/handover.py): owners who left the team tab, until reassigned
    ("orphans", "不在团队表的负责人(客户待改派)", "Owners not in the team tab (reassign)"),
    ("orphan_customers", "名下客户数", "Their customers"),
    # won, lost, nurture and conversion from the stage history (rules/conversion.py)
    ("lost_stage", "输单", "Lost"),
    ("nurture_stage", "培育池", "Nurture"),
    ("stage_conversion", "阶段转化(按阶段记录)", "Stage conversion (from the stage history)"),
    ("entered", "进入客户数", "Entered"),
    ("advanced", "推进到后续阶段", "Moved on"),
    ("advance_rate", "推进率", "Moved-on rate"),
    ("reached_won", "最终赢单", "Won"),
    ("won_rate", "赢单率", "Win from here"),
    ("days_median", "推进天数(中位)", "Days to move on (median)"),
    ("days_mean", "推进天数(平均)", "Days to move on (mean)"),
    ("outcomes_owner", "赢单/输单(按负责人)", "Won and lost (by owner)"),
    ("outcomes_source", "赢单/输单(按线索来源)", "Won and lost (by lead source)"),
    ("outcomes_industry", "赢单/输单(按行业)", "Won and lost (by industry)"),
    ("lead_source", "线索来源", "Lead source"),
    ("industry", "行业", "Industry"),
    ("won", "赢单", "Won"),
    ("lost", "输单", "Lost"),
    ("win_rate", "赢率", "Win rate"),
    ("cycle_days", "平均成交周期(天)", "Average cycle (days)"),
    ("blank", "未填写", "Blank"),
    ("other_group", "其他", "Other"),
    # forecast (rules/forecast.py)
    ("forecast_month", "加权预测(按预计成交月份)", "Weighted forecast (by expected close month)"),
    ("forecast_owner", "加权预测(按负责人对比上月)", "Forecast by owner, against last month"),
    ("month", "月份", "Month"),
    ("deals", "商机数", "Deals"),
    ("expected", "预计金额(万元)", "Expected (10k CNY)"),
    ("weighted", "加权金额(万元)", "Weighted (10k CNY)"),
    ("last_month", "上月加权(万元)", "Last month (10k CNY)"),
    ("change", "变化", "Change"),
    ("no_close_date", "未填预计日期", "No expected date"),
    ("past_close_date", "预计日期已过", "Expected date passed"),
    ("chart_trend", "逾期客户数走势", "Overdue customers, day by day"),
    ("chart_pipeline", "加权商机(按月)", "Weighted pipeline by month"),
    ("trend", "本周与上周", "This week against last week"),
    ("measure", "指标", "Measure"),
    ("this_week", "本周", "This week"),
    ("last_week", "上周", "Last week"),
    ("overdue_avg", "逾期客户数(日均)", "Overdue customers (daily average)"),
    ("done_week", "完成任务数", "Tasks done"),
    ("on_time_week", "按时完成率", "Done on time"),
    ("daily", "每日跟进与逾期", "Due and overdue by day"),
    ("date", "日期", "Date"),
    # issue 24 items 4-6 (rules/owner_fit.py, rules/classes.py, rules/late_records.py)
    ("owner_fit", "负责人职级不匹配", "Owners below what their customers ask for"),
    ("level", "职级", "Level"),
    ("grade_or_class", "等级/分类", "Grade/class"),
    ("asks_for", "负责人要求", "Asks for"),
    ("class_moves", "分类变动(按季度)", "Class movement (by quarter)"),
    ("quarter", "季度", "Quarter"),
    ("from_class", "原分类", "From"),
    ("to_class", "新分类", "To"),
    ("direction", "方向", "Direction"),
    ("moved_up", "升级", "Up"),
    ("moved_down", "降级", "Down"),
    ("moved_across", "变动", "Changed"),
    ("customers_moved", "客户", "Who"),
    ("churn_class", "流失率(按分类, 季度)", "Churn by class (by quarter)"),
    ("churn_tier", "流失率(按客户关系, 季度)", "Churn by relationship (by quarter)"),
    ("relationship", "客户关系", "Relationship"),
    ("at_start", "季初客户数", "At quarter start"),
    ("churned_count", "流失数", "Churned"),
    ("churn_rate", "流失率", "Churn rate"),
    ("class_mix", "分类占比", "Class mix"),
    ("now_count", "当前客户数", "Now"),
    ("customer_share", "客户占比", "Customer share"),
    (
        "late_records",
        "补录跟进(晚于1个工作日录入, 近30天)",
        "Contacts recorded late (over 1 workday, 30 days)",
    ),
    ("recorded_30d", "录入跟进数", "Contacts recorded"),
    ("late_count", "补录数", "Recorded late"),
    ("late_share", "补录占比", "Late share"),
    ("late_most", "最多晚(工作日)", "Latest (workdays)"),
    # the numbers a manager acts on (rules/performance.py; issue 25, item 3)
    ("by_period", "业绩(按期间)", "Results by period"),
    ("this_month", "本月", "This month"),
    ("this_quarter", "本季度", "This quarter"),
    ("last_quarter", "上季度", "Last quarter"),
    ("to_date", "累计", "To date"),
    ("won_amount", "赢单金额(万元)", "Won revenue (10k CNY)"),
    ("new_deals", "新增商机", "New deals"),
    ("activities", "跟进次数", "Activities"),
    ("by_rep", "销售业绩(按负责人)", "Sales by rep"),
    ("won_quarter", "本季度赢单", "Won this quarter"),
    ("won_amount_quarter", "本季度赢单金额(万元)", "Won revenue this quarter (10k CNY)"),
    ("goal", "季度目标(万元)", "Quarterly goal (10k CNY)"),
    ("goal_progress", "目标完成率", "Goal reached"),
    ("won_to_date", "累计赢单", "Won to date"),
    ("won_amount_to_date", "累计赢单金额(万元)", "Won revenue to date (10k CNY)"),
    ("activities_month", "本月跟进次数", "Activities this month"),
    ("activities_quarter", "本季度跟进次数", "Activities this quarter"),
    ("lost_reasons", "输单原因排行", "Lost reasons, ranked"),
    ("lost_reason", "输单原因", "Lost reason"),
    ("lost_amount", "输单金额(万元)", "Lost value (10k CNY)"),
    ("lost_here", "在此阶段输单", "Lost at this stage"),
    ("pipeline_stage", "商机金额(按阶段)", "Pipeline value by stage"),
    ("new_by_week", "每周新增商机", "New deals per week"),
    ("week_of", "周(周一)", "Week of (Monday)"),
    ("chart_pipeline_stage", "各阶段商机金额(万元)", "Pipeline by stage (10k CNY)"),
    ("chart_new_deals", "每周新增商机", "New deals per week"),
)
# 团队's 角色 values that make someone a manager even when nobody names them as 上级: who
# hears of an owner who left the team when their own 上级 is not known.
MANAGER_ROLES = ("经理", "主管", "总监", "销售经理", "manager", "sales manager", "director")
