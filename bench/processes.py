"""The processes a benchmark starts: each in its own process group, its output in a log file,
killed with the benchmark, waited for on its port; and the CPU time and memory of a process
and its descendants, read from Linux.

Everything started here is stopped in ``finally`` blocks by its caller, so an error or a
timeout leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import HOST, PROJECT_ROOT

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces and parentheses: the fields start after the last ")".
    return raw[raw.rindex(")") + 2 :].split()


# The CPU time each descendant under a measured root had at its last reading: a descendant
# that exits takes its time out of the tree, so it keeps counting with what it had used.
_seen_processes: dict[tuple[int, int], float] = {}


def _process_cpu_clock(pid: int) -> int:
    """The clock id of ``pid``'s CPU-time clock, as ``clock_getcpuclockid(3)`` makes it
    (Linux: the pid inverted, shifted by three, the scheduler's clock)."""
    return ((~pid) << 3) | 2


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far, every thread counted, the exited
    ones too, to the nanosecond (the scheduler's own sum, read through the process's CPU
    clock). ``/proc/<pid>/stat`` counts in 10 ms ticks, too coarse for a short measurement:
    it is only the fallback where the clock cannot be read. 0.0 for a process that is gone.
    """
    try:
        return time.clock_gettime(_process_cpu_clock(pid))
    except OSError:
        pass
    try:
        fields = _stat_fields(pid)
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def process_tree(pid: int) -> list[int]:
    """``pid`` and every descendant of it (uvicorn's workers, for instance)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(int(entry.name))[1])
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its descendants (a descendant that has exited since an
    earlier call counts with what it had used then)."""
    live = {p: cpu_seconds(p) for p in process_tree(pid)}
    for child, used in live.items():
        _seen_processes[(pid, child)] = used
    gone = sum(
        used for (root, child), used in _seen_processes.items() if root == pid and child not in live
    )
    return sum(live.values()) + gone


def rss_bytes(pid: int) -> int:
    """Resident memory of one process in bytes (0 once it has gone)."""
    try:
        resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return 0
    return resident * _PAGE_SIZE


def die_with_parent() -> None:
    """In a child before ``exec``: ask Linux to SIGTERM it when the benchmark process dies,
    so even a benchmark killed with SIGKILL leaves no server or receiver behind."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to the process group led by ``pid`` (started with a new session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


@dataclass
class Child:
    """A process started by a benchmark in its own process group, its output in a log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        """The process id (also its process group id)."""
        return self.process.pid

    def cpu_seconds(self) -> float:
        """CPU seconds of the process and its descendants so far."""
        return tree_cpu_seconds(self.pid)

    def rss_bytes(self) -> int:
        """Resident memory of the process itself."""
        return rss_bytes(self.pid)

    def alive(self) -> bool:
        """Whether it still runs."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        """The end of its log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to the whole group, then SIGKILL to what is left after ``timeout``."""
        if self.process.poll() is None:
            stop_process_group(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        # Whatever the group still holds (workers of a stopped parent too) is killed.
        stop_process_group(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)


def start_child(
    name: str, args: Sequence[str], *, log_path: Path, env: Mapping[str, str] | None = None
) -> Child:
    """Start ``args`` in a new process group with its output going to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(args),
            cwd=PROJECT_ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    return Child(name, process, log_path)


def wait_http(url: str, child: Child, *, timeout: float = 120) -> None:
    """Wait until ``url`` answers 200; raise with the child's log if it dies or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited early:\n{child.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - 127.0.0.1
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{child.name} did not answer {url} in {timeout:.0f}s:\n{child.log_tail()}")


def wait_port(port: int, child: Child, *, timeout: float = 60) -> None:
    """Wait until something listens on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited early:\n{child.log_tail()}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{child.name} did not listen on {port}:\n{child.log_tail()}")
