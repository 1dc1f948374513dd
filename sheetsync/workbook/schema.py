"""Every tab and column of the workbook contract (docs/workbook.md), in both languages, with
the spellings accepted when reading them; the words shown in cells are in terms.py.

Code refers to things by their English key; what people see is looked up here, so a header
is spelled in exactly one place.
"""

from __future__ import annotations

# The words are re-exported with the tabs: `import X as X` is the explicit re-export type
# checkers and linters recognise, one per line as the import sorter keeps them.
from sheetsync.workbook.terms import BUDGET_LEVELS as BUDGET_LEVELS
from sheetsync.workbook.terms import CUSTOMER_STATES as CUSTOMER_STATES
from sheetsync.workbook.terms import FUNNEL_STAGES as FUNNEL_STAGES
from sheetsync.workbook.terms import HEALTH as HEALTH
from sheetsync.workbook.terms import HEALTH_SETTINGS as HEALTH_SETTINGS
from sheetsync.workbook.terms import INTENT_LEVELS as INTENT_LEVELS
from sheetsync.workbook.terms import LOCALES as LOCALES
from sheetsync.workbook.terms import MANAGER_ROLES as MANAGER_ROLES
from sheetsync.workbook.terms import METHOD_KINDS as METHOD_KINDS
from sheetsync.workbook.terms import NO_RESPONSE_WORDS as NO_RESPONSE_WORDS
from sheetsync.workbook.terms import OFF_FUNNEL as OFF_FUNNEL
from sheetsync.workbook.terms import OWNER_LEVELS as OWNER_LEVELS
from sheetsync.workbook.terms import PAUSE_FOREVER as PAUSE_FOREVER
from sheetsync.workbook.terms import RELATIONSHIPS as RELATIONSHIPS
from sheetsync.workbook.terms import RESPONSES as RESPONSES
from sheetsync.workbook.terms import RETIRED_HEALTH_SETTINGS as RETIRED_HEALTH_SETTINGS
from sheetsync.workbook.terms import STAGES as STAGES
from sheetsync.workbook.terms import STATUSES as STATUSES
from sheetsync.workbook.terms import SUMMARY_LABELS as SUMMARY_LABELS
from sheetsync.workbook.terms import TASK_STATES as TASK_STATES
from sheetsync.workbook.terms import YES_WORDS as YES_WORDS
from sheetsync.workbook.terms import Tab as Tab
from sheetsync.workbook.terms import Term as Term
from sheetsync.workbook.terms import _terms
from sheetsync.workbook.terms import normalise_header as normalise_header
from sheetsync.workbook.terms import summary_words as summary_words
from sheetsync.workbook.terms import term_lookup as term_lookup
from sheetsync.workbook.terms import term_text as term_text

PEOPLE_COLUMNS = _terms(
    ("customer_id", "客户编号", "Customer ID", "客户ID", "ID"),
    ("customer", "客户名称", "Customer", "Customer name", "客户"),
    ("industry", "行业", "Industry"),
    ("contact", "联系人及职务", "Contact", "联系人", "联系人/职务"),
    ("phone", "联系方式", "Phone/Email", "Phone", "电话"),
    ("lead_source", "线索来源", "Lead source"),
    ("stage", "销售阶段", "Stage"),
    ("intent", "意向度", "Intent"),
    ("budget", "预算情况", "Budget"),
    ("decision_cycle", "决策周期", "Decision cycle"),
    ("last_contact", "上次跟进日期", "Last contact", "上次跟进时间", "Last follow-up"),
    ("method", "跟进方式", "Method"),
    ("summary", "跟进内容摘要", "Summary"),
    ("feedback", "客户反馈/需求变化", "Feedback", "客户反馈", "需求变化"),
    ("owner", "负责人", "Owner", "维护责任人", "责任人", "跟进人", "销售负责人"),
    ("agreed_date", "约定跟进日期", "Agreed date"),
    ("paused_until", "暂缓至", "Paused until"),
    ("grade_override", "指定等级", "Grade override"),
    ("contract_end", "合同到期日", "Contract end"),
    ("birthday", "生日/纪念日", "Birthday", "生日"),
    # Optional: what the value classification and health need (客户关系分类及维护清单).
    ("annual_amount", "年合作金额", "Annual amount", "合作金额"),
    ("margin", "利润率", "Margin", "毛利率"),
    ("renewal_rate", "续约率", "Renewal rate"),
    ("since", "合作开始日期", "Customer since", "合作开始时间"),
    ("product_lines", "产品线数", "Product lines", "合作产品线数"),
    ("potential", "潜力", "Potential", "发展潜力"),
    ("purchase_current", "本期采购额", "Purchases this period"),
    ("purchase_previous", "上期采购额", "Purchases last period"),
    ("churned", "已流失", "Churned", "流失"),
    ("notes", "备注", "Notes"),
)
# Optional: why a deal was lost, and the forecast (rules/conversion.py, rules/forecast.py).
# People's columns like the rest, but `init` puts them after the sync's columns, so the
# column letters of every tab made before them stay where people know them.
OUTCOME_COLUMNS = _terms(
    ("lost_reason", "输单原因", "Lost reason", "丢单原因"),
    ("expected_amount", "预计金额", "Expected amount", "预计成交金额", "商机金额"),
    ("expected_close", "预计成交日期", "Expected close date", "预计成交时间"),
    # The deal's start, where the sync did not see it (open before its first run): the
    # sales cycle counts from it (rules/conversion.py).
    ("first_contact", "首次接触日期", "First contact date", "首次接触时间", "首次联系日期"),
)
# Issue 24 (lifecycle): what the relationship checklist's 维护清单 types of a customer: its
# status (合作中 / 待转化 / 流失) and its class ("A类+高潜力+战略伙伴"), read when the sync cannot
# compute one. After the outcome columns, for the same reason. The checklist prints them with
# a hint in brackets; a column set aside by an earlier `adopt` ("…(手填)") is read too.
LIFECYCLE_COLUMNS = _terms(
    (
        "customer_state",
        "合作状态",
        "Customer status",
        "客户状态",
        "当前状态(如:合作中/流失/待转化)",
        "当前状态(手填)",
    ),
    ("class_label", "指定分类", "Class override", "客户分类(价值+潜力+关系)", "客户分类(手填)"),
)
BASE_PEOPLE_COLUMNS = PEOPLE_COLUMNS
PEOPLE_COLUMNS = BASE_PEOPLE_COLUMNS + OUTCOME_COLUMNS + LIFECYCLE_COLUMNS
RETIRED_STAGE_DAYS = ("阶段天数", "Days in stage")
# Sync-owned headers of an older version: still found, renamed to today's on the next sync.
RETIRED_HEADERS = {"stage_since": RETIRED_STAGE_DAYS}
SYNC_COLUMNS = _terms(
    ("grade", "客户等级", "Grade"),
    ("classification", "客户分类", "Classification"),
    ("health", "健康度", "Health"),
    # The day the deal entered its stage, not a day count: a count grows in every row every
    # day, so each daily sync would rewrite the whole column (and upload it to Google).
    # A sheet from before keeps its 阶段天数 column, renamed on the next sync (RETIRED).
    ("stage_since", "阶段开始日期", "Stage since", "进入阶段日期", *RETIRED_STAGE_DAYS),
    ("next_date", "下次跟进日期", "Next follow-up", "下次跟进时间"),
    ("task", "跟进任务", "Task"),
    ("status", "状态", "Status", "当前状态", "跟进状态"),
    ("check", "校验提示", "Check"),
)

FOLLOWUPS = Tab(
    "followups",
    "客户跟进",
    "Follow-ups",
    BASE_PEOPLE_COLUMNS + SYNC_COLUMNS + OUTCOME_COLUMNS + LIFECYCLE_COLUMNS,
    required=("customer_id", "customer", "owner"),
    aliases=(
        "客户跟进记录表",
        "客户跟进记录",
        "跟进记录",
        "客户跟进表",
        "客户关系分类及维护清单",
        "客户维护清单",
        "客户清单",
    ),
)
GRADING = Tab(
    "grading",
    "分级标准",
    "Grading",
    _terms(
        ("grade", "等级", "Grade", "分级", "客户等级", "客户分级"),
        ("min_budget", "预算情况至少", "Budget at least"),
        ("min_intent", "意向度至少", "Intent at least"),
        ("max_cycle", "决策周期上限(天)", "Max decision cycle (days)"),
        ("interval", "跟进间隔(天)", "Interval (days)", "跟进频率", "跟进间隔", "Frequency"),
        ("method", "跟进方式", "Method"),
        ("action", "核心动作", "Core action"),
        ("escalate_after", "逾期升级(天)", "Escalate after (days)"),
        # Issue 24: the plan as the playbook prints it ("每2-3天发送1次资料,每周1次电话沟通需求变化"),
        # read into steps (rules/plans.py); empty: one step, 跟进间隔 / 跟进方式 / 核心动作.
        ("plan", "跟进计划", "Plan"),
        # The playbook prints its table with one 核心标准 phrase per grade instead of the
        # three criteria columns ("预算明确,决策周期≤1个月"); either form is read.
        ("criteria", "核心标准", "Criteria", "分级标准"),
        ("owner_requirement", "负责人要求", "Owner requirement"),
    ),
    required=("grade", "interval"),
    read_only=("criteria", "owner_requirement"),
    aliases=("客户分级标准与跟进策略表", "客户分级标准", "分级标准表", "跟进策略"),
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
        # Chat reminders: the bots (named in the settings' channels.bots) that get this
        # person's own messages, and how a group message @-mentions them (DingTalk and WeCom
        # by mobile, Feishu/Lark by user id: open_id or user_id).
        ("channel", "通知渠道", "Channel", "消息渠道", "通知方式"),
        ("mobile", "手机", "Mobile", "手机号", "手机号码"),
        ("chat_id", "飞书ID", "Feishu ID", "飞书用户ID", "Lark ID", "open_id"),
        # Optional: the person's title, checked against 负责人要求 (terms.OWNER_LEVELS).
        ("level", "职级", "Level", "职位", "Title", "Job title"),
        # Optional: the rep's won revenue goal for a quarter, in yuan (汇总's 销售业绩).
        ("goal", "目标", "Goal", "季度目标", "业绩目标", "销售目标", "Quarterly goal", "Quota"),
    ),
    required=("owner",),
)
SUMMARY = Tab("summary", "汇总", "Summary", ())
# What a task in 任务记录 is for: the regular follow-up, or an occasion that pulled it earlier.
TASK_KINDS = _terms(
    ("followup", "常规跟进", "Follow-up"),
    ("renewal", "续约跟进", "Renewal"),
    ("care", "客户关怀", "Care"),
    ("complaint", "投诉处理", "Complaint"),
)
TASK_LOG = Tab(
    "task_log",
    "任务记录",
    "Task log",
    _terms(
        ("customer_id", "客户编号", "Customer ID"),
        ("due_date", "到期日期", "Due date"),
        ("owner", "负责人", "Owner", "维护责任人", "责任人", "跟进人", "销售负责人"),
        ("grade", "等级", "Grade"),
        ("state", "任务状态", "State"),
        ("created", "创建日期", "Created"),
        ("basis", "创建时上次跟进", "Last contact at creation"),
        ("done_on", "完成日期", "Done on"),
        ("reminded_at", "提醒时间", "Reminded at"),
        ("escalated_at", "升级时间", "Escalated at"),
        ("response", "客户回应", "Response"),
        ("kind", "任务类型", "Kind"),
        ("step", "计划步骤", "Plan step"),  # issue 24: the step of the plan the task is for
    ),
    required=("customer_id", "due_date"),
)
STAGE_LOG = Tab(
    "stage_log",
    "阶段记录",
    "Stage history",
    _terms(
        ("customer_id", "客户编号", "Customer ID"),
        ("stage", "销售阶段", "Stage"),
        ("since", "进入日期", "Since"),
    ),
    required=("customer_id", "stage"),
)
# 跟进历史: one row per contact the sync saw (a sheet row keeps only the latest), plus the
# first contact it found for each customer and every handover (负责人 changed). Append-only,
# like 阶段记录; the sync reads its own last row per customer to know what is new.
HISTORY_KINDS = _terms(
    ("contact", "跟进", "Contact"),
    ("first", "首次记录", "First seen"),
    ("handover", "交接", "Handover"),
)
HISTORY = Tab(
    "history",
    "跟进历史",
    "History",
    _terms(
        ("date", "跟进日期", "Date"),
        ("customer_id", "客户编号", "Customer ID"),
        ("customer", "客户名称", "Customer"),
        ("owner", "负责人", "Owner"),
        ("method", "跟进方式", "Method"),
        ("summary", "跟进内容摘要", "Summary"),
        ("feedback", "客户反馈", "Feedback"),
        ("stage", "销售阶段", "Stage"),
        ("grade", "客户等级", "Grade"),
        ("kind", "记录类型", "Kind"),
        # The owner's 上级 on the day: who to tell when the owner leaves the team tab.
        ("manager", "上级", "Manager"),
        ("recorded", "记录日期", "Recorded on"),
    ),
    required=("customer_id",),
)
# The 价值分级 tab holds small tables one under another, each under its title (like the
# summary), so a manager reads and edits it like a form. Each block is read like a tab.
VALUE_RULES = Tab("value_rules", "价值分级", "Value rules", ())
VALUE_BLOCKS = (
    Tab(
        "scoring",
        "评分指标",
        "Scoring",
        _terms(
            ("metric", "指标", "Metric"),
            ("points", "满分", "Points"),
            ("full_at", "满分线(A)", "Full points at (A)"),
            ("half_at", "半分线(B)", "Half points at (B)"),
        ),
        required=("metric", "points"),
    ),
    Tab(
        "bands",
        "分数段",
        "Score bands",
        _terms(
            ("value_class", "分类", "Class"),
            ("min_score", "最低分", "Score at least"),
        ),
        required=("value_class",),
    ),
    Tab(
        "relationship",
        "客户关系",
        "Relationship levels",
        _terms(
            ("relationship", "关系", "Relationship"),
            ("min_months", "合作月数至少", "Months at least"),
            ("min_lines", "产品线数至少", "Product lines at least"),
        ),
        required=("relationship",),
    ),
    Tab(
        "maintenance",
        "成交维护策略",
        "Maintenance (won customers)",
        _terms(
            ("value_class", "分类", "Class"),
            ("interval", "跟进间隔(天)", "Interval (days)"),
            ("method", "跟进方式", "Method"),
            ("action", "核心动作", "Core action"),
            # Optional, like 分级标准's: the 职级 a class's owner should have (owner fit).
            ("owner_requirement", "负责人要求", "Owner requirement", "维护责任人要求"),
            ("plan", "跟进计划", "Plan"),  # issue 24: steps, as in the grading tab
        ),
        required=("value_class", "interval"),
        read_only=("owner_requirement",),
    ),
    Tab(
        # Issue 24: after 成交, revisits a week, a month and a quarter on (each once), then the
        # class's maintenance plan.
        "revisits",
        "成交回访",
        "After-sale revisits",
        _terms(
            ("when", "成交后", "After the deal"),
            ("method", "跟进方式", "Method"),
            ("action", "核心动作", "Core action"),
        ),
        required=("when",),
    ),
    Tab(
        "health",
        "健康度",
        "Health",
        _terms(
            ("setting", "参数", "Setting"),
            ("value", "值", "Value"),
        ),
        required=("setting",),
    ),
    Tab(
        "stage_limits",
        "阶段时限",
        "Stage limits",
        _terms(
            ("stage", "阶段", "Stage"),
            ("days", "预期天数", "Expected days"),
        ),
        required=("stage",),
    ),
    Tab(
        # The forecast's weights: the playbook's stage table (rules/forecast.py).
        "success_rates",
        "阶段成功率",
        "Stage success rates",
        _terms(
            ("stage", "阶段", "Stage"),
            ("rate", "成功率", "Success rate"),
        ),
        required=("stage",),
    ),
    Tab(
        # 培育池: a light touch instead of the grade's interval, out of the daily funnel.
        "nurture",
        "培育池策略",
        "Nurture",
        _terms(
            ("interval", "跟进间隔(天)", "Interval (days)"),
            ("method", "跟进方式", "Method"),
            ("action", "核心动作", "Core action"),
        ),
        required=("interval",),
    ),
    Tab(
        "event_words",
        "事件关键词",
        "Event words",
        _terms(
            ("meaning", "类别", "Kind"),
            ("words", "关键词", "Words"),
        ),
        required=("meaning",),
    ),
)
# What a word in 跟进内容摘要 / 客户反馈 means (the 事件关键词 block of 价值分级).
EVENT_WORD_KINDS = _terms(
    ("alert", "需重点关注", "Needs attention"),
    ("exclude", "不算需重点关注", "Not attention"),
    ("hold", "建议暂缓", "Suggest pause"),
)
VALUE_METRICS = ("annual_amount", "margin", "renewal_rate")
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
# Who receives a team member's mail and chat, as the sync last confirmed it (rules/recipients.py).
RECIPIENT_MEMORY = (
    ("member", "团队成员", "Team member"),
    ("held_email", "确认邮箱", "Confirmed email"),
    ("held_channel", "确认通知渠道", "Confirmed channel"),
    ("held_chat_id", "确认飞书ID", "Confirmed Feishu ID"),
    ("held_mobile", "确认手机", "Confirmed mobile"),
    ("held_manager", "确认上级", "Confirmed manager"),
    ("change_code", "待确认变更", "Change pending"),
    ("change_seen", "变更首见日期", "Change first seen"),
)
RECIPIENT_MEMORY_KEYS = tuple(key for key, *_ in RECIPIENT_MEMORY)
# Hidden: what the sync last wrote in each customer's sync-owned cells, so a hand edit of one
# is noticed (and honoured) instead of silently reverted; plus the dates and grades people
# set by typing into 下次跟进日期 / 客户等级, which stay in force like 约定跟进日期 / 指定等级.
MEMORY = Tab(
    "memory",
    "同步快照",
    "Sync memory",
    _terms(
        ("customer_id", "客户编号", "Customer ID"),
        *((t.key, t.zh, t.en) for t in SYNC_COLUMNS),
        ("pinned_next", "手填下次跟进日期", "Next follow-up typed in"),
        ("pinned_grade", "手填客户等级", "Grade typed in"),
        ("note_read", "关注判读", "Attention read"),  # rules/attention.py's memo of the note
        # rules/history.py: the last contact (date and digest) and owner 跟进历史 recorded
        ("history_contact", "已记跟进", "Contact recorded"),
        ("history_owner", "已记负责人", "Owner recorded"),
        # Recipients (rules/recipients.py), the last columns: one row per team member, customer
        # id blank, with where their mail and chat go as the sync last confirmed it, and a
        # change seen but not yet confirmed (its code and the day it was first seen).
        *RECIPIENT_MEMORY,
    ),
    required=("customer_id",),
)
# What was mailed, kept in the workbook itself: a copy of the workbook has no mail journal
# beside it and must not mail the day again.
MAIL_LOG = Tab(
    "mail_log",
    "邮件记录",
    "Mail log",
    _terms(
        ("sent_at", "发送时间", "Sent at"),
        ("key", "邮件标识", "Mail key"),
        ("recipient", "收件人", "Recipient"),
        ("to", "发往", "Sent to"),
    ),
    required=("key",),
)
# Append-only: each owner's weighted pipeline as the first sync of each month saw it, so the
# summary can set today's forecast against last month's (rules/forecast.py).
FORECAST_LOG = Tab(
    "forecast_log",
    "预测记录",
    "Forecast log",
    _terms(
        ("month", "月份", "Month"),
        ("owner", "负责人", "Owner"),
        ("weighted", "加权金额(元)", "Weighted (CNY)", "加权金额", "Weighted amount"),
        ("recorded", "记录日期", "Recorded on"),
    ),
    required=("month", "owner"),
)
# Append-only, like 阶段记录: each customer's value class, relationship and 流失 as the sync
# saw them, a row whenever one changes (a blank 分类: the customer left the sheet). What the
# summary's class movement and churn per quarter are counted from (rules/classes.py).
CLASS_LOG = Tab(
    "class_log",
    "分类记录",
    "Class history",
    _terms(
        ("customer_id", "客户编号", "Customer ID"),
        ("customer", "客户名称", "Customer"),
        ("value_class", "分类", "Class"),
        ("relationship", "客户关系", "Relationship"),
        ("churned", "流失", "Churned"),
        ("since", "记录日期", "Recorded on"),
    ),
    required=("customer_id",),
)
# Issue 25 item 4 (bounded logs): hidden and sync-owned, what the summary and the mail still
# need of the log rows moved to the archive (rules/archive.py): small tables one under
# another, each under its title, like 价值分级. The archived rows themselves are in the archive.
ARCHIVE_DIGEST = Tab("archive_digest", "历史汇总", "Archive summary", ())
ARCHIVED_ACTIVITIES = Tab(
    "archived_activities",
    "已归档跟进次数",
    "Archived contacts",
    _terms(
        ("owner", "负责人", "Owner"),
        # The first of the month for a month before the rows kept (every period of the
        # summary is whole months up to today), else the day itself.
        ("day", "日期", "Date"),
        ("count", "跟进次数", "Contacts"),
    ),
    required=("day",),
)
ARCHIVED_KEYS = Tab(
    "archived_keys",
    "已归档跟进标识",
    "Archived contact keys",
    _terms(
        ("customer_id", "客户编号", "Customer ID"),
        ("keys", "已记跟进", "Contacts recorded"),
    ),
    required=("customer_id",),
)
TABS = (
    FOLLOWUPS,
    GRADING,
    VALUE_RULES,
    TEAM,
    SUMMARY,
    TASK_LOG,
    STAGE_LOG,
    HISTORY,
    SYNC_LOG,
    MEMORY,
    MAIL_LOG,
    FORECAST_LOG,
    CLASS_LOG,
    ARCHIVE_DIGEST,
)
TABS_BY_KEY = {t.key: t for t in TABS}
