"""The benchmarks' CPU reading of another process: every thread, exited ones too, finer than
the kernel's 10 ms ticks (a short measurement of a quiet server must not read as 0)."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.processes import cpu_seconds

# A worker thread burns a little CPU and exits; then the process waits to be read.
_CHILD = """
import sys, threading
def burn():
    total = 0
    for i in range(300_000):
        total += i
worker = threading.Thread(target=burn)
worker.start()
worker.join()
print("ready", flush=True)
sys.stdin.read()
"""


def test_cpu_seconds_counts_exited_threads_below_one_tick() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        _measure_while_idle(child)
    assert cpu_seconds(child.pid) == 0.0


def _measure_while_idle(child: subprocess.Popen[str]) -> None:
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        first = cpu_seconds(child.pid)
        # Not a multiple of the 10 ms tick: the reading is the scheduler's nanosecond sum.
        assert first > 0 and round(first * 1e9) % 10_000_000 != 0
        # A process that does nothing reads the same again; it never goes backwards.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            again = cpu_seconds(child.pid)
            assert again >= first
            if again - first < 0.005:
                break
        else:
            raise AssertionError("an idle process kept using CPU")
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
