"""The servers under test, each on a free port of 127.0.0.1 and stopped when its block ends:
the app serving a seeded school, and the bare ``websockets`` baseline."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.common import HOST
from bench.processes import Child, free_port, start_child, wait_http, wait_port
from bench.seeded_school import School


@dataclass
class Server:
    """A running server of the app (or a baseline) on 127.0.0.1."""

    child: Child
    port: int

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.child.pid

    def cpu_seconds(self) -> float:
        """CPU seconds of the server (and its workers) so far."""
        return self.child.cpu_seconds()


@contextlib.contextmanager
def app_server(
    school: School,
    *,
    broker_url: str = "memory://",
    workers: int = 1,
    counting: bool = False,
    log_dir: Path | None = None,
    name: str = "app",
) -> Iterator[Server]:
    """Serve ``school`` with ``eschool serve`` (or the SQL-counting wrapper of
    :mod:`bench.counting_app`) on a free port; stopped when the block ends.

    With ``ESCHOOL_BENCH_PROFILE=<dir>`` a one-worker server runs under cProfile and leaves
    ``<dir>/<name>-<port>.prof`` behind (read it with ``python -m pstats``)."""
    port = free_port()
    if counting:
        args = ["-m", "bench.counting_app", "--port", str(port)]
    else:
        args = ["-m", "eschool.cli", "serve", "--port", str(port)]
        if workers > 1:
            args += ["--workers", str(workers)]
    profile_dir = os.environ.get("ESCHOOL_BENCH_PROFILE")
    if profile_dir and workers == 1:
        Path(profile_dir).mkdir(parents=True, exist_ok=True)
        profile = Path(profile_dir).resolve() / f"{name}-{port}.prof"
        args = ["-m", "bench.profile_server", str(profile), *args[1:]]
    args = [sys.executable, *args]
    log_path = (log_dir or school.data_dir) / f"{name}-{port}.log"
    child = start_child(name, args, log_path=log_path, env=school.env(broker_url))
    try:
        wait_http(f"http://{HOST}:{port}/healthz", child)
        yield Server(child, port)
    finally:
        child.stop()


@contextlib.contextmanager
def baseline_server(*, log_dir: Path, name: str = "baseline") -> Iterator[Server]:
    """The bare ``websockets`` broadcast server of :mod:`bench.baseline_ws` on a free port."""
    port = free_port()
    args = [sys.executable, "-m", "bench.baseline_ws", "--port", str(port)]
    child = start_child(name, args, log_path=log_dir / f"{name}-{port}.log")
    try:
        wait_port(port, child)
        yield Server(child, port)
    finally:
        child.stop()
