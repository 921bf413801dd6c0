"""Run a server module under cProfile and write its statistics when it stops.

``python -m bench.profile_server OUT.prof MODULE [ARGS…]`` — what ``ESCHOOL_BENCH_PROFILE`` uses
(see :func:`bench.servers.app_server`). ``python -m cProfile`` alone writes nothing here: after its
graceful shutdown uvicorn raises SIGTERM again, which would end the process before the write.
"""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
from types import FrameType


def _exit(_signum: int, _frame: FrameType | None) -> None:
    sys.exit(0)


def main() -> None:
    """Profile ``MODULE`` run as ``__main__`` with ``ARGS``."""
    output, module, *args = sys.argv[1:]
    sys.argv = [module, *args]
    # Uvicorn re-raises the signal it stopped on with the handler found at start: this one.
    signal.signal(signal.SIGTERM, _exit)
    profiler = cProfile.Profile()
    try:
        profiler.runcall(runpy.run_module, module, run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        profiler.dump_stats(output)


if __name__ == "__main__":
    main()
