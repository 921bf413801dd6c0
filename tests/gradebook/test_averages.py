import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradebook.averages import (
    ATTENDANCE_STATUSES,
    attendance_summary,
    suggest_term_mark,
    weighted_average,
)
from gradebook.scales import SCALES

Marks = list[tuple[str, float]]


@pytest.mark.parametrize(
    ("code", "marks", "average", "suggested"),
    [
        ("five", [("4", 1), ("5", 1)], 4.5, "5"),
        ("five", [("5", 1), ("4", 1), ("4", 1)], 4.33, "4"),
        ("five", [("5", 3), ("2", 1)], 4.25, "4"),
        ("five", [("3", 1), ("5", 2), ("4", 1)], 4.25, "4"),
        ("five", [("2", 1)], 2.0, "2"),
        ("ten", [("7", 1), ("8", 1)], 7.5, "8"),
        ("ten", [("9", 2), ("6", 1)], 8.0, "8"),
        ("ten", [("10", 1), ("9", 1), ("9", 1), ("9", 1)], 9.25, "9"),
        ("hundred", [("90", 1), ("85", 2)], 86.67, "87"),
        ("hundred", [("0", 1), ("1", 1)], 0.5, "1"),
        ("letters", [("A", 1), ("B", 1)], 4.5, "A"),
        ("letters", [("C", 2), ("F", 1)], 2.0, "D"),
        ("letters", [("B", 1), ("C", 1), ("C", 1)], 3.33, "C"),
    ],
)
def test_weighted_average_and_suggested_term_mark_per_scale(
    code: str, marks: Marks, average: float, suggested: str
) -> None:
    scale = SCALES[code]
    assert weighted_average(marks, scale) == average
    assert suggest_term_mark(average, scale) == suggested


@pytest.mark.parametrize("code", list(SCALES))
def test_no_marks_give_no_average_and_no_suggestion(code: str) -> None:
    scale = SCALES[code]
    assert weighted_average([], scale) is None
    assert suggest_term_mark(None, scale) is None


@pytest.mark.parametrize(
    ("code", "marks"),
    [
        ("five", [("5", 0), ("2", 0.0)]),
        ("ten", [("10", 0)]),
        ("hundred", [("100", Decimal("0.00"))]),
        ("letters", [("A", 0), ("F", 0)]),
        ("passfail", [("pass", 0)]),
    ],
)
def test_only_zero_weight_marks_give_no_average(code: str, marks: Marks) -> None:
    assert weighted_average(marks, SCALES[code]) is None


def test_zero_weight_marks_do_not_move_the_average() -> None:
    assert weighted_average([("5", 1), ("2", 0)], SCALES["five"]) == 5.0


def test_pass_fail_marks_have_no_average_or_suggestion() -> None:
    scale = SCALES["passfail"]
    assert weighted_average([("pass", 1), ("fail", 2)], scale) is None
    assert suggest_term_mark(4.5, scale) is None


def test_values_without_numeric_meaning_are_skipped() -> None:
    marks = [("5", 1), ("pass", 3), ("6", 3), ("4", 1)]
    assert weighted_average(marks, SCALES["five"]) == 4.5


def test_weights_like_test_two_and_exam_three() -> None:
    # classwork 5 (1), test 3 (2), exam 4 (3): (5 + 6 + 12) / 6 = 3.83
    marks = [("5", 1), ("3", 2), ("4", 3)]
    assert weighted_average(marks, SCALES["five"]) == 3.83
    assert suggest_term_mark(3.83, SCALES["five"]) == "4"


@pytest.mark.parametrize(
    ("marks", "average", "suggested"),
    [
        # Binary floats make (3·0.3 + 4·0.3) / 0.6 come out as 3.4999999999999996.
        ([("3", 0.3), ("4", 0.3)], 3.5, "4"),
        ([("4", 0.6), ("5", 0.6)], 4.5, "5"),
        ([("4", 0.1), ("5", 0.2)], 4.67, "5"),
        # 4.49 exactly stays below the threshold.
        ([("4", 51), ("5", 49)], 4.49, "4"),
        # 4.495 rounds half-up to the shown 4.50, which suggests 5.
        ([("4", 101), ("5", 99)], 4.5, "5"),
        # 2.675 exactly: Python's round(2.675, 2) would give 2.67.
        ([("2", 13), ("3", 27)], 2.68, "3"),
        ([("4", Decimal("0.5")), ("5", Decimal("0.5"))], 4.5, "5"),
    ],
)
def test_rounding_edges_are_exact(marks: Marks, average: float, suggested: str) -> None:
    scale = SCALES["five"]
    got = weighted_average(marks, scale)
    assert got == average
    assert suggest_term_mark(got, scale) == suggested


@pytest.mark.parametrize(
    ("average", "threshold", "suggested"),
    [(4.5, 0.5, "5"), (4.49, 0.5, "4"), (4.5, 0.6, "4"), (4.6, 0.6, "5"), (4.59, 0.6, "4")],
)
def test_suggestion_follows_the_configured_threshold(
    average: float, threshold: float, suggested: str
) -> None:
    assert suggest_term_mark(average, SCALES["five"], threshold) == suggested


@pytest.mark.parametrize("weight", [-1, -0.5, math.nan, math.inf, True, "2"])
def test_a_bad_weight_is_refused(weight: object) -> None:
    with pytest.raises(ValueError, match="weight"):
        weighted_average([("5", weight)], SCALES["five"])  # type: ignore[list-item]


mark_lists = st.lists(
    st.tuples(st.sampled_from(SCALES["ten"].values), st.integers(min_value=0, max_value=5)),
    max_size=12,
)


@given(marks=mark_lists)
def test_average_lies_between_the_weighted_marks(marks: list[tuple[str, int]]) -> None:
    average = weighted_average(marks, SCALES["ten"])
    counted = [int(value) for value, weight in marks if weight > 0]
    if not counted:
        assert average is None
    else:
        assert average is not None
        assert min(counted) <= average <= max(counted)


@given(marks=mark_lists, factor=st.sampled_from([0.5, 0.25, 3, 7]), data=st.data())
def test_average_ignores_order_and_a_common_weight_factor(
    marks: list[tuple[str, int]], factor: float, data: st.DataObject
) -> None:
    scale = SCALES["ten"]
    shuffled = data.draw(st.permutations(marks))
    scaled = [(value, weight * factor) for value, weight in shuffled]
    assert weighted_average(scaled, scale) == weighted_average(marks, scale)


def test_attendance_summary_counts_each_status_and_late_as_present() -> None:
    statuses = ["present", "present", "late", "absent", "excused", "ill"]
    assert attendance_summary(statuses) == {
        "present": 2,
        "absent": 1,
        "late": 1,
        "excused": 1,
        "ill": 1,
        "total": 6,
        "present_percent": 50.0,
    }


@pytest.mark.parametrize(
    ("statuses", "percent"),
    [
        (["present", "present", "absent"], 66.7),
        (["late", "absent", "absent"], 33.3),
        (["present"] + ["absent"] * 15, 6.3),  # 6.25 rounds half-up
        (["late"], 100.0),
        (["ill", "excused"], 0.0),
    ],
)
def test_attendance_percentage(statuses: list[str], percent: float) -> None:
    assert attendance_summary(statuses)["present_percent"] == percent


def test_attendance_summary_of_nothing() -> None:
    summary = attendance_summary([])
    assert summary["total"] == 0
    assert summary["present_percent"] is None
    assert all(summary[status] == 0 for status in ATTENDANCE_STATUSES)


def test_attendance_summary_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="truant"):
        attendance_summary(["present", "truant"])
