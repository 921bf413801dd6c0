"""A benchmark's figures: percentiles and latencies, medians over runs, ratios, and the JSON
object it prints on stdout."""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) by nearest rank; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_figures(seconds: Sequence[float]) -> dict[str, float | None]:
    """``p50_ms``, ``p99_ms`` and ``max_ms`` of latencies given in seconds."""

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 3)

    return {
        "p50_ms": ms(percentile(seconds, 50)),
        "p99_ms": ms(percentile(seconds, 99)),
        "max_ms": ms(max(seconds) if seconds else None),
    }


def median_of(values: Iterable[float | None]) -> float | None:
    """The median of the values that are not ``None``."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(numerator: float | None, denominator: float | None, digits: int = 3) -> float | None:
    """``numerator / denominator`` rounded, or ``None`` when either is missing or zero."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)


def medians(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per key, the median over runs of every numeric figure (other values from the first run)."""
    if not runs:
        return {}
    merged: dict[str, Any] = {}
    for key, first in runs[0].items():
        if (isinstance(first, int | float) and not isinstance(first, bool)) or first is None:
            value = median_of(run.get(key) for run in runs)
            merged[key] = round(value, 6) if isinstance(value, float) else value
        else:
            merged[key] = first
    return merged


def emit(result: Mapping[str, Any]) -> None:
    """Print one benchmark's figures as a JSON object on stdout."""
    sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def ratio_keys(result: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every ``…ratio`` key of a nested result, flattened to ``a.b.c`` paths."""
    found: dict[str, Any] = {}
    for key, value in result.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            found.update(ratio_keys(value, f"{path}."))
        elif key.endswith("ratio"):
            found[path] = value
    return found
