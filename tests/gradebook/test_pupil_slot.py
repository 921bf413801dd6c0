"""The pupil's marks a new mark's answer averages, read a row per value and weight: the same
average as mark by mark, whatever the weights."""

from __future__ import annotations

import pytest

from gradebook.averages import weighted_average
from gradebook.pupil_slot import PupilSlot, with_marks_read
from gradebook.scales import get_scale

# Rows of (value, weight, how many), and how many (value, weight) pairs they make.
_ROWS = [
    ([("5", 1.0, 3), ("4", 2.0, 2), ("n", 1.0, 4)], 3),  # "n": no number on the scale
    ([("5", 0.1, 7), ("3", 0.3, 3), ("4", 1.5, 1)], 3),  # tenths: 0.1·7 is not 0.7 in floats
    ([("5", 1 / 3, 7), ("2", 2 / 3, 5)], 8),  # 7 thirds: no float is their exact sum
    ([("4", 0.0, 2)], 1),
]


@pytest.mark.parametrize(("rows", "pairs"), _ROWS)
def test_marks_read_by_kind_average_as_mark_by_mark(
    rows: list[tuple[str, float, int]], pairs: int
) -> None:
    found = PupilSlot(
        slot_id=1,
        school_id=1,
        date=None,  # type: ignore[arg-type]
        term_id=1,
        term_closed=False,
        course_id=1,
        scale_code="five",
        class_id=1,
        form_tutor_id=None,
        subject="",
        access="write",
        enrolled=True,
        work_type=None,
        threshold=0.5,
    )
    one_by_one = [(value, weight) for value, weight, count in rows for _n in range(count)]
    marks = with_marks_read(found, rows).marks
    scale = get_scale("five")
    assert weighted_average(marks, scale) == weighted_average(one_by_one, scale)
    assert len(marks) == pairs
