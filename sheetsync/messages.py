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

_TO_SIMPLIFIED = opencc.OpenCC("t2s.json")
_TO_TRADITIONAL = opencc.OpenCC("s2tw.json")


@lru_cache(maxsize=65536)
def simplified(text: str) -> str:
    """Traditional characters folded to simplified (客戶編號 -> 客户编号); other text as is."""
    return _TO_SIMPLIFIED.convert(text)


@lru_cache(maxsize=4096)
def traditional(text: str) -> str:
    return _TO_TRADITIONAL.convert(text)


def is_traditional(text: str) -> bool:
    return simplified(text) != text


def lang(locale: str) -> str:
    """"zh" or "en": the language, whatever the script."""
    return EN if locale == EN else ZH


def in_script(text: str, locale: str) -> str:
    """Chinese text as the workbook writes it: traditional for a 繁體 workbook."""
    return traditional(text) if locale == ZH_HANT else text


# key -> (中文, English). Fields in {braces} are filled by `say`; people's values go into
# fields and are never converted, only the catalogue's own words are.
CATALOGUE: dict[str, tuple[str, str]] = {
    # 校验提示: row problems (the field's header is put in front by the validator)
    "required": ("为空(必填)", "empty (required)"),
    "duplicate_id": ('"{value}"与第{rows}行重复(客户编号必须唯一)', '"{value}" is also used in row {rows} (must be unique)'),
    "not_a_date": ("不是日期", "is not a date"),
    "no_such_date": ("不是有效日期(没有这一天)", "is not a real date (no such day)"),
    "date_out_of_range": ("日期超出范围(1900–2200年)", "is out of range (years 1900–2200)"),
    "excel_error": ("是Excel错误值,按空白处理", "is an Excel error value, counted as blank"),
    # the workbook file
    "workbook_open": (
        "工作簿 {path} 正被 {holder} 打开:请关闭后再同步(或用 --force 强制写入)",
        "workbook {path} is open in {holder}: close it, then sync again (or use --force to write anyway)",
    ),
}


def say(key: str, locale: str, **fields: object) -> str:
    """The catalogue's sentence for `key` in `locale`, with `fields` filled in."""
    zh, en = CATALOGUE[key]
    template = en if lang(locale) == EN else in_script(zh, locale)
    return template.format(**fields)
