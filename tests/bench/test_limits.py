"""The open-files limit of the socket benchmarks (``bench/limits.py``): raised when too low for
the sockets asked for, never past the hard limit, left alone when high enough."""

from __future__ import annotations

import resource
from collections.abc import Iterator

import pytest

from bench.limits import SPARE_DESCRIPTORS, ensure_open_files


@pytest.fixture
def open_files_limit() -> Iterator[tuple[int, int]]:
    """The limits before the test, put back after it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    yield soft, hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_low_soft_limit_is_raised_for_the_sockets(open_files_limit: tuple[int, int]) -> None:
    _soft, hard = open_files_limit
    wanted = 2_000
    if hard != resource.RLIM_INFINITY and hard < wanted + SPARE_DESCRIPTORS + 1:
        pytest.skip(f"the hard open-files limit ({hard}) is too low to raise to")
    resource.setrlimit(resource.RLIMIT_NOFILE, (1_024, hard))
    report = ensure_open_files(wanted)
    assert report["raised"] and report["enough"]
    assert report["soft_before"] == 1_024
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == report["soft"] >= wanted


def test_a_high_enough_limit_is_left_alone(open_files_limit: tuple[int, int]) -> None:
    soft, _hard = open_files_limit
    if soft != resource.RLIM_INFINITY and soft < 1 + SPARE_DESCRIPTORS:
        pytest.skip("the soft limit is below even one socket's needs")
    report = ensure_open_files(1)
    assert not report["raised"] and report["enough"]
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == soft


def test_the_hard_limit_caps_what_is_asked(open_files_limit: tuple[int, int]) -> None:
    _soft, hard = open_files_limit
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no hard limit to run into")
    report = ensure_open_files(hard * 2)
    assert report["soft"] == hard
    assert not report["enough"]
