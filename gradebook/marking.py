"""Marks from scores: a share of the points (0–1) becomes a value on a course's own scale.

One function, :func:`mark_for_share`, for every path that turns work into a mark — a live
quiz, homework done on a tablet — so that a perfect quiz is a 5 on a five-point course, a 10
on a ten-point course, 100 on a hundred-point one, "pass" on a pass/fail course and an "A" in
letters.

Scales with few values use **bands**: the least share that earns each value, best value
first; anything below the last band earns the scale's lowest value. Schools may change the
bands (``GradebookSettings.mark_bands``); the defaults are what a Russian school expects for
the five-point scale (85 % → 5, 65 % → 4, 45 % → 3, less → 2). Scales with many values
(ten, hundred) map the share linearly onto the scale unless the school gives bands for them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from gradebook.scales import Scale, get_scale

Bands = dict[str, float]
"""Least share for each value, best value first (the lowest value needs no band)."""

DEFAULT_BANDS: dict[str, Bands] = {
    "five": {"5": 0.85, "4": 0.65, "3": 0.45},
    "letters": {"A": 0.9, "B": 0.8, "C": 0.7, "D": 0.6, "E": 0.5},
    "passfail": {"pass": 0.5},
}
"""Bands a school starts with; ten- and hundred-point scales are linear by default."""

_EPSILON = 1e-9


class BandsError(ValueError):
    """Bands a school may not set; the message says why."""


def mark_for_share(scale: Scale, share: float, bands: Mapping[str, float] | None = None) -> str:
    """The value on ``scale`` that a share of the points earns.

    ``share`` is clamped to 0–1 (a NaN counts as 0). ``bands`` overrides the scale's
    default bands (see :func:`bands_for`); without bands, a numeric scale is linear:
    the share of the way from the lowest to the highest value, rounded half up.
    """
    share = min(max(share, 0.0), 1.0) if math.isfinite(share) else 0.0
    chosen = bands if bands is not None else DEFAULT_BANDS.get(scale.code)
    if chosen:
        for value, least in _best_first(scale, chosen):
            if share >= least - _EPSILON:
                return value
        return _lowest(scale)
    if not scale.is_numeric:
        return scale.values[0] if share >= 0.5 - _EPSILON else scale.values[-1]
    numbers = sorted(scale.numbers.items(), key=lambda item: item[1])
    low, high = numbers[0][1], numbers[-1][1]
    exact = Decimal(repr(low + share * (high - low)))
    target = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    by_number = {number: value for value, number in numbers}
    return by_number[min(max(target, low), high)]


def bands_for(scale_code: str, school_bands: Mapping[str, Mapping[str, float]] | None) -> Bands:
    """The bands in force for a scale: the school's own, else the defaults ({} = linear)."""
    own = (school_bands or {}).get(scale_code)
    if own:
        return dict(own)
    return dict(DEFAULT_BANDS.get(scale_code, {}))


def check_bands(scale_code: str, bands: Mapping[str, object]) -> Bands:
    """Validate bands a school wants for one scale; return them best value first.

    Every value must be on the scale and not its lowest (which needs no band), every
    share a number in 0–1, and a better value must need at least the share of a worse one
    — so a higher share never gives a lower mark.
    """
    scale = get_scale(scale_code)
    lowest = _lowest(scale)
    checked: dict[str, float] = {}
    for raw_value, raw_share in bands.items():
        try:
            value = scale.normalize(raw_value)
        except ValueError as exc:
            raise BandsError(str(exc)) from None
        if value == lowest:
            raise BandsError(f"{value} is the lowest value: it needs no band")
        if isinstance(raw_share, bool) or not isinstance(raw_share, int | float):
            raise BandsError(f"the share for {value} must be a number from 0 to 1")
        share = float(raw_share)
        if not (math.isfinite(share) and 0 <= share <= 1):
            raise BandsError(f"the share for {value} must be from 0 to 1")
        checked[value] = share
    ordered = _best_first(scale, checked)
    for (better, better_share), (worse, worse_share) in pairwise(ordered):
        if better_share < worse_share:
            raise BandsError(f"{better} cannot need a smaller share than {worse}")
    return dict(ordered)


def _rank(scale: Scale, value: str) -> float:
    """Higher is better: the number of a numeric value, else its place in the picker."""
    if scale.is_numeric:
        return float(scale.numbers[value])
    return float(len(scale.values) - scale.values.index(value))


def _best_first(scale: Scale, bands: Mapping[str, float]) -> list[tuple[str, float]]:
    known = [(value, least) for value, least in bands.items() if value in scale.values]
    return sorted(known, key=lambda item: _rank(scale, item[0]), reverse=True)


def _lowest(scale: Scale) -> str:
    return min(scale.values, key=lambda value: _rank(scale, value))
