"""The city model's arithmetic (``bench/city_model.py``): measured figures are read where the
results have them and named as assumed where not, and what the city needs grows with its load
and with what each delivery costs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bench.city_model import Assumptions, City, Input, Plan, plan_city, read_inputs
from bench.city_report import render

RESULTS = {
    "benchmarks": {
        "rooms": {"app": {"paced_server_cpu_us_per_delivery": 40.0}},
        "fanout": {"app": {"paced_server_cpu_us_per_delivery": 30.0}},
        "fanout_redis": {"app": {"paced_server_cpu_us_per_delivery": 45.0}},
        "sockets": {"app": {"rss_per_connection_kib": 20.0, "connections_per_s": 900.0}},
    }
}


def _with(inputs: dict[str, Input], **values: float) -> dict[str, Input]:
    return {
        name: dataclasses.replace(item, value=values.get(name, item.value))
        for name, item in inputs.items()
    }


def test_measured_figures_are_read_and_missing_ones_fall_back_as_assumed() -> None:
    inputs = read_inputs(RESULTS)
    assert inputs["lesson_cpu_us_per_delivery"].measured
    assert inputs["lesson_cpu_us_per_delivery"].value == 40.0
    # fanout_1000 is missing: the 200-participant figure stands in, and says where it is from.
    assert inputs["open_lesson_cpu_us_per_delivery"].source.startswith("fanout.")
    assert inputs["redis_cpu_factor"].value == 45.0 / 30.0
    assert not inputs["storm_joins_per_s"].measured
    assert inputs["storm_joins_per_s"].source.startswith("assumed")
    nothing = read_inputs({})
    assert not any(item.measured for item in nothing.values())


def test_the_report_names_measured_and_assumed_inputs() -> None:
    inputs = read_inputs(RESULTS)
    plan = plan_city(City(), inputs, Assumptions())
    text = render(City(), inputs, Assumptions(), plan, RESULTS, Path("latest.json"))
    assert "measured: `rooms.app.paced_server_cpu_us_per_delivery`" in text
    assert "assumed: issue #17: 1,000 observers in 144 s" in text
    assert "## The city on paper" in text


def test_deliveries_and_database_writes_grow_in_proportion_to_the_lessons() -> None:
    inputs, assumptions = read_inputs(RESULTS), Assumptions()
    one = plan_city(City(lessons=10_000, open_lessons=0), inputs, assumptions)
    two = plan_city(City(lessons=20_000, open_lessons=0), inputs, assumptions)
    assert two.live["deliveries_per_s"] == 2 * one.live["deliveries_per_s"]
    assert two.live["cores_busy"] == pytest.approx(2 * one.live["cores_busy"])
    assert two.postgres["writes_by"]["live events"] == 2 * one.postgres["writes_by"]["live events"]
    assert two.live["processes"] >= one.live["processes"]
    assert two.redis["messages_per_s"] > one.redis["messages_per_s"]


def test_dearer_deliveries_and_sockets_need_at_least_as_many_processes() -> None:
    inputs, city, assumptions = read_inputs(RESULTS), City(), Assumptions()
    base = plan_city(city, inputs, assumptions)
    dearer = plan_city(city, _with(inputs, lesson_cpu_us_per_delivery=400.0), assumptions)
    fatter = plan_city(city, _with(inputs, socket_kib=400.0), assumptions)
    assert (
        dearer.live["processes_by"]["CPU (deliveries)"]
        > base.live["processes_by"]["CPU (deliveries)"]
    )
    assert (
        fatter.live["processes_by"]["memory (sockets)"]
        > base.live["processes_by"]["memory (sockets)"]
    )
    assert dearer.live["processes"] >= base.live["processes"]
    assert fatter.live["processes"] >= base.live["processes"]


def test_saturation_is_listed_from_the_first_limit_reached() -> None:
    plan = plan_city(City(), read_inputs(RESULTS), Assumptions())
    shares = [item["share_of_city"] for item in plan.saturation]
    assert shares == sorted(shares)
    # A bigger audience in an open lesson reaches one process's media limit sooner.
    bigger = plan_city(City(observers_per_open_lesson=5_000), read_inputs(RESULTS), Assumptions())
    media = "one process: an open lesson's media viewers"

    def share(p: Plan) -> float:
        return next(i["share_of_city"] for i in p.saturation if i["limit"] == media)

    assert share(bigger) < share(plan)
