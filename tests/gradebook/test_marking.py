"""Marks from scores: a share of the points on every scale, with the school's bands."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradebook.marking import BandsError, check_bands, mark_for_share
from gradebook.scales import SCALES, get_scale


@pytest.mark.parametrize(
    ("scale", "share", "mark"),
    [
        ("five", 1.0, "5"),
        ("five", 0.85, "5"),
        ("five", 0.849, "4"),
        ("five", 0.65, "4"),
        ("five", 0.6499, "3"),
        ("five", 0.45, "3"),
        ("five", 0.4499, "2"),
        ("five", 0.0, "2"),
        ("ten", 1.0, "10"),
        ("ten", 0.0, "1"),
        ("ten", 0.5, "6"),  # 1 + 4.5, rounded half up
        ("ten", 0.44, "5"),
        ("hundred", 1.0, "100"),
        ("hundred", 0.0, "0"),
        ("hundred", 0.735, "74"),
        ("hundred", 0.7349, "73"),
        ("passfail", 0.5, "pass"),
        ("passfail", 0.49, "fail"),
        ("passfail", 1.0, "pass"),
        ("letters", 0.95, "A"),
        ("letters", 0.9, "A"),
        ("letters", 0.85, "B"),
        ("letters", 0.5, "E"),
        ("letters", 0.1, "F"),
    ],
)
def test_each_scale_maps_a_share_to_its_own_values(scale: str, share: float, mark: str) -> None:
    assert mark_for_share(get_scale(scale), share) == mark


@pytest.mark.parametrize("share", [-0.5, 1.5, float("nan"), float("inf"), float("-inf")])
def test_a_share_outside_zero_to_one_is_clamped(share: float) -> None:
    mark = mark_for_share(get_scale("five"), share)
    assert mark in ("2", "5")


def _rank(scale_code: str, value: str) -> float:
    scale = get_scale(scale_code)
    if scale.is_numeric:
        return scale.numbers[value]
    return -scale.values.index(value)


@given(
    scale=st.sampled_from(sorted(SCALES)),
    low=st.floats(min_value=0, max_value=1),
    high=st.floats(min_value=0, max_value=1),
)
def test_a_higher_share_never_gives_a_lower_mark(scale: str, low: float, high: float) -> None:
    low, high = sorted((low, high))
    chosen = get_scale(scale)
    assert _rank(scale, mark_for_share(chosen, high)) >= _rank(scale, mark_for_share(chosen, low))


@given(
    shares=st.lists(st.floats(min_value=0, max_value=1), min_size=3, max_size=3),
    low=st.floats(min_value=0, max_value=1),
    high=st.floats(min_value=0, max_value=1),
)
def test_school_bands_keep_the_order_too(shares: list[float], low: float, high: float) -> None:
    five, four, three = sorted(shares, reverse=True)
    bands = check_bands("five", {"5": five, "4": four, "3": three})
    low, high = sorted((low, high))
    scale = get_scale("five")
    assert int(mark_for_share(scale, high, bands)) >= int(mark_for_share(scale, low, bands))


def test_school_bands_change_the_mark() -> None:
    bands = check_bands("five", {"5": 0.9, "4": 0.75, "3": 0.5})
    assert mark_for_share(get_scale("five"), 0.85, bands) == "4"
    assert mark_for_share(get_scale("ten"), 0.85, check_bands("ten", {"10": 0.8})) == "10"


@pytest.mark.parametrize(
    "bands",
    [
        {"5": 0.5, "4": 0.7},  # a better mark for less
        {"6": 0.9},  # not on the scale
        {"2": 0.1},  # the lowest value needs no band
        {"5": 1.5},
        {"5": True},
        {"5": "a lot"},
    ],
)
def test_bands_that_break_the_rules_are_refused(bands: dict) -> None:
    with pytest.raises(BandsError):
        check_bands("five", bands)


async def test_an_admin_sets_the_bands_through_the_api(client: httpx.AsyncClient, as_user) -> None:
    admin, teacher = await as_user("admin"), await as_user("teacher")
    before = (await client.get("/api/v1/gradebook/settings", headers=admin)).json()
    assert before["mark_bands"]["five"] == {"5": 0.85, "4": 0.65, "3": 0.45}
    assert before["mark_bands"]["hundred"] == {}
    changed = await client.patch(
        "/api/v1/gradebook/settings",
        json={"mark_bands": {"five": {"5": 0.9, "4": 0.7, "3": 0.5}}},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["mark_bands"]["five"] == {"5": 0.9, "4": 0.7, "3": 0.5}
    assert changed.json()["rounding_threshold"] == before["rounding_threshold"]

    refused = await client.patch(
        "/api/v1/gradebook/settings",
        json={"mark_bands": {"five": {"5": 0.5, "4": 0.7}}},
        headers=admin,
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_bands"
    by_teacher = await client.patch(
        "/api/v1/gradebook/settings", json={"mark_bands": {"five": None}}, headers=teacher
    )
    assert by_teacher.status_code == 403
    after = (await client.get("/api/v1/gradebook/settings", headers=admin)).json()
    assert after["mark_bands"]["five"] == {"5": 0.9, "4": 0.7, "3": 0.5}

    reset = await client.patch(
        "/api/v1/gradebook/settings", json={"mark_bands": {"five": None}}, headers=admin
    )
    assert reset.json()["mark_bands"]["five"] == {"5": 0.85, "4": 0.65, "3": 0.45}
