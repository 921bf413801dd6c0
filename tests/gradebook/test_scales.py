import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradebook.scales import DEFAULT_SCALE, SCALES, Scale, ScaleError, get_scale


def test_registry_holds_the_five_scales_with_five_point_as_default() -> None:
    assert set(SCALES) == {"five", "ten", "hundred", "passfail", "letters"}
    assert DEFAULT_SCALE == "five"
    assert all(scale.code == code for code, scale in SCALES.items())


def test_values_are_in_picker_order() -> None:
    assert SCALES["five"].values == ("2", "3", "4", "5")
    assert SCALES["ten"].values == tuple(str(n) for n in range(1, 11))
    assert SCALES["hundred"].values == tuple(str(n) for n in range(101))
    assert SCALES["passfail"].values == ("pass", "fail")
    assert SCALES["letters"].values == ("A", "B", "C", "D", "E", "F")


def test_numeric_flags() -> None:
    flags = {code: scale.is_numeric for code, scale in SCALES.items()}
    assert flags == {
        "five": True,
        "ten": True,
        "hundred": True,
        "passfail": False,
        "letters": True,
    }


def test_get_scale_finds_known_and_refuses_unknown_codes() -> None:
    assert get_scale("ten") is SCALES["ten"]
    with pytest.raises(ScaleError, match="unknown grade scale 'twelve'"):
        get_scale("twelve")


@pytest.mark.parametrize(
    ("code", "raw", "stored"),
    [
        ("five", "5", "5"),
        ("five", " 4 ", "4"),
        ("five", 3, "3"),
        ("five", 2.0, "2"),
        ("five", "4.0", "4"),
        ("ten", "10", "10"),
        ("ten", 1, "1"),
        ("hundred", "0", "0"),
        ("hundred", "100", "100"),
        ("hundred", "007", "7"),
        ("hundred", 55.0, "55"),
        ("passfail", "pass", "pass"),
        ("passfail", "FAIL", "fail"),
        ("passfail", "зачёт", "pass"),
        ("passfail", "Зачет", "pass"),
        ("passfail", "незачёт", "fail"),
        ("passfail", "НЕЗАЧЕТ", "fail"),
        ("passfail", " не  зачёт ", "fail"),
        ("letters", "a", "A"),
        ("letters", "F", "F"),
        ("letters", " c ", "C"),
        ("letters", "В", "B"),  # Cyrillic Ve, typed on a Russian layout
        ("letters", "е", "E"),  # Cyrillic ie
    ],
)
def test_normalize_gives_the_canonical_stored_string(
    code: str, raw: str | int | float, stored: str
) -> None:
    assert SCALES[code].normalize(raw) == stored


@pytest.mark.parametrize(
    ("code", "raw"),
    [
        ("five", "5.5"),
        ("five", 4.5),
        ("five", ""),
        ("five", "   "),
        ("five", None),
        ("five", True),
        ("five", False),
        ("five", "6"),
        ("five", 6),
        ("five", "1"),
        ("five", "0"),
        ("five", "-3"),
        ("five", "+4"),
        ("five", "5+"),
        ("five", "4,0"),
        ("five", "1e1"),
        ("five", "٤"),  # an Arabic-Indic four: int() would take it
        ("five", math.nan),
        ("five", math.inf),
        ("five", "9" * 5000),
        ("five", [5]),
        ("ten", "0"),
        ("ten", "11"),
        ("ten", 7.25),
        ("hundred", "101"),
        ("hundred", -1),
        ("hundred", "99.5"),
        ("passfail", "yes"),
        ("passfail", 1),
        ("passfail", True),
        ("passfail", ""),
        ("letters", "G"),
        ("letters", "AA"),
        ("letters", "A+"),
        ("letters", 5),
        ("letters", None),
    ],
)
def test_normalize_refuses_values_outside_the_scale(code: str, raw: object) -> None:
    with pytest.raises(ScaleError):
        SCALES[code].normalize(raw)  # type: ignore[arg-type]


def test_refusal_message_names_the_value_and_the_allowed_ones() -> None:
    with pytest.raises(ScaleError) as refused:
        SCALES["five"].normalize("6")
    message = str(refused.value)
    assert "'6'" in message
    assert "2, 3, 4, 5" in message
    with pytest.raises(ScaleError, match="0–100"):
        SCALES["hundred"].normalize("101")


@pytest.mark.parametrize(
    ("code", "value", "number"),
    [
        ("five", "2", 2.0),
        ("five", "5", 5.0),
        ("ten", "7", 7.0),
        ("hundred", "0", 0.0),
        ("hundred", "100", 100.0),
        ("letters", "A", 5.0),
        ("letters", "B", 4.0),
        ("letters", "E", 1.0),
        ("letters", "F", 0.0),
        ("passfail", "pass", None),
        ("passfail", "fail", None),
        ("five", "6", None),  # not on the scale: no numeric meaning
        ("five", "pass", None),
    ],
)
def test_numeric_value_of_stored_marks(code: str, value: str, number: float | None) -> None:
    assert SCALES[code].numeric(value) == number


@pytest.mark.parametrize(
    ("code", "average", "threshold", "suggested"),
    [
        ("five", 4.5, 0.5, "5"),
        ("five", 4.49, 0.5, "4"),
        ("five", 4.0, 0.5, "4"),
        ("five", 4.59, 0.6, "4"),
        ("five", 4.6, 0.6, "5"),
        ("five", 3.51, 0.5, "4"),
        ("five", 5.0, 0.5, "5"),
        ("five", 1.2, 0.5, "2"),  # clamped up to the lowest mark
        ("five", 2.5, 1.0, "2"),  # a threshold of 1 never rounds up
        ("ten", 7.5, 0.5, "8"),
        ("ten", 9.99, 0.5, "10"),
        ("ten", 10.7, 0.5, "10"),  # clamped down to the highest mark
        ("hundred", 86.67, 0.5, "87"),
        ("hundred", 0.49, 0.5, "0"),
        ("letters", 4.5, 0.5, "A"),
        ("letters", 3.49, 0.5, "C"),
        ("letters", 0.4, 0.5, "F"),
        ("passfail", 4.5, 0.5, None),
    ],
)
def test_from_average_rounds_up_from_the_threshold_and_clamps(
    code: str, average: float, threshold: float, suggested: str | None
) -> None:
    assert SCALES[code].from_average(average, threshold) == suggested


@pytest.mark.parametrize("threshold", [0, -0.5, 1.5, math.nan, True])
def test_from_average_refuses_a_threshold_outside_zero_to_one(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        SCALES["five"].from_average(4.5, threshold)


def test_from_average_refuses_a_non_finite_average() -> None:
    with pytest.raises(ValueError, match="finite"):
        SCALES["five"].from_average(math.nan, 0.5)


def test_as_dict_describes_the_scale_for_pickers() -> None:
    assert SCALES["passfail"].as_dict() == {
        "code": "passfail",
        "label": "pass/fail",
        "values": ["pass", "fail"],
        "numeric": False,
    }


scales = st.sampled_from(list(SCALES.values()))


@given(scale=scales, raw=st.one_of(st.text(max_size=8), st.integers(), st.floats()))
def test_normalize_returns_a_scale_value_or_raises_scale_error(
    scale: Scale, raw: str | int | float
) -> None:
    try:
        stored = scale.normalize(raw)
    except ScaleError:
        return
    assert stored in scale.values
    assert scale.normalize(stored) == stored


@given(scale=scales, data=st.data())
def test_every_listed_value_is_its_own_canonical_form(scale: Scale, data: st.DataObject) -> None:
    value = data.draw(st.sampled_from(scale.values))
    assert scale.normalize(value) == value
    if scale.is_numeric:
        number = scale.numeric(value)
        assert number is not None
        assert scale.from_average(number, 0.5) == value
