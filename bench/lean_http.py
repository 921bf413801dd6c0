"""A lean HTTP/1.1 load generator for benchmarks: keep-alive connections over asyncio streams.

``httpx`` spends a few hundred µs of CPU per request; on a two-core machine the load generator
would take the CPU the server needs. This one writes the request bytes prepared once and reads
the response by its ``Content-Length`` (or chunks), nothing more.

Run as ``python -m bench.lean_http``: reads one JSON spec on stdin, prints one JSON result (see
:func:`run_spec`). :func:`http_load` runs it in separate processes from a benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.common import HOST, PROJECT_ROOT
from bench.figures import latency_figures, ratio
from bench.processes import die_with_parent, stop_process_group
from bench.servers import Server

_READ_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class HttpRequest:
    """One request to send (``body`` is sent as given, usually JSON text)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: str | None = None

    def encode(self, host: str, port: int) -> bytes:
        """The request's bytes on a keep-alive connection."""
        body = (self.body or "").encode()
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}:{port}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body is not None:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; returns (status, whether the server keeps the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    keep = headers.get("connection", "").lower() != "close"
    return status, keep


async def run_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run a load: ``{"host", "port", "requests": [{"method","path","headers","body"}],
    "connections", "duration", "max_requests", "warmup", "min_requests", "max_seconds"}``;
    each connection sends the requests in turn, for ``duration`` seconds after the warm-up, or
    longer (up to ``max_seconds``) until ``min_requests`` are measured.

    Returns ``{"requests", "all_requests", "seconds", "statuses", "latencies", "cpu_seconds",
    "errors"}``: latencies in seconds and ``requests`` of the requests sent after the warm-up,
    ``all_requests`` with the warm-up's."""
    host, port = str(spec["host"]), int(spec["port"])
    requests = [
        HttpRequest(r["method"], r["path"], r.get("headers", {}), r.get("body")).encode(host, port)
        for r in spec["requests"]
    ]
    order = itertools.cycle(range(len(requests)))
    warmup = float(spec.get("warmup", 0.0))
    duration = float(spec.get("duration", 5.0))
    budget = int(spec.get("max_requests", 1_000_000))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    started = time.monotonic()
    measure_from = started + warmup
    deadline = measure_from + duration
    # A slow endpoint is measured for longer, up to ``max_seconds``, to get ``min_requests``.
    min_requests = int(spec.get("min_requests", 0))
    hard_deadline = measure_from + max(duration, float(spec.get("max_seconds", duration)))
    cpu_before = time.process_time()
    counted = served = 0

    async def connection() -> None:
        nonlocal counted, served
        reader = writer = None
        try:
            while counted < budget and (
                (now := time.monotonic()) < deadline
                or (counted < min_requests and now < hard_deadline)
            ):
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port, limit=_READ_LIMIT)
                assert reader is not None
                sent = time.monotonic()
                writer.write(requests[next(order)])
                status, keep = await _read_response(reader)
                done = time.monotonic()
                served += 1
                if sent >= measure_from:
                    counted += 1
                    latencies.append(done - sent)
                    statuses[str(status)] = statuses.get(str(status), 0) + 1
                if not keep:
                    writer.close()
                    reader = writer = None
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            if len(errors) < 5:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            if writer is not None:
                writer.close()

    await asyncio.gather(*(connection() for _ in range(int(spec.get("connections", 8)))))
    ended = time.monotonic()
    return {
        "requests": counted,
        "all_requests": served,
        "seconds": max(1e-9, ended - max(measure_from, started)),
        "statuses": statuses,
        "latencies": latencies,
        "cpu_seconds": time.process_time() - cpu_before,
        "errors": errors,
    }


async def http_load(
    spec: Mapping[str, Any], *, processes: int = 1, timeout: float | None = None
) -> dict[str, Any]:
    """Run ``spec`` in ``processes`` load processes at once (its ``connections`` split among
    them) and merge their results: ``{"requests", "seconds", "requests_per_s", "statuses",
    "latencies", "client_cpu_seconds", "errors"}``."""
    connections = int(spec.get("connections", 8))
    shares = [
        connections // processes + (1 if i < connections % processes else 0)
        for i in range(processes)
    ]
    longest = max(float(spec.get("duration", 5)), float(spec.get("max_seconds", 0)))
    limit = timeout or longest + float(spec.get("warmup", 0)) + 120
    children: list[asyncio.subprocess.Process] = []
    try:
        for share in shares:
            if share == 0:
                continue
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.lean_http",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                cwd=str(PROJECT_ROOT),
                start_new_session=True,
                preexec_fn=die_with_parent,
                limit=_READ_LIMIT,
            )
            children.append(child)
            assert child.stdin is not None
            child.stdin.write(json.dumps({**spec, "connections": share}).encode() + b"\n")
            await child.stdin.drain()
            child.stdin.close()
        outputs = await asyncio.wait_for(
            asyncio.gather(*(child.communicate() for child in children)), limit
        )
    finally:
        for child in children:
            if child.returncode is None:
                stop_process_group(child.pid)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(child.wait(), 5)
    results = [json.loads(stdout) for stdout, _stderr in outputs]
    return merge_results(results)


def merge_results(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One result from the results of several load processes."""
    statuses: dict[str, int] = {}
    for result in results:
        for status, count in result["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    requests = sum(r["requests"] for r in results)
    seconds = max((r["seconds"] for r in results), default=0.0)
    return {
        "requests": requests,
        "all_requests": sum(r["all_requests"] for r in results),
        "seconds": seconds,
        "requests_per_s": requests / seconds if seconds else None,
        "statuses": statuses,
        "latencies": [at for r in results for at in r["latencies"]],
        "client_cpu_seconds": sum(r["cpu_seconds"] for r in results),
        "errors": [e for r in results for e in r["errors"]][:5],
    }


@dataclass(frozen=True)
class LoadPlan:
    """How :func:`compare_endpoints` loads each endpoint."""

    connections: int = 8
    seconds: float = 2.0  # of load per endpoint and round, after the warm-up
    warmup: float = 0.5
    rounds: int = 3
    processes: int = 1
    min_requests: int = 20  # a slow endpoint is measured longer to get at least these
    max_seconds: float = 20.0


async def compare_endpoints(
    server: Server, requests: Mapping[str, Sequence[Mapping[str, Any]]], plan: LoadPlan
) -> dict[str, list[dict[str, Any]]]:
    """Load each endpoint in turn, ``plan.rounds`` times over (A B C … A B C …); per endpoint
    a list of runs: ``{"requests_per_s", "p50_ms", "p99_ms", "max_ms", "requests", "ok",
    "statuses", "errors", "server_cpu_ms_per_request", "client_cpu_ms_per_request"}``."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in requests}
    for _round in range(plan.rounds):
        for name, batch in requests.items():
            server_before = server.cpu_seconds()
            result = await http_load(
                {
                    "host": HOST,
                    "port": server.port,
                    "requests": list(batch),
                    "connections": plan.connections,
                    "duration": plan.seconds,
                    "warmup": plan.warmup,
                    "min_requests": plan.min_requests,
                    "max_seconds": plan.max_seconds,
                },
                processes=plan.processes,
            )
            server_used = server.cpu_seconds() - server_before
            served = result["all_requests"]
            runs[name].append(
                {
                    "requests_per_s": round(result["requests_per_s"] or 0, 1),
                    **latency_figures(result["latencies"]),
                    "requests": result["requests"],
                    "ok": sum(n for s, n in result["statuses"].items() if s.startswith("2")),
                    "statuses": result["statuses"],
                    "errors": result["errors"],
                    # CPU over every request served, the warm-up's included.
                    "server_cpu_ms_per_request": _per_request(server_used, served),
                    "client_cpu_ms_per_request": _per_request(result["client_cpu_seconds"], served),
                }
            )
    return runs


async def probe_endpoints(
    server: Server, requests: Mapping[str, Sequence[Mapping[str, Any]]], *, count: int = 4
) -> dict[str, dict[str, Any]]:
    """Each endpoint's latency without load: ``count`` requests one after another on one
    connection (the first of them not counted); ``{"alone_p50_ms", "alone_max_ms"}``."""
    figures = {}
    for name, batch in requests.items():
        result = await http_load(
            {
                "host": HOST,
                "port": server.port,
                "requests": list(batch),
                "connections": 1,
                "duration": 0.0,
                "warmup": 0.0,
                "min_requests": count,
                "max_requests": count,
                "max_seconds": 120.0,
            }
        )
        latencies = result["latencies"][1:]
        figures[name] = {
            "alone_p50_ms": latency_figures(latencies)["p50_ms"],
            "alone_max_ms": latency_figures(latencies)["max_ms"],
        }
    return figures


def endpoint_ratios(figures: Mapping[str, Mapping[str, Any]], baseline: str) -> dict[str, Any]:
    """``<name>_rps_ratio`` and ``<name>_p99_ratio`` (under load), and ``<name>_alone_ratio``
    (p50 without load, when probed) of each endpoint against ``baseline``."""
    base = figures[baseline]
    ratios: dict[str, Any] = {}
    for name, figure in figures.items():
        if name != baseline:
            ratios[f"{name}_rps_ratio"] = ratio(figure["requests_per_s"], base["requests_per_s"])
            ratios[f"{name}_p99_ratio"] = ratio(figure["p99_ms"], base["p99_ms"])
            if "alone_p50_ms" in figure:
                ratios[f"{name}_alone_ratio"] = ratio(figure["alone_p50_ms"], base["alone_p50_ms"])
    return ratios


def _per_request(cpu_seconds: float, requests: int) -> float | None:
    return round(cpu_seconds * 1000 / requests, 3) if requests else None


def main() -> None:
    """Entry point of a load process: one JSON spec in, one JSON result out."""
    spec = json.loads(sys.stdin.readline())
    runner: Any = asyncio.run
    with contextlib.suppress(ImportError):
        import uvloop

        runner = uvloop.run
    result = runner(run_spec(spec))
    sys.stdout.write(json.dumps(result, separators=(",", ":")))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
