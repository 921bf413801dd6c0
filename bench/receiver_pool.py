"""The benchmark's side of the lean receivers: :class:`ReceiverPool` starts several
``python -m bench.lean_client`` processes and drives them together (connect, count frames,
report), merging their answers; :mod:`bench.lean_client` is the receivers' side."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bench.common import PROJECT_ROOT
from bench.lean_client import READ_LIMIT
from bench.processes import cpu_seconds, die_with_parent, stop_process_group


@dataclass
class CollectReport:
    """The merged figures of one ``collect`` over every receiver process."""

    received: int
    complete: int
    connections: int
    first: float | None
    last: float | None
    closed_during: int
    arrivals: dict[tuple[str, int], list[float]]  # (path, seq) -> arrival times


class ReceiverPool:
    """Several receiver processes, driven together; use ``async with ReceiverPool(n) as pool``."""

    def __init__(self, processes: int, *, log_dir: os.PathLike[str] | str | None = None) -> None:
        self.size = max(1, processes)
        self.log_dir = log_dir
        self.processes: list[asyncio.subprocess.Process] = []
        self._logs: list[Any] = []

    @staticmethod
    def processes_for(connections: int, per_process: int = 300, most: int = 4) -> int:
        """A sensible number of receiver processes for ``connections`` sockets."""
        return max(1, min(most, math.ceil(connections / per_process)))

    async def __aenter__(self) -> ReceiverPool:
        try:
            for index in range(self.size):
                stderr: Any = asyncio.subprocess.DEVNULL
                if self.log_dir is not None:
                    log = open(os.path.join(self.log_dir, f"receiver-{index}.log"), "wb")  # noqa: SIM115
                    self._logs.append(log)
                    stderr = log
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bench.lean_client",
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=stderr,
                    cwd=str(PROJECT_ROOT),
                    start_new_session=True,
                    preexec_fn=die_with_parent,
                    limit=READ_LIMIT,
                )
                self.processes.append(process)
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def pids(self) -> list[int]:
        """The receiver processes' ids."""
        return [p.pid for p in self.processes]

    def cpu_seconds(self) -> float:
        """CPU time used so far by every receiver process together."""
        return sum(cpu_seconds(pid) for pid in self.pids)

    async def _send(self, process: asyncio.subprocess.Process, command: dict[str, Any]) -> None:
        assert process.stdin is not None
        process.stdin.write(json.dumps(command, separators=(",", ":")).encode() + b"\n")
        await process.stdin.drain()

    async def _read(self, process: asyncio.subprocess.Process, timeout: float) -> dict[str, Any]:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"receiver {process.pid} exited ({process.returncode})")
        return json.loads(line)

    async def connect(
        self,
        host: str,
        port: int,
        targets: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 64,
        timeout: float = 120,
        await_welcome: bool = True,
        keepalive: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Open ``targets`` (``{"path", "headers"}``) spread over the processes; returns
        ``{"ok", "failed", "errors", "seconds"}`` (seconds: wall time for all of them).
        ``keepalive`` ``{"every": s, "text": "...%d..."}`` makes each connection send a message
        every ``s`` seconds."""
        shares: list[list[Mapping[str, Any]]] = [[] for _ in self.processes]
        for index, target in enumerate(targets):
            shares[index % len(shares)].append(target)
        started = time.monotonic()
        for process, share in zip(self.processes, shares, strict=True):
            await self._send(
                process,
                {
                    "cmd": "connect",
                    "host": host,
                    "port": port,
                    "targets": list(share),
                    "concurrency": concurrency,
                    "timeout": timeout,
                    "await_welcome": await_welcome,
                    "keepalive": dict(keepalive) if keepalive else None,
                },
            )
        replies = await asyncio.gather(*(self._read(p, timeout + 30) for p in self.processes))
        return {
            "ok": sum(r["ok"] for r in replies),
            "failed": sum(r["failed"] for r in replies),
            "errors": [e for r in replies for e in r["errors"]][:5],
            "seconds": time.monotonic() - started,
        }

    async def arm(
        self, types: Iterable[str], *, expect: int, timeout: float, arrivals: bool = False
    ) -> None:
        """Start counting frames of ``types``; returns once every process is counting."""
        command = {
            "cmd": "collect",
            "types": list(types),
            "expect": expect,
            "timeout": timeout,
            "arrivals": arrivals,
        }
        for process in self.processes:
            await self._send(process, command)
        replies = await asyncio.gather(*(self._read(p, 30) for p in self.processes))
        if any(r.get("event") != "armed" for r in replies):
            raise RuntimeError(f"receivers did not arm: {replies}")

    async def collected(self, timeout: float) -> CollectReport:
        """Wait for the reports of the armed measurement and merge them."""
        replies = await asyncio.gather(*(self._read(p, timeout) for p in self.processes))
        firsts = [r["first"] for r in replies if r["first"] is not None]
        lasts = [r["last"] for r in replies if r["last"] is not None]
        arrivals: dict[tuple[str, int], list[float]] = {}
        for reply in replies:
            for path, seq, times in reply.get("arrivals", []):
                arrivals.setdefault((path, int(seq)), []).extend(times)
        return CollectReport(
            received=sum(r["received"] for r in replies),
            complete=sum(r["complete"] for r in replies),
            connections=sum(r["connections"] for r in replies),
            first=min(firsts) if firsts else None,
            last=max(lasts) if lasts else None,
            closed_during=sum(r["closed_during"] for r in replies),
            arrivals=arrivals,
        )

    async def stats(self) -> dict[str, Any]:
        """Open connections and close codes over every process."""
        for process in self.processes:
            await self._send(process, {"cmd": "stats"})
        replies = await asyncio.gather(*(self._read(p, 30) for p in self.processes))
        codes: dict[str, int] = {}
        for reply in replies:
            for code, count in reply["close_codes"].items():
                codes[code] = codes.get(code, 0) + count
        return {
            "open": sum(r["open"] for r in replies),
            "lost": sum(r["lost"] for r in replies),
            "close_codes": codes,
        }

    async def close(self, timeout: float = 10) -> None:
        """Close every connection and stop every process (killing what does not stop)."""
        for process in self.processes:
            if process.returncode is None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._send(process, {"cmd": "close"}), 2)
        for process in self.processes:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), timeout)
            if process.returncode is None:
                stop_process_group(process.pid)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 5)
        self.processes = []
        for log in self._logs:
            log.close()
        self._logs = []
