"""What every benchmark starts from: where the bench and its results live, the one host all
traffic stays on (127.0.0.1), scratch directories, options from the command line and the
run under asyncio that SIGTERM cancels, and the order of alternating runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import tempfile
from collections.abc import Coroutine, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
HOST = "127.0.0.1"
T = TypeVar("T")


@contextlib.contextmanager
def work_dir(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A fresh temporary directory, removed afterwards unless ``keep``."""
    path = Path(tempfile.mkdtemp(prefix=f"eschool-bench-{prefix}-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def options_from_argv(options_type: type[T], argv: list[str] | None, description: str) -> T:
    """A benchmark's options dataclass from the command line: one ``--flag`` per field with the
    field's default (a bool is a switch, ``database`` is ``sqlite`` or ``postgres``)."""
    parser = argparse.ArgumentParser(description=description)
    for name, value in asdict(options_type()).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action="store_true")
        elif name == "database":
            parser.add_argument(flag, choices=["sqlite", "postgres"], default=value)
        else:
            parser.add_argument(flag, type=type(value), default=value)
    return options_type(**vars(parser.parse_args(argv)))


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` where SIGTERM cancels the benchmark, so its ``finally`` blocks stop
    everything it started."""

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await coroutine
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    return asyncio.run(guarded())


def alternate(rounds: int, *names: str) -> list[str]:
    """The order of runs: A B A B … (``rounds`` of each)."""
    return [name for _ in range(rounds) for name in names]
