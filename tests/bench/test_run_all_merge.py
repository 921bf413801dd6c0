"""``python -m bench.run_all --only X`` merges X's figures into the earlier run in the output
file (bench.run_all.merged): the other benchmarks keep theirs, with the time they were made."""

from __future__ import annotations

from bench.run_all import merged


def _run(when: str, size: str, **benchmarks: dict) -> dict:
    return {"generated_at": when, "size": size, "ratios": {}, "benchmarks": benchmarks}


def test_a_partial_run_replaces_only_what_it_ran() -> None:
    earlier = _run("01:00", "quick", fanout={"throughput_ratio": 1.3}, sockets={"x_ratio": 0.2})
    again = _run("02:00", "quick", sockets={"x_ratio": 0.4})
    document = merged(earlier, again)
    assert document["generated_at"] == "02:00"
    assert document["benchmarks"]["sockets"] == {"x_ratio": 0.4}
    assert document["benchmarks"]["fanout"] == {"throughput_ratio": 1.3, "generated_at": "01:00"}
    assert document["ratios"] == {"fanout.throughput_ratio": 1.3, "sockets.x_ratio": 0.4}


def test_a_run_of_another_size_or_no_earlier_run_stands_alone() -> None:
    again = _run("02:00", "quick", sockets={"x_ratio": 0.4})
    assert merged(_run("01:00", "tiny", fanout={"throughput_ratio": 1.3}), again) == again
    assert merged(None, again) == again
