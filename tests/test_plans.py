"""Plans, not one interval (issue 24, item 2): the playbooks' plan sentences read into steps,
and the phrases that cannot be read named, never guessed."""

import pytest

from sheetsync.rules.plans import read_offset, read_plan
from sheetsync.workbook.parsing import Unreadable


def steps(text):
    return [(s.every, s.action, tuple(sorted(s.kinds))) for s in read_plan(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # the playbooks' sentences as printed
        (
            "每2-3天发送1次资料,每周1次电话沟通需求变化",
            [(3, "发送资料", ("mail",)), (7, "电话沟通需求变化", ("phone",))],
        ),
        (
            "每月1次上门拜访+每季度高层互访",
            [(30, "上门拜访", ("visit",)), (90, "高层互访", ("visit",))],
        ),
        ("每周推送1次+每月1次轻量触达", [(7, "推送", ("push",)), (30, "轻量触达", ("push",))]),
        ("半年1次满意度调研", [(180, "满意度调研", ())]),
        (
            "每月电话1次 + 每季度推送行业报告 + 半年1次满意度调研",
            [(30, "电话", ("phone",)), (90, "推送行业报告", ("push",)), (180, "满意度调研", ())],
        ),
        # traditional characters, full-width punctuation
        (
            "每2-3天發送1次資料，每週1次電話溝通需求變化",
            [(3, "發送資料", ("mail",)), (7, "電話溝通需求變化", ("phone",))],
        ),
        (
            "每月１次上門拜訪＋每季度高層互訪",
            [(30, "上門拜訪", ("visit",)), (90, "高層互訪", ("visit",))],
        ),
        # numbers in Chinese, ranges, several times a period
        ("每两三天打一次电话", [(3, "打电话", ("phone",))]),
        ("每十天一次邮件", [(10, "邮件", ("mail",))]),
        ("一周两次微信", [(3, "微信", ("wechat",))]),
        ("每周2次电话", [(3, "电话", ("phone",))]),
        ("每个月1-2次拜访", [(30, "拜访", ("visit",))]),
        ("每2~3周上门", [(21, "上门", ("visit",))]),
        ("每三个月回顾一次", [(90, "回顾", ())]),
        ("每半年寄送报告", [(180, "寄送报告", ())]),
        ("每年1次高层互访", [(365, "高层互访", ("visit",))]),
        ("每季1次邮件", [(90, "邮件", ("mail",))]),
        ("每日1次", [(1, "", ())]),
        ("每天电话", [(1, "电话", ("phone",))]),
        ("每星期一次电话", [(7, "电话", ("phone",))]),
        ("3天1次电话", [(3, "电话", ("phone",))]),
        ("月度1次拜访", [(30, "拜访", ("visit",))]),
        ("季度推送行业报告", [(90, "推送行业报告", ("push",))]),
        ("隔周上门", [(14, "上门", ("visit",))]),
        ("隔天微信", [(2, "微信", ("wechat",))]),
        ("每隔3天跟进", [(3, "跟进", ())]),
        ("每周1次电话;每月1次上门拜访", [(7, "电话", ("phone",)), (30, "上门拜访", ("visit",))]),
        # English
        (
            "Send material every 2-3 days; weekly call about changing needs",
            [(3, "Send material", ("mail",)), (7, "call about changing needs", ("phone",))],
        ),
        ("twice a week call", [(3, "call", ("phone",))]),
        ("every 2 weeks visit", [(14, "visit", ("visit",))]),
        (
            "monthly visit + quarterly executive visit",
            [(30, "visit", ("visit",)), (90, "executive visit", ("visit",))],
        ),
        ("half-yearly satisfaction survey", [(180, "satisfaction survey", ())]),
    ],
)
def test_plan_sentences_are_read_into_steps(text, expected):
    assert steps(text) == expected


@pytest.mark.parametrize(
    "text, part, why",
    [
        ("每月1次上门拜访+每季度高层互访+定制化服务方案", "定制化服务方案", "plan_no_cadence"),
        ("经常联系", "经常联系", "plan_no_cadence"),
        ("每周1次电话每月1次上门", "每周1次电话每月1次上门", "plan_two_cadences"),
        ("保持联系, 每周1次电话", "保持联系", "plan_no_cadence"),
        ("call often", "call often", "plan_no_cadence"),
    ],
)
def test_a_part_without_one_cadence_is_named_not_guessed(text, part, why):
    with pytest.raises(Unreadable) as raised:
        read_plan(text)
    assert raised.value.key == why and raised.value.fields["part"] == part


@pytest.mark.parametrize(
    "text, days",
    [
        ("一周后", 7),
        ("1个月后", 30),
        ("一个季度后", 90),
        ("一個月後", 30),
        ("7", 7),
        (30, 30),
        ("10天", 10),
        ("半年后", 180),
        ("1 week", 7),
        ("one quarter", 90),
    ],
)
def test_revisit_offsets(text, days):
    assert read_offset(text) == days


def test_an_unreadable_offset_is_named():
    with pytest.raises(Unreadable):
        read_offset("成交以后尽快")
