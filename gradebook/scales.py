"""Grade scales: which values a mark may take, how they are stored and averaged.

Every mark is stored as the canonical string its course's scale gives it
(`Scale.normalize`). Scales with a numeric meaning take part in weighted
averages (`Scale.numeric`) and turn an average back into a suggested term mark
(`Scale.from_average`).

Letters are numeric here, ECTS-style and evenly spaced: A=5, B=4, C=3, D=2,
E=1, F=0, so that a letter average maps back to a letter the same way a
five-point average maps back to a mark. Pass/fail has no numeric meaning: its
marks are left out of averages and it suggests no term mark.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

__all__ = ["DEFAULT_SCALE", "SCALES", "Scale", "ScaleError", "get_scale"]

DEFAULT_SCALE = "five"

_INTEGER_TEXT = re.compile(r"[0-9]+(?:\.0+)?")
_MAX_INTEGER_TEXT = 20  # far above any scale; keeps int() away from huge inputs


class ScaleError(ValueError):
    """A value (or a scale code) that the scale does not accept; the message says why."""


def _fold(text: str) -> str:
    """The form user input is compared in: trimmed, case-folded, ё as е, single spaces."""
    return " ".join(text.casefold().replace("ё", "е").split())


@dataclass(frozen=True, eq=False)
class Scale:
    """One grade scale.

    `values` are the canonical values in picker order; `numbers` maps those that
    have a numeric meaning to it; `aliases` maps folded input text (see `_fold`)
    to a canonical value for scales whose input is text rather than a number.
    """

    code: str
    label: str
    values: tuple[str, ...]
    numbers: Mapping[str, int] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    integer_input: bool = False

    @property
    def is_numeric(self) -> bool:
        """Whether marks on this scale have a numeric value (and so an average)."""
        return bool(self.numbers)

    def normalize(self, raw: str | int | float) -> str:
        """Return the canonical stored form of `raw`, or raise `ScaleError` saying why not."""
        if raw is None or isinstance(raw, bool):
            raise ScaleError(f"{raw!r} is not a mark; {self._allowed()}")
        if isinstance(raw, int | float):
            if not self.integer_input:
                raise ScaleError(
                    f"{raw!r} is not a value of the {self.label} scale; {self._allowed()}"
                )
            candidate = self._integer_from_number(raw)
        elif isinstance(raw, str):
            text = raw.strip()
            if not text:
                raise ScaleError(f"an empty value is not a mark; {self._allowed()}")
            candidate = self._candidate_from_text(text)
        else:
            raise ScaleError(f"a {type(raw).__name__} is not a mark; {self._allowed()}")
        if candidate not in self.values:
            raise ScaleError(f"{raw!r} is not on the {self.label} scale; {self._allowed()}")
        return candidate

    def numeric(self, value: str) -> float | None:
        """The number a stored value counts as in averages; None without a numeric meaning.

        A value that is not on this scale (e.g. one stored under an older scale of
        the course) has no numeric meaning either, so averages skip it.
        """
        if not self.is_numeric:
            return None
        try:
            canonical = self.normalize(value)
        except ScaleError:
            return None
        return float(self.numbers[canonical])

    def from_average(self, avg: float, threshold: float) -> str | None:
        """The suggested term mark for an average, or None on a non-numeric scale.

        The average rounds up when its fractional part is at least `threshold`
        (a fraction in (0, 1], e.g. 0.5 or 0.6) and down otherwise; the result
        is clamped to the scale. The comparison is made in decimal, so 4.5 with
        threshold 0.5 gives 5 and 4.49 gives 4, free of binary float error.
        """
        if not self.is_numeric:
            return None
        limit = _threshold(threshold)
        if not math.isfinite(avg):
            raise ValueError(f"the average must be a finite number, not {avg!r}")
        exact = Decimal(repr(float(avg)))
        whole = exact.to_integral_value(rounding=ROUND_FLOOR)
        number = int(whole) + (1 if exact - whole >= limit else 0)
        by_number = {n: value for value, n in self.numbers.items()}
        number = min(max(number, min(by_number)), max(by_number))
        return by_number[number]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready description for the API and UI pickers."""
        return {
            "code": self.code,
            "label": self.label,
            "values": list(self.values),
            "numeric": self.is_numeric,
        }

    def _integer_from_number(self, raw: int | float) -> str:
        if isinstance(raw, float) and not (math.isfinite(raw) and raw.is_integer()):
            raise ScaleError(f"{raw!r} is not a whole number; {self._allowed()}")
        return str(int(raw))

    def _candidate_from_text(self, text: str) -> str:
        if self.integer_input:
            if len(text) > _MAX_INTEGER_TEXT or not _INTEGER_TEXT.fullmatch(text):
                raise ScaleError(f"{text!r} is not a whole number; {self._allowed()}")
            return str(int(text.split(".", 1)[0]))
        return self.aliases.get(_fold(text), text)

    def _allowed(self) -> str:
        if self.integer_input and len(self.values) > 12:
            return f"allowed: whole numbers {self.values[0]}–{self.values[-1]}"
        return "allowed: " + ", ".join(self.values)


def _threshold(threshold: float) -> Decimal:
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ValueError(f"the rounding threshold must be a number, not {threshold!r}")
    if not (math.isfinite(threshold) and 0 < threshold <= 1):
        raise ValueError(f"the rounding threshold must be in (0, 1], not {threshold!r}")
    return Decimal(repr(float(threshold)))


def _integer_scale(code: str, label: str, low: int, high: int) -> Scale:
    values = tuple(str(n) for n in range(low, high + 1))
    return Scale(
        code=code,
        label=label,
        values=values,
        numbers={value: int(value) for value in values},
        integer_input=True,
    )


_LETTERS = ("A", "B", "C", "D", "E", "F")
# Cyrillic look-alikes a Russian keyboard layout produces for A, B, C and E.
_CYRILLIC_LOOKALIKES = {"а": "A", "в": "B", "с": "C", "е": "E"}

_PASS_FAIL_ALIASES = {
    "pass": "pass",
    "fail": "fail",
    "зачет": "pass",
    "незачет": "fail",
    "не зачет": "fail",
}

SCALES: dict[str, Scale] = {
    "five": _integer_scale("five", "five-point (2–5)", 2, 5),
    "ten": _integer_scale("ten", "ten-point (1–10)", 1, 10),
    "hundred": _integer_scale("hundred", "hundred-point (0–100)", 0, 100),
    "passfail": Scale(
        code="passfail",
        label="pass/fail",
        values=("pass", "fail"),
        aliases=_PASS_FAIL_ALIASES,
    ),
    "letters": Scale(
        code="letters",
        label="letters (A–F)",
        values=_LETTERS,
        numbers={letter: 5 - index for index, letter in enumerate(_LETTERS)},
        aliases={letter.casefold(): letter for letter in _LETTERS} | _CYRILLIC_LOOKALIKES,
    ),
}
"""Every scale by its code; `five` is the default for a new course."""


def get_scale(code: str) -> Scale:
    """The scale with this code, or `ScaleError` naming the known codes."""
    try:
        return SCALES[code]
    except (KeyError, TypeError):
        known = ", ".join(SCALES)
        raise ScaleError(f"unknown grade scale {code!r}; known: {known}") from None
