"""Weighted averages, suggested term marks and attendance figures.

Sums are taken in exact rational arithmetic (weights read as the decimals they
were written as), so that e.g. (4·1 + 5·1) / 2 is exactly 4.5 and a suggested
term mark never flips on binary float error. The average is rounded half-up to
two decimals, and the suggested term mark is taken from that rounded average:
the teacher sees 4.50 next to a suggested 5, never 4.50 next to a 4.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from gradebook.scales import Scale

__all__ = [
    "ATTENDANCE_STATUSES",
    "PRESENT_STATUSES",
    "attendance_summary",
    "suggest_term_mark",
    "weighted_average",
]

ATTENDANCE_STATUSES: tuple[str, ...] = ("present", "absent", "late", "excused", "ill")
"""Every attendance status, in the order the journal shows them."""

PRESENT_STATUSES: frozenset[str] = frozenset({"present", "late"})
"""Statuses that count as being at the lesson."""

_HUNDREDTHS = 100


def weighted_average(marks: Iterable[tuple[str, float]], scale: Scale) -> float | None:
    """Σ value·weight / Σ weight over the marks, rounded half-up to 2 decimals.

    `marks` are (stored value, weight) pairs; a weight may be an int, a float or a
    Decimal, and is read as the decimal it is written as. Values without a numeric meaning on
    `scale` (pass/fail marks, values not on the scale) are skipped. None when no
    numeric mark remains or their weights sum to 0. A negative or non-finite
    weight is a configuration error and raises ValueError.
    """
    weighted_sum = Fraction(0)
    weight_sum = Fraction(0)
    for value, weight in marks:
        exact_weight = _exact_weight(weight)
        number = scale.numeric(value)
        if number is None:
            continue
        weighted_sum += Fraction(number) * exact_weight
        weight_sum += exact_weight
    if weight_sum == 0:
        return None
    average = weighted_sum / weight_sum
    return float(Fraction(math.floor(average * _HUNDREDTHS + Fraction(1, 2)), _HUNDREDTHS))


def suggest_term_mark(average: float | None, scale: Scale, threshold: float = 0.5) -> str | None:
    """The term mark suggested for an average: rounds up from `threshold` (e.g. 4.5 → 5).

    None when there is no average or the scale has no numeric meaning.
    """
    if average is None:
        return None
    return scale.from_average(average, threshold)


def attendance_summary(statuses: Iterable[str]) -> dict[str, int | float | None]:
    """Counts per attendance status plus the share of lessons attended.

    Returns `{"present", "absent", "late", "excused", "ill", "total": int,
    "present_percent": float | None}`; `present_percent` counts late as present,
    is taken over all recorded lessons (excused and ill included), is rounded to
    one decimal, and is None when there are no records. An unknown status
    raises ValueError.
    """
    counts = dict.fromkeys(ATTENDANCE_STATUSES, 0)
    for status in statuses:
        if status not in counts:
            known = ", ".join(ATTENDANCE_STATUSES)
            raise ValueError(f"unknown attendance status {status!r}; known: {known}")
        counts[status] += 1
    total = sum(counts.values())
    attended = sum(counts[status] for status in PRESENT_STATUSES)
    percent = None
    if total:
        share = Fraction(attended * 100, total)
        percent = float(Fraction(math.floor(share * 10 + Fraction(1, 2)), 10))
    return {**counts, "total": total, "present_percent": percent}


def _exact_weight(weight: float | int | Decimal) -> Fraction:
    """A weight as the exact decimal it was written as (0.1 is one tenth, not 0.1000…0555)."""
    if isinstance(weight, bool) or not isinstance(weight, int | float | Decimal):
        raise ValueError(f"a mark weight must be a number, not {weight!r}")
    if isinstance(weight, int):
        exact = Fraction(weight)
    elif isinstance(weight, float):
        if not math.isfinite(weight):
            raise ValueError(f"a mark weight must be finite, not {weight!r}")
        exact = Fraction(repr(weight))
    else:
        if not weight.is_finite():
            raise ValueError(f"a mark weight must be finite, not {weight!r}")
        exact = Fraction(weight)
    if exact < 0:
        raise ValueError(f"a mark weight cannot be negative: {weight!r}")
    return exact
