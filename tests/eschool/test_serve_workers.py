"""``eschool serve --workers 2`` on Linux (:mod:`eschool.serve_workers`): each worker accepts
on a listening socket of its own, the kernel spreads connections over them, a worker that dies
is started again, and a stop ends them all."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eschool import serve_workers

pytestmark = pytest.mark.skipif(
    not serve_workers.available(), reason="SO_REUSEPORT balances connections only on Linux"
)

# Generous bounds for a loaded 2-core machine: starting a worker imports the whole app.
PATIENCE = 60.0
CONNECTIONS = 60


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def workers(self) -> list[int]:
        """The worker processes now running (the parent's ``spawn`` children that serve)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes()
                if int(stat[1]) == self.process.pid and b"spawn_main" in command:
                    found.append(int(entry.name))
        return sorted(found)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthz(port: int) -> socket.socket:
    """A kept-alive connection that has had an answer from ``/healthz``."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    return sock


def _wait_until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.1)


def _answers(port: int) -> bool:
    try:
        _healthz(port).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("serve-workers")
    port = _free_port()
    env = {**os.environ, "ESCHOOL_DATA_DIR": str(data)}
    env.pop("ESCHOOL_DATABASE_URL", None)
    env.pop("ESCHOOL_BROKER_URL", None)
    log = data / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "eschool.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Served(process, port, log)
    try:
        _wait_until(lambda: _answers(port) and len(server.workers()) == 2, "two workers answer")
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _connections_of(pid: int) -> int:
    """How many TCP connections a process holds (its sockets but the listening one)."""
    sockets = sum(
        1
        for fd in os.listdir(f"/proc/{pid}/fd")
        if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    )
    return sockets - 1


def test_each_worker_takes_its_share_of_the_connections(served: Served) -> None:
    workers = served.workers()
    before = {pid: _connections_of(pid) for pid in workers}
    kept = [_healthz(served.port) for _ in range(CONNECTIONS)]
    try:
        taken = [_connections_of(pid) - before[pid] for pid in workers]
    finally:
        for sock in kept:
            sock.close()
    assert sum(taken) == CONNECTIONS
    # Spread by the connections' addresses: 60 fall 30 ± 4 or so; under 10 is one in millions.
    assert min(taken) >= 10, taken


def test_a_worker_that_dies_is_started_again(served: Served) -> None:
    first, second = served.workers()
    os.kill(first, signal.SIGKILL)
    _wait_until(
        lambda: len(workers := served.workers()) == 2 and first not in workers,
        "the dead worker started again",
    )
    assert second in served.workers()
    _wait_until(lambda: _answers(served.port), "the server answering")
    kept = [_healthz(served.port) for _ in range(20)]
    for sock in kept:
        sock.close()
    assert b"starting it again" in served.log.read_bytes()


def test_a_stop_ends_every_worker(served: Served) -> None:
    workers = served.workers()
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(PATIENCE) == 0
    _wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), "workers gone")
