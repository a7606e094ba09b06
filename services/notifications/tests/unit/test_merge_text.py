"""What a merged SMS says (notifications/messages/merging.py): each ticket named with its news, news of one
shape said once with the numbers listed, the signature once, and at most so many segments."""

import pytest

from notifications.messages.merging import News, compose, fitting
from notifications.messages.segments import count_segments

SIG = "【居住证运维】"
A, B, C = "20261207-0001", "20261207-0002", "20261207-0003"


def accepted(number: str) -> News:
    return News(number, f"{SIG}您的报修已受理，工单号{number}，我们将尽快安排处理。")


def assigned(number: str, engineer: str = "陈静") -> News:
    return News(number, f"{SIG}工单{number}已派工程师{engineer}（电话138 0001 0005），预计12-07 10:30前到达。")


@pytest.mark.parametrize(
    ("news", "said"),
    [
        ([accepted(A)], f"{SIG}您的报修已受理，工单号{A}，我们将尽快安排处理。"),
        (  # one shape: said once, numbers listed in order, a repeat named once
            [accepted(A), accepted(B), accepted(A), accepted(C)],
            f"{SIG}您的报修已受理，工单号{A}、{B}、{C}，我们将尽快安排处理。",
        ),
        (  # shapes in the order each first came
            [accepted(A), assigned(A), accepted(B)],
            f"{SIG}您的报修已受理，工单号{A}、{B}，我们将尽快安排处理。"
            f"工单{A}已派工程师陈静（电话138 0001 0005），预计12-07 10:30前到达。",
        ),
        (  # different values: different news
            [assigned(A, "陈静"), assigned(B, "刘洋")],
            f"{SIG}工单{A}已派工程师陈静（电话138 0001 0005），预计12-07 10:30前到达。"
            f"工单{B}已派工程师刘洋（电话138 0001 0005），预计12-07 10:30前到达。",
        ),
        (  # a template that leaves the number out gets it in front; sentences without an end are separated
            [News(A, f"{SIG}已受理"), News(B, f"{SIG}已受理")],
            f"{SIG}工单{A}、{B}：已受理",
        ),
        (
            [News(A, f"{SIG}已受理"), News(B, f"{SIG}请补充材料")],
            f"{SIG}工单{A}：已受理；工单{B}：请补充材料",
        ),
        ([News(None, f"{SIG}通知一。"), News(None, f"{SIG}通知二。")], f"{SIG}通知一。通知二。"),
    ],
)
def test_merged_text_names_each_ticket_with_its_news(news: list[News], said: str) -> None:
    assert compose(news, SIG) == said


@pytest.mark.parametrize(
    ("news", "max_segments", "fit"),
    [
        ([accepted(f"20261207-{k:04d}") for k in range(12)], 5, 12),  # 12 acceptances: 3 segments
        ([accepted(f"20261207-{k:04d}") for k in range(40)], 5, 21),  # 42 + 20 × 14 characters; the rest waits
        ([accepted(f"20261207-{k:04d}") for k in range(12)], 1, 3),  # 70 characters: one segment
        ([assigned(f"20261207-{k:04d}", f"工程师{k}") for k in range(6)], 3, 3),  # 66 + 2 × 59 characters
        ([News(A, SIG + "长" * 400), accepted(B)], 5, 1),  # a long one alone goes as it is
    ],
)
def test_a_merged_sms_stays_within_the_segment_cap(news: list[News], max_segments: int, fit: int) -> None:
    assert fitting(news, SIG, max_segments) == fit
    if fit > 1:
        assert count_segments(compose(news[:fit], SIG)) <= max_segments
