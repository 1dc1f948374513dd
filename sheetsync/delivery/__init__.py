"""Reminders: who gets which message (remind, pure) and turning them into mail and
delivering each at most once (mailer: renderer, transports, journal), and the same
reminders to chat bots through apprise (channels, with chat_plugins for WeCom, DingTalk and
Feishu/Lark).

May import sheetsync.workbook, sheetsync.rules, sheetsync.errors and sheetsync.config; never
a backend or the pipeline.
"""
