"""The open-files limit of a benchmark that holds thousands of sockets.

Every socket is a file descriptor on both ends: the server holds one per connection, each
receiver process its share. Servers and receivers are children of the benchmark process and
inherit its limits, so raising the soft limit here (up to the hard limit, which needs no
privilege) raises it for all of them.
"""

from __future__ import annotations

import resource
from typing import Any

# Descriptors a process needs besides its sockets: logs, pipes, the database, Redis, imports.
SPARE_DESCRIPTORS = 512


def ensure_open_files(sockets: int) -> dict[str, Any]:
    """Raise the soft ``RLIMIT_NOFILE`` so one process can hold ``sockets`` connections.

    Returns what was found and done: ``{"needed", "soft_before", "soft", "hard", "raised",
    "enough"}``; ``enough`` is false when even the hard limit is too low (the benchmark then
    runs anyway and its failed connections say so).
    """
    needed = sockets + SPARE_DESCRIPTORS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    report: dict[str, Any] = {"needed": needed, "soft_before": soft, "hard": hard}
    target = soft
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    report["soft"] = target
    report["raised"] = target != soft
    report["enough"] = target == resource.RLIM_INFINITY or target >= needed
    return report
