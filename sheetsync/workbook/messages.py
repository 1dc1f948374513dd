"""Every sentence the sync says to people, in the workbook's own language and script.

One catalogue, so a 校验提示, a sync-log note, the CLI report and `validate` speak the same
words: Chinese for a Chinese workbook, English for an English one. Traditional-character
workbooks get the Chinese text converted by OpenCC (a maintained converter, not a table of
our own), and traditional input is folded to simplified the same way before it is matched.

Locales: "zh" (简体), "zh-Hant" (繁體), "en". Everything else in the code asks `lang(locale)`
when it only needs to know Chinese or English.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    folded: str = _TO_SIMPLIFIED.convert(text)  # opencc has no type hints
    return folded


@lru_cache(maxsize=4096)
def traditional(text: str) -> str:
    converted: str = _to_traditional().convert(text)
    return converted


@lru_cache(maxsize=4096)
def taiwanese(text: str) -> str:
    converted: str = _to_taiwan().convert(text)
    return converted


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


def rows_in_script(rows: list[list[object]], locale: str) -> list[list[object]]:
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
    "no_grade_rows": (
        '工作表"{tab}"没有等级行:每个等级填一行(等级、核心标准、跟进间隔),或运行 `init` 取默认规则',
        'tab "{tab}" has no grade rows: fill in a row per grade (grade, criteria, interval), '
        "or run `init` for the defaults",
    ),
    "grade_twice": (
        '工作表"{tab}"第{rows}行,{header}:等级"{grade}"写了两次,每个等级只能有一行',
        'tab "{tab}" rows {rows}, {header}: grade "{grade}" is listed twice; a grade has one row',
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
    # issue 24 items 4-6: owner fit, class movement, late records (rules/owner_fit.py,
    # rules/classes.py, rules/late_records.py)
    "class_moves_more": ("{names}等{count}家", "{names} and {more} more"),
    "owner_level_unknown": (
        "{tab}的职级「{titles}」不在职级顺序中(由低到高:{ladder}),这些负责人不做职级匹配检查;"
        "请改用其中的职级,或把它加入职级顺序(sheetsync/workbook/terms.py 的 OWNER_LEVELS)",
        '{tab}: the level(s) "{titles}" are not in the level order (lowest first: {ladder}); '
        "their customers are not checked against 负责人要求. Use one of those levels, or add "
        "it to the order (OWNER_LEVELS in sheetsync/workbook/terms.py)",
    ),
    "owner_requirement_unknown": (
        "{tab}的负责人要求「{titles}」不在职级顺序中(由低到高:{ladder}),不做职级匹配检查",
        '{tab}: the owner requirement(s) "{titles}" are not in the level order (lowest first: '
        "{ladder}) and are not checked",
    ),
    "missed_title": ("错过的客户关怀/续约", "Missed care and renewals"),
    # the manager's numbers in 汇总 (rules/summary.py, rules/performance.py; issue 25, item 3)
    "departed_owner": ("{name}(已离开)", "{name} (departed)"),
    "points_change": ("{value:+.1f} 个百分点", "{value:+.1f} percentage points"),
    "period_head": ("{name}({first}~{last})", "{name} ({first} to {last})"),
    "same_days_last_week": ("上周同期(至{day})", "Last week to {day}"),
    "missed_intro": (
        "以下客户关怀/续约跟进没有在当天完成,已记为“已错过”(只提醒这一次):",
        "These care and renewal tasks were not done in time and are recorded as missed (listed this once):",
    ),
    # Issue 28, item 1 (far cells): values in no header's column, or far from the table
    "beyond_headers": (
        '工作表"{tab}"有{count}个单元格不在任何表头下或远离表格,没有被读取(原样保留):{cells}',
        'tab "{tab}": {count} cell(s) under no header or far from the table, not read (left as they are): {cells}',
    ),
    # recipients (issue 28, item 4): a change to who receives a member's mail is announced and
    # held a day (rules/recipients.py, delivery/notices.py)
    "recipients_first": (
        "团队表中{name}的{fields}已修改(变更码 {code}):通知原收件人和上级",
        "{name}'s {fields} changed in the team tab (change {code}): the previous recipient and the manager are told",
    ),
    "recipients_held": (
        "{name}的{fields}修改(变更码 {code})尚未生效:邮件和消息仍发往修改前的设置,直到通知已发出、且之后某天的运行仍见此修改(或设置 accept_recipient_changes 列出 {code})",
        "{name}'s {fields} change (code {code}) is not in effect yet: mail and chat still go where they went before, until the notice went out and a run on a later day still finds the change (or accept_recipient_changes lists {code})",
    ),
    "recipients_accepted": (
        "{name}的{fields}修改(变更码 {code})按设置 accept_recipient_changes 立即生效",
        "{name}'s {fields} change (code {code}) takes effect now: accept_recipient_changes lists it",
    ),
    "recipients_confirmed": (
        "{name}的{fields}修改(变更码 {code})已确认生效:邮件和消息改发新设置",
        "{name}'s {fields} change (code {code}) is confirmed: mail and chat go to the new settings",
    ),
    "recipients_added": (
        "团队表新成员:{names}(没有原收件人,按所填生效)",
        "new in the team tab: {names} (no previous recipient: their cells count as typed)",
    ),
    "recipients_mail": ("收件设置变更通知:{summary}", "recipient change notices: {summary}"),
    "recipients_chat": (
        "收件设置变更通知(聊天):发出{sent}条,失败{failed}条",
        "recipient change notices on chat: {sent} sent, {failed} failed",
    ),
    "recipients_nobody": (
        "{name}的收件设置变更无人可通知(没有原邮箱、上级或 email.fallback)",
        "nobody to tell of {name}'s recipient change (no previous email, manager or email.fallback)",
    ),
    "notice_subject": (
        "【收件设置变更】团队表中{name}的{fields}已被修改",
        "[Recipient change] {name}'s {fields} changed in the team tab",
    ),
    "notice_intro_self": (
        "团队表中你的{fields}已被修改。如果不是你本人或你的上级改的,请马上告诉上级,并把团队表改回原样。",
        "Your {fields} in the team tab changed. If neither you nor your manager made this change, tell your manager now and put the team tab back as it was.",
    ),
    "notice_intro_manager": (
        "团队表中{name}的{fields}已被修改。如果不是你或{name}本人改的,请把团队表改回原样。",
        "{name}'s {fields} changed in the team tab. If neither you nor {name} made this change, put the team tab back as it was.",
    ),
    "notice_was": ("原来", "Was"),
    "notice_now": ("现在", "Now"),
    "notice_blank": ("(空)", "(blank)"),
    "notice_held": (
        "确认之前,{name}的跟进提醒、逾期升级、投诉提醒和私聊消息仍发往原来的设置;{day}及以后的运行如果仍见此修改,即改发新设置。",
        "Until it is confirmed, {name}'s digest, escalations, complaint alerts and private chat messages still go where they went before; a run on {day} or later that still finds the change sends them to the new settings.",
    ),
    "notice_accepted": (
        "此修改已按设置 accept_recipient_changes 立即生效。",
        "This change took effect at once: accept_recipient_changes lists it.",
    ),
    "team_protect_offer": (
        "团队表未受保护:能编辑表格的人都能改同事的邮箱、通知渠道或上级,把同事的提醒改发给自己(修改会被通知,并暂缓一天生效)。加 --protect-team 再运行一次,只让经理编辑团队表和同步快照。",
        "The team tab is not protected: anyone who can edit the sheet can change a colleague's email, channel or manager and receive their reminders (the change is announced and held a day). Run again with --protect-team to let only the managers edit the team and sync memory tabs.",
    ),
    "team_protected": (
        "已保护{tabs}:只有{editors}(以及表格所有者和同步用的服务账号)可以编辑",
        "Protected {tabs}: only {editors} (and the sheet's owner and the sync's service account) can edit them",
    ),
    "team_protect_nobody": (
        "未保护团队表:还没有填了有效邮箱的经理(被列为上级或角色为经理的人);填好后再用 --protect-team 运行",
        "The team tab is not protected: no manager (named as a manager, or whose role is a manager's) has a valid email yet; fill them in, then run with --protect-team again",
    ),
    "team_protect_missing": (
        "这些经理没有有效邮箱,不能编辑受保护的团队表:{names}",
        "These managers have no valid email and cannot edit the protected team tab: {names}",
    ),
    "notice_accept_how": (
        "确认无误并希望立即生效:在设置文件的 accept_recipient_changes 中加入变更码 {code}。",
        "To let it take effect now, add the change code {code} to accept_recipient_changes in the settings file.",
    ),
    # issue 25, items 1-2 (history25): a 跟进历史 not read with confidence, cycles apart
    "history_missing_columns": (
        "“{tab}”找不到列:{columns}(表头被改名或删除了?)",
        '"{tab}" has no column {columns} (its header renamed or deleted?)',
    ),
    "history_skipped": (
        "本次同步没有读取、也没有追加“{tab}”,其余照常完成;恢复表头后,下次同步会补记每个客户最新的跟进和交接",
        'this run neither read nor added to "{tab}"; the rest of the sync went on. Once the '
        "header is back, the next run records each customer's latest contact and handover",
    ),
    "cycle_before_sync": (
        "开始于同步之前,{count} 个:未计入周期(填写首次接触日期即可计入)",
        "Started before the sync: {count}, not in the cycle (fill in the first contact date to count them)",
    ),
    # Google Sheets access, told apart by Google's answer (issue 26, item 5: google26)
    "gsheets_not_shared": (
        "表格 {sheet} 没有共享给服务账号 {account}:请在 Google 表格里点“共享”,把这个地址加为"
        "“编辑者”,然后再运行",
        "the spreadsheet {sheet} is not shared with the service account {account}: in Google "
        "Sheets, Share it with that address as Editor, then run again",
    ),
    "gsheets_protected": (
        "表格 {sheet} 里有受保护的范围拒绝了同步的写入(服务账号 {account} 不能编辑它)。请在"
        "“数据 > 受保护的工作表和范围”里把这个地址加为该范围的编辑者,或把保护改为“显示警告”,"
        "然后再运行",
        "a protected range in the spreadsheet {sheet} refused the sync's write (the service "
        "account {account} may not edit it). In Google Sheets, Data > Protected sheets and "
        'ranges: add that address as an editor of the range, or set it to "Show a warning", '
        "then run again",
    ),
    "gsheets_kept_failing": (
        "Google 表格一直失败({failure}),试了 {tries} 次、共等了 {seconds} 秒:这次什么也没写。"
        "请稍后再运行",
        "Google Sheets kept failing ({failure}) after {tries} tries over {seconds} s; nothing "
        "was written this run. Try again later.",
    ),
    "gsheets_failing": (
        "Google 表格一直失败({failure}),试了 {tries} 次、共等了 {seconds} 秒",
        "Google Sheets kept failing ({failure}) after {tries} tries over {seconds} s",
    ),
    "gsheets_cell_limit": (
        "表格 {sheet} 会超过 Google 每个表格 {cells} 个单元格的上限(按各工作表的行数×列数计,"
        "空的也算),这批没有写入。请把跟进历史、任务记录等工作表里旧的行移到另一个表格,或删掉"
        "用不到的空行空列,然后再运行",
        "the spreadsheet {sheet} would pass Google's limit of {cells} cells (each tab's rows "
        "times columns, empty ones included); this write was not applied. Move old rows of "
        "跟进历史 / 任务记录 (and other long tabs) to another spreadsheet, or delete unused empty "
        "rows and columns, then run again",
    ),
    "gsheets_error": ("{message}", "{message}"),  # Google's own words, as it gave them
    "gsheets_partly_written": (
        "已写入 {total} 批中的 {done} 批,下次运行会接着写完。其余没写成:{reason}",
        "{done} of {total} writes were made; the next run writes the rest. The rest was not "
        "written: {reason}",
    ),
    # --- issue 26 item 3 (resume): a write stopped part way, finished by the next run ---
    "gsheets_resumed": (
        "上次同步({started} 开始)写入 {total} 批中的 {done} 批后停了,这次已接着写完",
        "the last sync (begun {started}) stopped after {done} of its {total} writes; this run "
        "finished it",
    ),
    # issue 26 item 1: every value on its customer's row, whatever people do meanwhile
    "gsheets_kept_meanwhile": (
        "{count} 个同步列单元格在本次同步期间被人改过{cells}:保留了填的值,下次运行按手填处理",
        "{count} of the sync's cells were changed by someone while this sync ran{cells}: "
        "their values were kept, and the next run takes them as typed in",
    ),
    "gsheets_repaired": (
        "本次写入时有人排序、插入或删除了行:{count} 个单元格已放回各自客户的行",
        "rows were sorted, inserted or deleted while this sync wrote: {count} cells were put "
        "back on their customers' rows",
    ),
    "gsheets_pending_repaired": (
        "上次同步写入后没能核对完(中途停止):这次先核对,{count} 个单元格已放回各自客户的行",
        "the last sync stopped before checking what it wrote: this run checked first and put "
        "{count} cells back on their customers' rows",
    ),
    "gsheets_unchecked": (
        "写入后表格一直在变(排序、插入或删除行):还有 {count} 个单元格没能核对,下次运行先核对它们",
        "the sheet kept changing after the write (rows sorted, inserted or deleted): {count} "
        "cells are not checked yet; the next run checks them first",
    ),
    "gsheets_api_disabled": (
        "服务账号所属的 Google Cloud 项目 {project} 没有启用 Google Sheets API:请打开 {url} "
        "点“启用”,等几分钟再运行",
        "the Google Sheets API is not enabled in the service account's Google Cloud project "
        "{project}: open {url}, click Enable, wait a few minutes, then run again",
    ),
    # --- issue 27 (feishu): the Feishu Sheets backend, its errors, writes and quota ---
    "feishu_not_shared": (
        "飞书表格 {sheet} 没有共享给应用 {app}(错误码 {code}):请在表格右上角“分享”里搜索并添加"
        "这个应用(或把应用加入有编辑权限的群),给“可编辑”权限,然后再运行",
        "the Feishu sheet {sheet} is not shared with the app {app} (code {code}): in the sheet, "
        "click Share, search for the app (or add it to a group that can edit the sheet), give "
        "it edit access, then run again",
    ),
    "feishu_no_scope": (
        "飞书应用 {app} 没有开通“查看、评论、编辑和管理电子表格”权限 sheets:spreadsheet(错误码 "
        "{code}):请在开发者后台 {url} 的“权限管理”里开通,发布新版本并由管理员审核通过后再运行",
        "the Feishu app {app} lacks the scope sheets:spreadsheet (code {code}): in the "
        "developer console {url}, Permissions & Scopes, add it, release a new version and have "
        "the admin approve it, then run again",
    ),
    "feishu_wrong_secret": (
        "飞书拒绝了应用 {app} 的 App ID 或 App Secret(错误码 {code}):请在开发者后台 {url} 的"
        "“凭证与基础信息”里核对,重新设置 SHEETSYNC_FEISHU_APP_ID / SHEETSYNC_FEISHU_APP_SECRET"
        "或凭证文件",
        "Feishu refused the app id or secret of {app} (code {code}): check them in the "
        "developer console {url}, Credentials & Basic Info, and set SHEETSYNC_FEISHU_APP_ID / "
        "SHEETSYNC_FEISHU_APP_SECRET or the credentials file again",
    ),
    "feishu_sheet_gone": (
        "找不到飞书表格 {sheet}(错误码 {code}):它可能已被删除(可在云空间“回收站”里恢复),或 "
        "workbook 里的链接写错了",
        "no Feishu sheet {sheet} (code {code}): it may have been deleted (restore it from the "
        "Drive's Trash), or the link in `workbook` is wrong",
    ),
    "feishu_tab_gone": (
        "飞书表格 {sheet} 的一个工作表在同步时被删除了(错误码 {code}):本次没有写完,请恢复该工作表"
        "(或让它保持删除)后再运行",
        "a tab of the Feishu sheet {sheet} was deleted while the sync ran (code {code}): the "
        "write stopped; restore the tab (or leave it deleted) and run again",
    ),
    "feishu_error": (
        "飞书返回错误(错误码 {code}):{detail}",
        "Feishu answered with an error (code {code}): {detail}",
    ),
    "feishu_partly_written": (
        "已写入 {total} 批中的 {done} 批,下次运行会接着写完。其余没写成:{reason}",
        "{done} of {total} batches were written; the next run writes the rest. The rest was "
        "not written: {reason}",
    ),
    "feishu_resumed": (
        "上次同步只写入了 {total} 批中的 {done} 批,本次已接着写完",
        "the last sync wrote {done} of {total} batches; this run wrote the rest",
    ),
    "feishu_repaired": (
        "同步时有人移动了“{tab}”的行:{cells} 个单元格已按客户编号重新写到正确的行",
        "someone moved rows of {tab} during the sync: {cells} cells were written again on "
        "their customer's row",
    ),
    "feishu_moving": (
        "“{tab}”的行在同步时一直被移动,没能核对完:请稍后再运行",
        "the rows of {tab} kept moving during the sync and could not be checked: run again later",
    ),
    "feishu_calls": (
        "本次飞书 API 调用约 {calls} 次",
        "about {calls} Feishu API calls this run",
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
    # issue 25 item 4: bounded logs (archiving.py)
    "archived": (
        "已把{before}之前的 {count} 行记录({tabs})移到归档“{where}”;汇总的数字不变(历史汇总保留了它们需要的部分)",
        "moved {count} rows dated before {before} ({tabs}) to the archive {where}; the summary's "
        "figures are unchanged (历史汇总 keeps what they need of them)",
    ),
    "archive_needs_sheet": (
        "有 {count} 行记录超过保留月数,但在线表格的归档需要一个归档表格:新建一个表格、"
        "共享给同步所用的账号(Google 的服务账号或飞书应用)可编辑,"
        "把它的链接填进设置 archive.workbook;在此之前这些记录留在表格里",
        "{count} rows are older than the months kept, but archiving an online sheet needs an "
        "archive spreadsheet: create one, share it as editor with the account the sync uses (the "
        "Google service account or the Feishu app) and put its link in the setting "
        "archive.workbook; until then the rows stay in the sheet",
    ),
    "archive_failed": (
        "归档没有完成({reason}):记录都还在表格里,下次同步再试,不会重复归档",
        "archiving did not finish ({reason}): every row is still in the workbook; the next run "
        "tries again and archives nothing twice",
    ),
    # private messages from the Feishu app (channels.feishu_app; delivery/feishu_im.py, issue 27)
    "im_vendor": ("飞书私信", "Feishu message"),
    "im_no_id": (
        "团队表里{name}既没有飞书ID也没有邮箱,收不到飞书私信:请填写飞书ID(open_id ou_…、user_id)或邮箱",
        "{name} has neither a Feishu ID nor an email in the team tab, so gets no Feishu message:"
        " fill in a Feishu ID (open_id ou_…, user_id) or an email",
    ),
    "im_unavailable": (
        "{name}({kind} {id})不在飞书应用的可用范围内,或已离职(错误码{code}):请在飞书开发者后台 > 应用发布 > 版本管理与发布 > 创建版本,把此人加入可用范围并发布;仍不行请管理员在管理后台 > 工作台 > 应用管理查看此人是否被设为禁用成员",
        "{name} ({kind} {id}) is outside the Feishu app's availability range, or has left"
        " (code {code}): in the Feishu developer console, App Release > Version Management &"
        " Release > Create a version, add them to the availability range and publish; if it"
        " still fails, an admin checks under Admin > Workplace > Apps that they are not a"
        " disabled member",
    ),
    "im_unknown_id": (
        "飞书不认识{name}的{kind}“{id}”(错误码{code}):请在团队表的飞书ID填此应用的open_id(ou_…)、user_id,或填邮箱",
        "Feishu does not know {name}'s {kind} \"{id}\" (code {code}): put this app's open_id"
        " (ou_…), a user_id or an email in the team tab's Feishu ID",
    ),
    "im_denied": (
        "飞书不允许应用给{name}发消息(错误码{code}:{msg}):请在管理后台检查企业的沟通权限设置",
        "Feishu does not let the app message {name} (code {code}: {msg}): check the"
        " organisation's communication permissions in the Feishu admin console",
    ),
    "im_refused": (
        "飞书拒收发给{name}的消息(错误码{code}):{msg}",
        "Feishu refused the message to {name} (code {code}): {msg}",
    ),
    "im_no_bot": (
        "飞书应用没有启用机器人能力(错误码{code}):请在飞书开发者后台 > 应用能力 > 添加应用能力 添加“机器人”,再创建版本并发布;本次私信都未发,下次运行再发",
        "the Feishu app has no bot capability (code {code}): in the Feishu developer console,"
        " Features > Add Features, add Bot, then create a version and publish; no message"
        " went out this run, they go on the next",
    ),
    "im_no_scope": (
        "飞书应用没有发消息的权限(错误码{code}):请在飞书开发者后台 > 权限管理 开通 im:message:send_as_bot(以应用的身份发消息),再创建版本并发布;本次私信都未发,下次运行再发",
        "the Feishu app may not send messages (code {code}): in the Feishu developer console,"
        " Permissions & Scopes, add im:message:send_as_bot, then create a version and publish;"
        " no message went out this run, they go on the next",
    ),
    "im_credentials": (
        "飞书应用的凭证不对(错误码{code}):请核对 SHEETSYNC_FEISHU_APP_ID / SHEETSYNC_FEISHU_APP_SECRET 与开发者后台 > 凭证与基础信息 一致",
        "the Feishu app's credentials are wrong (code {code}): check SHEETSYNC_FEISHU_APP_ID /"
        " SHEETSYNC_FEISHU_APP_SECRET against Credentials & Basic Info in the developer console",
    ),
    "im_unusable": ("飞书应用不可用:{why}", "the Feishu app cannot be used: {why}"),
    "im_failed": (
        "飞书一直没有应答({why}),下次运行再发",
        "Feishu kept failing ({why}): sent on the next run",
    ),
    "im_clipped": (
        "……(太长,其余见邮件或表格)",
        "… (too long: the rest is in the mail and the sheet)",
    ),
    # issue 29 item 1 (package): the outbox transport writes .eml files, it sends nothing
    "mail_outbox_summary": (
        "邮件:{written}封写入发件箱 {folder},失败{failed}封",
        "mail: {written} written to the outbox {folder}, {failed} failed",
    ),
    "mail_outbox_already": (",{count}封之前已写入", ", {count} written before"),
}


def listed(items: Iterable[str], locale: str) -> str:
    """Names in a sentence: 张伟、李娜 in Chinese, "Zhang Wei, Li Na" in English."""
    return ("、" if lang(locale) == ZH else ", ").join(items)


def say(key: str, locale: str, /, **fields: object) -> str:
    """The catalogue's sentence for `key` in `locale`, with `fields` filled in."""
    zh, en = CATALOGUE[key]
    template = en if lang(locale) == EN else prose_in_script(zh, locale)
    return template.format(**fields)
