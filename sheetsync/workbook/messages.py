"""Every sentence the sync says to people, in the workbook's own language and script.

One catalogue, so a 校验提示, a sync-log note, the CLI report and `validate` speak the same
words: Chinese for a Chinese workbook, English for an English one. Traditional-character
workbooks get the Chinese text converted by OpenCC (a maintained converter, not a table of
our own), and traditional input is folded to simplified the same way before it is matched.

Locales: "zh" (简体), "zh-Hant" (繁體), "en". Everything else in the code asks `lang(locale)`
when it only needs to know Chinese or English.
"""

from __future__ import annotations

from functools import lru_cache

import opencc

ZH, ZH_HANT, EN = "zh", "zh-Hant", "en"

_TO_SIMPLIFIED = opencc.OpenCC("t2s.json")  # ~3 MB: every run folds what people typed


@lru_cache(maxsize=1)
def _to_traditional() -> opencc.OpenCC:
    """The simplified-to-traditional converter, loaded the first time a 繁體 workbook needs
    it: its tables take ~43 MB, which a simplified or English workbook never pays."""
    return opencc.OpenCC("s2tw.json")


@lru_cache(maxsize=1)
def _to_taiwan() -> opencc.OpenCC:
    """Simplified to traditional with Taiwan's phrasing (打印 -> 列印, 运行 -> 執行, 设置 ->
    設定): what a 繁體 workbook's reader expects of a sentence. Words that are read back (tab
    names, headers, statuses) keep `traditional`: folded to simplified again, a phrase
    converted word for word would no longer be the word the sync looks for."""
    return opencc.OpenCC("s2twp.json")


@lru_cache(maxsize=65536)
def simplified(text: str) -> str:
    """Traditional characters folded to simplified (客戶編號 -> 客户编号); other text as is."""
    return _TO_SIMPLIFIED.convert(text)


@lru_cache(maxsize=4096)
def traditional(text: str) -> str:
    return _to_traditional().convert(text)


@lru_cache(maxsize=4096)
def taiwanese(text: str) -> str:
    return _to_taiwan().convert(text)


def is_traditional(text: str) -> bool:
    return simplified(text) != text


def lang(locale: str) -> str:
    """ "zh" or "en": the language, whatever the script."""
    return EN if locale == EN else ZH


def in_script(text: str, locale: str) -> str:
    """Chinese text as the workbook writes it: traditional for a 繁體 workbook."""
    return traditional(text) if locale == ZH_HANT else text


def prose_in_script(text: str, locale: str) -> str:
    """A sentence as the workbook's readers write it: Taiwan's phrasing for a 繁體 workbook."""
    return taiwanese(text) if locale == ZH_HANT else text


def rows_in_script(rows: list[list], locale: str) -> list[list]:
    """Default rows (grade rules, value rules) written in the workbook's script."""
    if locale != ZH_HANT:
        return rows
    return [[traditional(v) if isinstance(v, str) else v for v in row] for row in rows]


# key -> (中文, English). Fields in {braces} are filled by `say`; people's values go into
# fields and are never converted, only the catalogue's own words are.
CATALOGUE: dict[str, tuple[str, str]] = {
    # the workbook's shape
    "no_tab": (
        '工作簿里没有"{wanted}"工作表(现有:{titles})',
        'no tab "{wanted}" in the workbook (tabs: {titles})',
    ),
    "no_header_row": (
        '工作表"{tab}":前10行里找不到含"{header}"的表头行',
        'tab "{tab}": no header row with "{header}" in its first 10 rows',
    ),
    "duplicate_header": (
        '工作表"{tab}":表头"{first}"({first_cell})和"{second}"({second_cell})是同一列;请改名或删除其一',
        'tab "{tab}": headers "{first}" ({first_cell}) and "{second}" ({second_cell}) are the same column; rename or delete one',
    ),
    "missing_column": (
        '工作表"{tab}"第{row}行缺少表头"{header}";同步已停止,什么也没写。请加上这一列,或在设置的 columns: 下映射',
        'tab "{tab}": no "{header}" header in row {row}; the sync stopped and wrote nothing. Add the column, or map yours under `columns:` in the settings',
    ),
    "missing_column_like": (
        '工作表"{tab}"第{row}行缺少表头"{header}";"{near}"看起来就是它:请把它改名为"{header}",或在设置里写 columns: {{{key}: "{near}"}}。同步已停止,什么也没写',
        'tab "{tab}": no "{header}" header in row {row}; "{near}" looks like {header}: rename it, or map it under `columns:` in the settings ({key}: "{near}"). The sync stopped and wrote nothing',
    ),
    "not_read_like": (
        '"{near}"看起来像"{header}",但没有被读取:请改名,或在设置的 columns: 下映射',
        '"{near}" looks like "{header}" but is not read: rename it, or map it under `columns:` in the settings',
    ),
    "event_alert": (
        "需重点关注:跟进记录提到“{word}”,今日须处理",
        'needs attention: the follow-up record says "{word}"; handle it today',
    ),
    "alert_no_manager": (
        "{owner}没有上级(团队表的上级一栏):投诉提醒未发出",
        "no manager for {owner} (the team tab's manager column): complaint alert not sent",
    ),
    "alert_mail": ("投诉提醒:{summary}", "alerts: {summary}"),
    "alert_chat": (
        "投诉提醒(群消息):发出{sent}条,失败{failed}条",
        "alerts on chat: {sent} sent, {failed} failed",
    ),
    "event_hold": (
        "客户表示“{word}”:如同意,请填{column}(日期)",
        'the customer said "{word}": if agreed, fill in {column} (a date)',
    ),
    "no_owners": (
        "团队表里没有负责人:未核对负责人",
        "no owners in the team tab: owners were not checked",
    ),
    # what a run reports (CLI, log)
    "report": (
        "{location}({today}):读取{rows}行,{invalid}行无效,{warned}行有提醒;今日跟进{due_today},已逾期{overdue};{verb}{cells}个单元格",
        "{location} ({today}): {rows} rows read, {invalid} invalid, {warned} with warnings; {due_today} due today, {overdue} overdue; {verb} {cells} cells",
    ),
    "wrote": ("写入", "wrote"),
    "would_write": ("将写入", "would write"),
    "note": ("提示:{text}", "note: {text}"),
    "rewritten": ("{tab}:整表重写({rows}行)", "{tab}: rewritten ({rows} rows)"),
    "appended": ("{tab}:追加{rows}行", "{tab}: {rows} row(s) appended"),
    "mail_preview": (
        "发给{recipient} <{to}>的邮件:{kind},{tasks}个任务",
        "mail to {recipient} <{to}>: {kind}, {tasks} task(s)",
    ),
    "problem": (
        "第{row}行({customer_id}){severity}:{message}",
        "row {row} ({customer_id}) {severity}: {message}",
    ),
    "error": ("错误", "error"),
    "warning": ("提醒", "warning"),
    "checked": (
        "检查了{rows}行:{errors}行有错误,{warned}行只有提醒",
        "{rows} rows checked: {errors} with errors, {warned} with warnings only",
    ),
    # the grading tab
    "rule_cell": (
        '工作表"{tab}"第{row}行,{header}:"{value}"不是{expected}',
        'tab "{tab}" row {row}, {header}: "{value}" is not {expected}',
    ),
    "days_expected": ("{least}到{most}之间的天数", "a number of days from {least} to {most}"),
    "one_of_or_empty": ("{allowed}之一(或留空)", "one of {allowed} (or empty)"),
    "criteria_expected": (
        '能读懂的核心标准(如"预算明确"、"预算初步确认"、"意向模糊"、"决策周期≤1个月"、"决策周期1-3个月")',
        'a criterion it can read (e.g. "预算明确", "预算初步确认", "意向模糊", "决策周期≤1个月", "决策周期1-3个月")',
    ),
    # hand edits of sync-owned cells
    "hand_edit_kept": (
        '{header}是同步写的列,手填的"{value}"本次保留,下次同步会改回;请改填{where}',
        '{header} is written by the sync: "{value}" typed here is kept this run and replaced next run; type it in {where} instead',
    ),
    "hand_edit_check": (
        '校验提示由同步填写,手填的"{value}"已移到这里',
        '{header} is written by the sync; what was typed there ("{value}") is quoted here',
    ),
    # 校验提示: row problems (the field's header is put in front by the validator)
    "required": ("为空(必填)", "empty (required)"),
    "duplicate_id": (
        '"{value}"与第{rows}行重复(客户编号必须唯一)',
        '"{value}" is also used in row {rows} (must be unique)',
    ),
    "not_a_date": ("不是日期", "is not a date"),
    "not_a_date_form": (
        "不是日期(应写成 2024-05-10、2024/5/10、2024.5.10 或 2024年5月10日)",
        "is not a date (expected 2024-05-10, 2024/5/10 or 2024.5.10)",
    ),
    "no_such_date": (
        "不是日期(没有这一天;应写成 2024-05-10、2024/5/10、2024.5.10 或 2024年5月10日)",
        "is not a date (no such date; expected 2024-05-10, 2024/5/10 or 2024.5.10)",
    ),
    "date_out_of_range": (
        "不是可用的日期(年份应在{first}–{last}之间)",
        "is not a usable date (the year must be {first}–{last})",
    ),
    "excel_error": (
        "是表格的错误值(公式出错),请修正",
        "is a spreadsheet error value (a broken formula): fix it",
    ),
    "not_finite": ("不是有限的数字", "is not a finite number"),
    "not_a_cycle": (
        '不是决策周期(应写成如"20天"、"2周"、"1-3个月"、">3个月")',
        'is not a decision cycle (expected e.g. "20天", "2周", "1-3个月", ">3个月")',
    ),
    # The escalation mail's column headers (templates/email/escalation.html).
    "mail_head_customer": ("客户", "Customer"),
    "mail_head_owner": ("负责人", "Owner"),
    "mail_head_due": ("应跟进日期", "Due"),
    "mail_head_overdue": ("逾期天数", "Days overdue"),
    "mail_head_name": ("客户名称", "Customer"),
    "mail_head_id": ("客户编号", "Customer ID"),
    "value_blocks_added": (
        "{tab}里没有{blocks}:已按默认值加在表末,可直接修改",
        "{tab} had no {blocks}: added at its end with the defaults, edit them there",
    ),
    "negative_amount": ("是负数(金额不能小于 0)", "is negative (an amount is 0 or more)"),
    "not_an_amount": (
        '不是金额(应写成如 1200000、"120万"或"1.2M")',
        'is not an amount (expected e.g. 1200000, "120万" or "1.2M")',
    ),
    "not_a_percent": (
        '不是百分比(应写成如"30%"或 0.3)',
        'is not a percentage (expected e.g. "30%" or 0.3)',
    ),
    "not_a_count": ("不是整数", "is not a whole number"),
    "not_a_pause": ('不是日期,也不是"是"', 'is not a date or "是"/"yes"'),
    "empty_counted_as": ("为空,按{lowest}计", "empty, counted as {lowest}"),
    "empty_cycle": ("为空,按最长计", "empty, counted as longest"),
    "not_one_of": ('"{value}"不是{allowed}之一', '"{value}" is not one of {allowed}'),
    "not_one_of_counted": (
        '"{value}"不是{allowed}之一,按{lowest}计',
        '"{value}" is not one of {allowed}, counted as {lowest}',
    ),
    "not_one_of_ignored": (
        '"{value}"不是{allowed}之一,已忽略',
        '"{value}" is not one of {allowed}, ignored',
    ),
    "not_yes_no": (
        '"{value}"不是 是/否,按"否"计',
        '"{value}" is not 是/否 (yes/no), counted as no',
    ),
    "not_in_team": ('"{value}"不在团队表里', '"{value}" is not in the team tab'),
    "bad_value": ('"{value}"{reason}', '"{value}" {reason}'),
    "bad_value_ignored": ('"{value}"{reason},已忽略', '"{value}" {reason}, ignored'),
    # won, lost and the forecast
    "lost_reason_missing": (
        "销售阶段为输单,请填写输单原因(没有这一列可新增)",
        "the stage is Lost: please say why the deal was lost (add the column if there is none)",
    ),
    # mail
    "journal_torn": (
        "邮件日志 {file} 有 {count} 行不完整(上次运行写到一半中断),已跳过;那封邮件可能会再发一次",
        "the mail journal {file} had {count} unreadable line(s) (a run stopped mid-write); skipped them: that mail may be sent once more",
    ),
    "smtp_deadline": (
        "发送超过总时限(email.smtp.deadline),下次运行重发",
        "past the time allowed for sending (email.smtp.deadline); sent on the next run",
    ),
    "fixes_nobody": (
        "{count} 行资料需修正,但没有负责人、上级或 email.fallback 可以通知",
        "{count} row(s) need fixing but there is no owner, manager or email.fallback to tell",
    ),
    # adopt
    "adopt_no_followups": (
        "找不到客户跟进表:没有哪个工作表的表头同时有客户编号、客户名称和负责人(现有:{titles})",
        "no follow-up tab: no tab has a header row with customer id, customer and owner (tabs: {titles})",
    ),
    "typed_header": ("{header}(手填)", "{header} (typed)"),
    "tab_followups": ("客户跟进", "Follow-ups"),
    "tab_grading": ("分级标准", "Grading"),
    "tab_team": ("团队", "Team"),
    "tab_used_twice": (
        '工作表"{title}"同时被当作{roles}:同步会把其中一个整表写在另一个上,所以停下,什么也没写。'
        "请在设置的 tabs: 里给它们不同的工作表名",
        'the tab "{title}" is taken as {roles} at once: the sync would write one whole over the '
        "other, so it stops with nothing written. Give them different tabs under tabs: in the "
        "settings",
    ),
    "changed_meanwhile": (
        "{path} 在同步期间被别人改过并保存了:什么也没写。请再运行一次同步",
        "{path} was changed by someone else while the sync ran; nothing was written. "
        "Run the sync again.",
    ),
    "column_gone_meanwhile": (
        '工作表"{tab}"的"{header}"列在同步期间被改名或删除了:什么也没写',
        'tab "{tab}": the column "{header}" was renamed or removed while the sync ran; '
        "nothing was written",
    ),
    "header_changed_meanwhile": (
        '工作表"{tab}"的表头"{header}"在采用期间被改过:什么也没写',
        'tab "{tab}": the header "{header}" changed while adopting; nothing was written',
    ),
    "adopt_tab_theirs": (
        '工作表"{title}"里有你们的内容,但同步要用这个名字整表重写它:不会覆盖。请先给它改名,'
        "再运行 adopt",
        'the tab "{title}" holds your own content, but the sync writes a tab of that name whole: '
        "it is not overwritten. Rename it, then run adopt again",
    ),
    "adopt_tab_taken": (
        '要新增的{which}表"{title}"已经有同名工作表,但它不是设置里指定的{which}表("{configured}"):'
        "不会覆盖它。请在设置的 tabs: 里写对工作表名",
        'the {which} tab adopt would add, "{title}", is the name of a tab already there, but the '
        'settings name another one ("{configured}"): it is not overwritten. Name the right tab '
        "under tabs: in the settings",
    ),
    "adopt_tab": ('{which}:工作表"{title}"', '{which}: tab "{title}"'),
    "adopt_read": ('{cell} "{header}" → {target}', '{cell} "{header}" -> {target}'),
    "adopt_ignored": (
        '{cell} "{header}":同步不读这一列,原样保留',
        '{cell} "{header}": not read by the sync, left as it is',
    ),
    "adopt_take_over": (
        '{cell} "{header}" → {target}(同步写的列,目前为空,由同步填写)',
        '{cell} "{header}" -> {target} (a column the sync writes; empty now, the sync fills it)',
    ),
    "adopt_rename": (
        '{cell} "{header}":与同步写的列同名,但已有{filled}个手填值 → 表头改为"{new}",原值不动;同步在右侧新增自己的"{header}"列',
        '{cell} "{header}": named like a column the sync writes but holds {filled} typed value(s) -> header renamed "{new}", values untouched; the sync adds its own "{header}" column on the right',
    ),
    "adopt_add": (
        '{cell} 新增"{header}"列(分级规则要读它;空着的客户按最低一档计,校验提示会提醒)',
        '{cell} adds the "{header}" column (the grade rules read it; until filled, customers count as the lowest level and 校验提示 says so)',
    ),
    "adopt_new_tab": ('新增工作表"{title}"({rows}行)', 'adds the tab "{title}" ({rows} rows)'),
    "adopt_layout": (
        '"{title}":冻结{frozen},筛选 {ref},横向打印一页宽、每页重复表头(列的位置不变)',
        '"{title}": keeps {frozen} in view, a filter over {ref}, prints landscape one page wide '
        "with the header on every page (no column moves)",
    ),
    "adopt_frozen_names": ("表头和{columns}列", "the header and columns {columns}"),
    "adopt_frozen_header": ("表头", "the header"),
    "adopt_rules": ("分级规则(同步将这样读):", "Grade rules, as the sync reads them:"),
    "rule_line": (
        "{grade}:{criteria};每{days}天跟进",
        "{grade}: {criteria}; follow up every {days} days",
    ),
    "rule_budget": ("预算至少{level}", "budget at least {level}"),
    "rule_intent": ("意向度至少{level}", "intent at least {level}"),
    "rule_cycle": ("决策周期不超过{days}天", "decision cycle at most {days} days"),
    "rule_rest": ("其余客户", "everyone else"),
    "adopt_settings": (
        "这些工作表不是标准名称:把下面几行加进设置文件(adopt --apply 已按此处理):",
        "These tabs have names of their own: add these lines to the settings file (adopt --apply uses them already):",
    ),
    "adopt_problem": ("无法采用:{text}", "cannot adopt: {text}"),
    "adopt_cells": ("第一次同步将写入(共{count}项):", "The first sync will write ({count} items):"),
    "adopt_dry": (
        "什么也没写。确认无误后运行 adopt --apply。",
        "Nothing was written. When this looks right, run adopt --apply.",
    ),
    "adopt_applied": (
        "已采用:改了{renames}个表头,新增{tabs}个工作表,完成第一次同步(未发邮件)。",
        "Adopted: {renames} header(s) renamed, {tabs} tab(s) added, first sync done (no mail sent).",
    ),
    "no_email_redirected": (
        "{name}没有有效邮箱:邮件改发给{target}",
        "{name} has no valid email: mail sent to {target}",
    ),
    "no_email_not_sent": (
        "{name}没有有效邮箱,也没有备用地址:邮件未发",
        "{name} has no valid email and no fallback: mail not sent",
    ),
    "mail_summary": ("邮件:发出{sent}封,失败{failed}封", "mail: {sent} sent, {failed} failed"),
    "mail_already": (",{count}封之前已发", ", {count} already sent"),
    "mail_failed": ("; 发给{recipient} <{to}>失败:{why}", "; failed to {recipient} <{to}>: {why}"),
    "smtp_login_refused": ("邮件服务器拒绝登录", "the SMTP server refused the login"),
    "smtp_address_refused": ("邮件服务器拒收这个地址", "the SMTP server refused the address"),
    "smtp_error": ("邮件服务器错误 {code}", "SMTP error {code}"),
    # chat bots (WeCom, DingTalk, Feishu ...)
    "chat_summary": ("群消息:发出{sent}条,失败{failed}条", "chat: {sent} sent, {failed} failed"),
    "chat_already": (",{count}条之前已发", ", {count} already sent"),
    "chat_failed": ("; 发给{recipient}({bot})失败:{why}", "; failed to {recipient} ({bot}): {why}"),
    "alerts_wait": (
        "发给{recipient}的投诉提醒本次已达上限,另有{count}条下次运行再发(设置 max_alerts)",
        "{count} more complaint alerts to {recipient} wait for the next run (at most max_alerts a run)",
    ),
    "chat_late": (
        ";{count}条超过发送时限({seconds}秒,channels.deadline),下次运行再发",
        "; {count} past the time allowed ({seconds} s, channels.deadline): sent on the next run",
    ),
    "mention_refused": (
        '工作表"{tab}"第{row}行({owner})的飞书ID"{value}"不能用来@人(会@到群里所有人,或不是飞书ID/邮箱):群消息不@此人,请改成 ou_ 开头的 open_id 或邮箱',
        'tab "{tab}" row {row} ({owner}): Feishu ID "{value}" cannot be mentioned (it would mention everyone in the group, or is no Feishu ID or email): group messages do not mention them; use an open_id (ou_...) or an email',
    ),
    # what --dry-run shows of a mail or a chat message it would send
    "preview_mail": ("收件人:{to}{state}\n主题:{subject}", "To: {to}{state}\nSubject: {subject}"),
    "preview_chat": ("群消息:{bot}{state}", "Chat: {bot}{state}"),
    "preview_sent": ("(之前已发)", " (already sent)"),
    # the chat vendors, as people call them (apprise names them in English)
    "vendor_dingtalk": ("钉钉", "DingTalk"),
    "vendor_wecombot": ("企业微信", "WeCom"),
    "vendor_feishu": ("飞书", "Feishu"),
    "vendor_lark": ("Lark", "Lark"),
    "sync_done": ("完成", "ok"),
    "chat_refused": ("{vendor}拒收:{why}", "{vendor} refused it: {why}"),
    "chat_rate_limited": (
        "{vendor}提示发送太频繁({code}),下次运行再发",
        "{vendor} says too many messages ({code}): sent on the next run",
    ),
    "chat_not_tried": (
        "这个机器人本次已失败,下次运行再发",
        "this bot already failed in this run: sent on the next run",
    ),
    "chat_no_bot": (
        "团队表的通知渠道写了“{bot}”,但设置里没有这个机器人",
        'the team tab names the channel "{bot}", which the settings do not define',
    ),
    "chat_unusable": ("机器人“{bot}”不可用:{why}", 'bot "{bot}" cannot be used: {why}'),
    "chat_shared_private": (
        "机器人“{bot}”标为私人,却有多人({names})使用:改发不含联系方式和金额的群消息",
        'bot "{bot}" is marked private but named by {names}: sent as group messages'
        " (no contact details, no amounts)",
    ),
    # the reminder mail's words (templates/email: both languages read these)
    "mail_hello": ("{name},你好:", "Hello {name},"),
    "mail_overdue": ("已逾期", "Overdue"),
    "mail_due_today": ("今日跟进", "Due today"),
    "mail_upcoming": ("本周即将到期", "Due this week"),
    "mail_counts": (
        "已逾期 {overdue} · 今日 {today} · 本周 {upcoming}",
        "{overdue} overdue · {today} today · {upcoming} this week",
    ),
    "mail_days_overdue": ("逾期 {days} 天", "{days} days overdue"),
    "mail_today": ("今天", "today"),
    "mail_due_on": ("{date} 到期", "due {date}"),
    "mail_contact": ("联系人", "Contact"),
    "mail_stage": ("阶段", "Stage"),
    "mail_amount": ("年合作金额", "Annual amount"),
    "mail_last_contact": ("上次跟进", "Last contact"),
    "mail_none": ("无", "none"),
    "mail_next_step": ("建议动作", "Next step"),
    "mail_feedback": ("客户反馈", "Feedback"),
    "mail_row": ("第 {row} 行", "row {row}"),
    "mail_open_row": ("打开第 {row} 行", "Open row {row}"),
    "mail_file_row": ("{file} 第 {row} 行", "{file}, row {row}"),
    "mail_more": (
        "还有 {count} 项未列出,请在工作表中查看",
        "{count} more not listed: see the sheet",
    ),
    "mail_open_sheet": ("打开工作表", "Open the sheet"),
    "mail_no_tasks": ("今天没有到期的跟进任务。", "No follow-ups are due today."),
    "mail_fix_title": ("资料不全、需要你修正的行", "Rows to fix"),
    "mail_fix_note": ("修正前不会安排跟进", "incomplete, so not scheduled until fixed"),
    "mail_no_name": ("(无客户名称)", "(no customer name)"),
    "mail_contracts": ("30 天内合同到期", "Contracts ending within 30 days"),
    "mail_birthdays": ("7 天内的生日/纪念日", "Birthdays and anniversaries within 7 days"),
    "mail_in_days": ("还有 {days} 天", "in {days} days"),
    "mail_days_later": ("{days} 天后", "in {days} days"),
    "mail_class": ("客户分类:{text}", "Class: {text}"),
    "mail_health_warning": ("健康度:预警", "Health: warning"),
    "mail_health_churned": ("健康度:流失", "Health: churned"),
    "mail_stalled": ("停滞:{stage}已{days}天", "Stalled: {stage} for {days} days"),
    "mail_footer": ("—— sheetsync 每日同步", "-- sheetsync daily sync"),
    "mail_summary_intro": ("今日客户跟进汇总", "Today's follow-up summary"),
    "mail_escalation_intro": (
        "以下跟进已超过升级期限,请关注:",
        "These follow-ups are past their escalation limit:",
    ),
    # history and handover (rules/history.py, rules/handover.py)
    "history_handover": ("交接:{old}→{new}", "Handover: {old} → {new}"),
    "orphan_owner": (
        "{owner}不在团队表,仍是{count}个客户的负责人:不再给他发提醒,逾期任务升级给{managers};请在客户跟进表里改派负责人",
        "{owner} is not in the team tab but still owns {count} customer(s): no reminders go to them, overdue tasks go to {managers}; reassign them in the follow-up tab",
    ),
    "orphan_nobody": ("(没有经理可通知)", "(no manager to tell)"),
    "mail_previous": ("再上次", "Before that"),
    "mail_orphans_title": ("已离开团队的负责人", "Owners no longer in the team"),
    "mail_orphans_intro": (
        "以下负责人已不在团队表中,名下客户没有人收到跟进提醒,请改派负责人(改派后未完成的任务转给新负责人):",
        "These owners are no longer in the team tab, so nobody is reminded of their customers. Reassign them (open tasks move to the new owner):",
    ),
    "mail_orphan_count": ("{owner}:{count} 个客户", "{owner}: {count} customer(s)"),
    # chat and alert signals a team can trust (delivery/channels.py, alerts.py, mailer.py)
    "mail_no_address": ("没有收件地址", "no address"),
    "escalation_no_manager": (
        "{owners}没有上级(团队表的上级一栏):逾期升级未发出",
        "no manager for {owners} (the team tab's manager column): escalation not sent",
    ),
    "chat_no_address": ("不是机器人地址或 apprise 地址", "not a webhook address or apprise URL"),
    "chat_refused_plain": ("被拒收", "refused"),
    "chat_no_connection": ("{vendor}连不上({error})", "{vendor}: no connection ({error})"),
    "chat_uncertain": (
        ";{count}条不确定是否送达(对方超时未答复),下次运行重发一次",
        "; {count} uncertain (no answer in time): sent once more on the next run",
    ),
    "chat_sent_uncertain": (
        ";{count}条重发后仍不确定是否送达,记为可能已送达,不再重发",
        "; {count} still uncertain after the one retry: recorded as possibly delivered, not sent again",
    ),
    "chat_uncertain_one": (
        "; 发给{recipient}({bot})不确定是否送达:{why}",
        "; to {recipient} ({bot}) uncertain: {why}",
    ),
    "alert_flag": ('需重点关注:"{word}"', 'Needs attention: "{word}"'),
    "alert_intro": (
        "{owner} 负责的客户,跟进记录提到上面这句话;跟进任务今日({due})到期,请今天处理。",
        "A customer of {owner}'s: the follow-up record says the words above. The task is due today ({due}); please act today.",
    ),
    "alert_owner": ("负责人", "Owner"),
    "alert_colon": (":", ": "),
    "alert_once": ("同一投诉只提醒一次。", "Each complaint is alerted once."),
    "chat_timeout": (
        "{vendor}收到了消息但未在{seconds}秒内答复",
        "{vendor} took the message but did not answer within {seconds} s",
    ),
    # the workbook file
    "workbook_open": (
        "工作簿 {path} 正被 {holder} 打开:请关闭后再同步(或用 --force 强制写入)",
        "workbook {path} is open in {holder}: close it, then sync again (or use --force to write anyway)",
    ),
    # 健康度 on the working calendar (health-calendar): an old rules row no longer counts
    "health_setting_retired": (
        "{tab}的健康度参数「{rows}」已不再使用:预警改为下次跟进日期逾期超过 N 个工作日"
        "(参数「{new}」,留空则按各等级的逾期升级天数);可删除该行",
        '{tab}: the health setting "{rows}" is no longer used: a warning now means the next '
        'follow-up date is more than N workdays past (setting "{new}"; blank: each grade\'s '
        "escalation days). The row can be deleted",
    ),
    # send calendar: reminders on working days, the first run's backlog, missed occasions
    "reminders_wait": (
        "今天{today}不是工作日:表格已同步,跟进提醒和升级邮件等到下一个工作日 {next} 再发(投诉提醒照常发出)",
        "{today} is not a working day: the sheet is synced; digests and escalations wait for the next working day, {next} (complaint alerts still go out)",
    ),
    "backlog_intro": (
        "首次同步时,以下跟进在同步前就已逾期。它们不逐条升级:从首次同步 {first} 起算,仍未完成且逾期超过升级期限时才会升级。",
        "These follow-ups were already overdue when the sheet was first synced. They are not escalated one by one: one still open once past its grade's escalation limit, counted from the first sync on {first}, is escalated then.",
    ),
    "backlog_by_owner": ("按负责人", "By owner"),
    "backlog_oldest": ("最早的 {count} 项", "The oldest {count}"),
    "backlog_count": ("逾期任务数", "Overdue tasks"),
    "missed_title": ("错过的客户关怀/续约", "Missed care and renewals"),
    "missed_intro": (
        "以下客户关怀/续约跟进没有在当天完成,已记为“已错过”(只提醒这一次):",
        "These care and renewal tasks were not done in time and are recorded as missed (listed this once):",
    ),
    # --- issue 24, items 1-3 (lifecycle24): existing customers, plans, after-sale revisits ---
    "plan_no_cadence": (
        '没有写明频率(每段应写如"每2-3天发送1次资料"、"每周1次电话"、"每月1次上门拜访"、"每季度推送报告"、"半年1次满意度调研",用逗号或+分开)',
        'says no cadence (each part like "every 2-3 days send material", "weekly call", "monthly visit", separated by commas, semicolons or +)',
    ),
    "plan_two_cadences": (
        "一段里写了两个频率,请用逗号或+分成两步",
        "names two cadences in one part: split it with a comma, semicolon or +",
    ),
    "plan_no_offset": (
        '读不出成交后多久(应写如"一周后"、"1个月后"、"一个季度后"或天数)',
        'is not a time after the deal (e.g. "1 week", "1 month", "1 quarter" or days)',
    ),
    "plan_expected": ('能读懂的跟进计划:"{part}"{reason}', 'a plan it can read: "{part}" {reason}'),
    "plan_step": ("每{every}天{method}:{action}", "every {every} days {method}: {action}"),
    "plan_revisit": (
        "成交后{every}天{method}:{action}",
        "{every} days after the deal {method}: {action}",
    ),
    "plan_line": ("{name}:{steps}", "{name}: {steps}"),
    "plan_then": ("然后按{name}类的维护计划", "then {name}'s maintenance plan"),
    "customer_state_unknown": (
        '"{value}"不是已知的合作状态({allowed}),排期时不读它',
        '"{value}" is not a customer status it knows ({allowed}); not used for the schedule',
    ),
    "class_label_unreadable": (
        '"{value}"读不出客户分类(应以{allowed}开头,如"A类+高潜力+战略伙伴"),排期时不读它',
        '"{value}" names no class it knows (it should start with {allowed}, e.g. "A+high potential"); not used for the schedule',
    ),
    "class_disagrees": (
        "填的是{typed}类,按年合作金额、利润率、续约率算是{computed}类;以填的为准,清空此格即按算出的",
        "typed as {typed}, but amount, margin and renewal rate make it {computed}; the typed class counts until this cell is cleared",
    ),
    "adopt_existing": (
        "合作状态:{active}个已有客户(合作中/已合作/成交)按客户分类的维护计划排期,不按线索等级;{prospects}个待转化/潜在客户按线索等级;{lost}个流失客户按流失唤醒",
        "Customer status: {active} existing customers (active) follow their class's maintenance plan, not the lead grade; {prospects} prospects are graded as leads; {lost} lost ones get wake-up touches",
    ),
    "adopt_classes": (
        "客户分类:按填写的读取({counts}),算得出分类的客户以算出的核对,不一致时写进校验提示、以填的为准",
        "Class: read as typed ({counts}); where it can be computed, a different computed class is said in the check column and the typed one counts",
    ),
    "adopt_class_unread": (
        '  第{row}行"{value}"读不出分类:按最低一类的维护计划,校验提示会说明',
        '  row {row} "{value}" names no class: the lowest class\'s plan, said in the check column',
    ),
    "adopt_state_unread": (
        '  第{row}行合作状态"{value}"不认识:不按它排期,校验提示会说明',
        '  row {row} customer status "{value}" is not known: not used for the schedule, said in the check column',
    ),
    "adopt_plans": ("跟进计划(同步将这样排期):", "Plans, as the sync schedules them:"),
    "revisits_name": ("成交回访", "After-sale revisits"),
    "class_plan_name": ("{name}类维护", "Class {name} upkeep"),
}


def listed(items, locale: str) -> str:
    """Names in a sentence: 张伟、李娜 in Chinese, "Zhang Wei, Li Na" in English."""
    return ("、" if lang(locale) == ZH else ", ").join(items)


def say(key: str, locale: str, /, **fields: object) -> str:
    """The catalogue's sentence for `key` in `locale`, with `fields` filled in."""
    zh, en = CATALOGUE[key]
    template = en if lang(locale) == EN else prose_in_script(zh, locale)
    return template.format(**fields)
