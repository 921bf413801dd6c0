"""``eschool serve --workers N`` on Linux: N worker processes, each accepting connections on a
listening socket of its own, all bound to the one address with ``SO_REUSEPORT``.

The kernel then spreads new connections over the workers by their addresses, however busy each
worker is (a hash: 200 connections fall about 100 ± 7 to each). With one listening socket
shared by every worker (uvicorn's own ``--workers``), whichever worker wakes first takes a
connection: a live lesson's sockets stay for the whole lesson, so a worker that was a little
less busy when the bell rang serves more of the class for 45 minutes (seen: 121 and 153
sockets of one benchmark's room).

The parent holds the listening sockets and does nothing else: it starts the workers (fresh
interpreters, ``spawn``), starts a worker again on the same socket when it dies (connections
the kernel gave that socket meanwhile wait in its backlog), and on ``SIGTERM``/``SIGINT`` asks
every worker to stop (uvicorn's graceful shutdown), then kills what has not stopped in time.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
from multiprocessing.context import SpawnProcess
from typing import Any

logger = logging.getLogger("eschool.serve")

# How often the parent looks for a worker that died.
_WATCH_SECONDS = 0.5
# How long the parent waits for the workers to stop before it kills them (more than uvicorn's
# graceful shutdown of a worker: ``timeout_graceful_shutdown``).
_STOP_SECONDS = 15.0
_BACKLOG = 2048


def available() -> bool:
    """Whether the kernel balances connections over sockets bound with ``SO_REUSEPORT``
    (Linux; elsewhere the option means something else, and uvicorn's workers are used)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT``, listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(_BACKLOG)
        sock.set_inheritable(True)
    except BaseException:
        sock.close()
        raise
    return sock


def _work(sock: socket.socket, options: dict[str, Any]) -> None:
    """A worker: uvicorn serving ``options`` on ``sock`` (runs in the child)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(**options))
    server.run(sockets=[sock])


class Workers:
    """The worker processes of one ``serve``: one per listening socket, kept running."""

    def __init__(self, sockets: list[socket.socket], options: dict[str, Any]) -> None:
        self.sockets = sockets
        self.options = options
        self.processes: list[SpawnProcess | None] = [None] * len(sockets)
        self._context = multiprocessing.get_context("spawn")
        self._stopping = threading.Event()

    def start(self, index: int) -> None:
        process = self._context.Process(
            target=_work, args=(self.sockets[index], self.options), name=f"eschool-worker-{index}"
        )
        process.start()
        self.processes[index] = process

    def run(self) -> None:
        """Start every worker, keep them running until a stop is asked, then stop them."""
        for index in range(len(self.sockets)):
            self.start(index)
        while not self._stopping.wait(_WATCH_SECONDS):
            for index, process in enumerate(self.processes):
                if process is not None and not process.is_alive() and not self._stopping.is_set():
                    logger.warning(
                        "worker %s (process %s) ended with %s: starting it again",
                        index,
                        process.pid,
                        process.exitcode,
                    )
                    self.start(index)
        self._stop_all()

    def stop(self, *_: Any) -> None:
        """Ask for the workers to stop (a signal handler)."""
        self._stopping.set()

    def _stop_all(self) -> None:
        running = [p for p in self.processes if p is not None and p.is_alive()]
        for process in running:
            process.terminate()  # SIGTERM: uvicorn's graceful shutdown
        for process in running:
            process.join(_STOP_SECONDS)
            if process.is_alive():
                logger.warning("worker process %s did not stop in time: killed", process.pid)
                process.kill()
                process.join()


def serve(host: str, port: int, workers: int, options: dict[str, Any]) -> None:
    """Serve uvicorn ``options`` (a ``uvicorn.Config``'s keywords, without host and port) on
    ``host:port`` with ``workers`` processes (see the module)."""
    sockets = [listening_socket(host, port) for _ in range(workers)]
    supervisor = Workers(sockets, options)
    previous = {
        signum: signal.signal(signum, supervisor.stop) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    shown = f"[{host}]" if ":" in host else host
    logger.info("serving on http://%s:%d with %d workers", shown, port, workers)
    try:
        supervisor.run()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for sock in sockets:
            sock.close()
