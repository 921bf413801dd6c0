"""bench.cpu_slices holds a process to its share of a core with a cgroup quota, and leaves no
cgroup behind; a share outside (0, 1] is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench import cpu_slices
from bench.cpu_slices import CpuSlices


def test_a_share_must_be_a_part_of_one_core() -> None:
    for share in (0, -0.5, 1.5):
        with pytest.raises(ValueError, match="core"):
            CpuSlices(share)


def _group_of(pid: int) -> str:
    """The process's group under the CPU controller, as /proc tells it."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _id, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(",") or controllers == "":
            return path
    return ""


def test_a_process_is_held_to_its_slice_until_closed() -> None:
    found = cpu_slices._root()
    if found is None:
        pytest.skip("no writable cgroup CPU controller here (needs root)")
    root, version = found
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with CpuSlices(0.25) as slices:
            slices.hold(child.pid)
            (group,) = slices._groups
            assert str(child.pid) in (group / "cgroup.procs").read_text().split()
            assert _group_of(child.pid).endswith(group.name)
            if version == "v1":
                assert (group / "cpu.cfs_quota_us").read_text().strip() == "25000"
            else:
                assert (group / "cpu.max").read_text().split() == ["25000", "100000"]
        assert not group.exists()
        assert not _group_of(child.pid).endswith(group.name)
    finally:
        child.kill()
        child.wait()
    assert not any(path.name.startswith(slices._prefix) for path in root.iterdir())
