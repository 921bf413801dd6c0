"""Weighted averages, suggested term marks and attendance figures.

Sums are taken in exact integer arithmetic (weights read as the decimals they
were written as, scaled to whole numbers of their smallest decimal place), so that
e.g. (4·1 + 5·1) / 2 is exactly 4.5 and a suggested term mark never flips on
binary float error. The average is rounded half-up to
two decimals, and the suggested term mark is taken from that rounded average:
the teacher sees 4.50 next to a suggested 5, never 4.50 next to a 4.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from decimal import Decimal

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
    numbers = _numbers_of(scale)
    # Both sums are kept as whole numbers of 10**-places: exact, and far cheaper than
    # Fraction. `places` grows to the most decimal places any weight has.
    weighted_sum = 0
    weight_sum = 0
    places = 0
    for value, weight in marks:
        units, digits = _decimal_weight(weight)
        number = numbers[value] if value in numbers else _number_off_table(scale, value)
        if number is None:
            continue
        if digits > places:
            factor = 10 ** (digits - places)
            weighted_sum *= factor
            weight_sum *= factor
            places = digits
        elif digits < places:
            units *= 10 ** (places - digits)
        weighted_sum += number * units
        weight_sum += units
    if weight_sum == 0:
        return None
    # floor(average·100 + ½) in integers: floor((200·Σvw + Σw) / (2·Σw)).
    hundredths = (_HUNDREDTHS * 2 * weighted_sum + weight_sum) // (2 * weight_sum)
    return hundredths / _HUNDREDTHS


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
        # attended·100/total rounded half-up to tenths, in integers: floor(x·10 + ½).
        percent = (2000 * attended + total) // (2 * total) / 10
    return {**counts, "total": total, "present_percent": percent}


def _decimal_weight(weight: float | int | Decimal) -> tuple[int, int]:
    """A weight as the exact decimal it was written as: (units, places), i.e. units·10**-places.

    A float is read as its shortest repr, so 0.1 is one tenth, not 0.1000…0555.
    """
    if isinstance(weight, bool) or not isinstance(weight, int | float | Decimal):
        raise ValueError(f"a mark weight must be a number, not {weight!r}")
    if isinstance(weight, int):
        units, digits = weight, 0
    else:
        finite = weight.is_finite() if isinstance(weight, Decimal) else math.isfinite(weight)
        if not finite:
            raise ValueError(f"a mark weight must be finite, not {weight!r}")
        units, digits = _decimal_units(weight)
    if units < 0:
        raise ValueError(f"a mark weight cannot be negative: {weight!r}")
    return units, digits


@functools.lru_cache(maxsize=256, typed=True)
def _decimal_units(weight: float | Decimal) -> tuple[int, int]:
    """(units, places) of a finite float or Decimal; a journal has only a few distinct weights."""
    exact = weight if isinstance(weight, Decimal) else Decimal(repr(weight))
    sign, digit_tuple, exponent = exact.as_tuple()
    assert isinstance(exponent, int), "finite decimals have a whole exponent"
    units = int("".join(map(str, digit_tuple)))
    if sign:
        units = -units
    if exponent >= 0:
        return units * 10**exponent, 0
    return units, -exponent


@functools.cache
def _numbers_of(scale: Scale) -> dict[str, int | None]:
    """The whole number each canonical value of `scale` counts as (None: not averaged)."""
    return {value: _whole(scale.numeric(value)) for value in scale.values}


def _number_off_table(scale: Scale, value: str) -> int | None:
    """The number of a stored value that is not canonical on `scale` (rare: older data)."""
    return _whole(scale.numeric(value))


def _whole(number: float | None) -> int | None:
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError(f"a grade scale number must be whole, not {number!r}")
    return int(number)
