"""A fixed slice of a core for each server process: a model of a machine with a core per worker.

Two workers against one cannot show how the server scales out on a 2-core machine where the
load generators need the same two cores: the faster the server, the more of them its receivers
take. With slices, each server process is held to the same share of a core (a Linux cgroup CPU
quota) whether it runs alone or beside another worker, and the receivers, Redis and the
database have the rest: the ratio then tells what a second worker adds when it has a core of
its own, as it would on a bigger machine. Both sides of a comparison get equal slices per
process, so neither is favoured.

Needs a writable cgroup CPU controller (root; cgroup v1's ``cpu`` or cgroup v2's ``cpu.max``).
:meth:`CpuSlices.available` says whether it is there; a benchmark runs without slices when it
is not, and says so in its figures.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Self

PERIOD_US = 100_000
_V1 = Path("/sys/fs/cgroup/cpu")
_V2 = Path("/sys/fs/cgroup")


def _root() -> tuple[Path, str] | None:
    """Where slices can be made, and how: ``(folder, "v1" | "v2")``, or None."""
    if (_V1 / "cpu.cfs_quota_us").exists() and os.access(_V1, os.W_OK):
        return _V1, "v1"
    controllers = _V2 / "cgroup.controllers"
    v2 = controllers.exists() and "cpu" in controllers.read_text().split()
    return (_V2, "v2") if v2 and os.access(_V2, os.W_OK) else None


class CpuSlices:
    """Cgroups of ``share`` of a core each, one per process held; removed on close."""

    def __init__(self, share: float) -> None:
        if not 0 < share <= 1:
            raise ValueError("a slice is more than 0 and at most 1 core")
        self.share = share
        self._groups: list[Path] = []
        self._prefix = f"eschool-bench-{uuid.uuid4().hex[:8]}"

    @staticmethod
    def available() -> bool:
        """Whether this machine lets the benchmark make slices."""
        return _root() is not None

    def hold(self, pid: int) -> None:
        """Hold process ``pid`` (and the threads it has and will have) to one slice."""
        found = _root()
        if found is None:
            raise RuntimeError("no writable cgroup CPU controller: run without slices")
        root, version = found
        group = root / f"{self._prefix}-{len(self._groups)}"
        group.mkdir()
        self._groups.append(group)
        quota = round(self.share * PERIOD_US)
        if version == "v1":
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        else:
            (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        (group / "cgroup.procs").write_text(str(pid))

    def close(self) -> None:
        """Move what is still held back to the root group and remove the slices."""
        found = _root()
        for group in reversed(self._groups):
            with contextlib.suppress(OSError):
                for pid in (group / "cgroup.procs").read_text().split():
                    if found is not None:
                        with contextlib.suppress(OSError):
                            (found[0] / "cgroup.procs").write_text(pid)
                group.rmdir()
        self._groups.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
