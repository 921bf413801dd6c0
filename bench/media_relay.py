"""Media relay: one synthetic 640×480 video stream relayed to V aiortc viewers by one process.

The media host is a separate process (``python -m bench.media_relay host --engine E``) that
answers offers given on stdin: engine ``app`` is the app's own media engine
(:class:`live.rtc.MediaRoom`), engine ``baseline`` the bare aiortc relay of aiortc's server
example (one ``MediaRelay``, ``relay.subscribe(track, buffered=False)`` added to each viewer's
peer connection). The publisher (a moving 640×480 pattern at 30 fps) and the viewers are aiortc
peer connections in the benchmark process, which counts the frames each viewer decodes.

Viewers are added in steps (1, 2, 3, 4, 6, 8, …); at each step, after a settling time, a
window of ``window`` seconds gives every viewer's frames per second and the host's CPU seconds
per viewer-second and per frame delivered. The engines are compared at the most viewers both
still served at ``fps``. The ramp stops after the first step where a viewer gets fewer than ``fps``
frames a second: the step before is the largest V served. App and baseline ramps alternate.

Note: aioice never offers 127.0.0.1 as a candidate, so the media flows between the host's own
interface addresses; the packets do not leave the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import PROJECT_ROOT, run_async, work_dir
from bench.figures import emit, median_of, ratio
from bench.processes import cpu_seconds, die_with_parent, stop_process_group

WIDTH, HEIGHT, FPS = 640, 480, 30
STEPS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)


@dataclass
class MediaOptions:
    """The sizes of the media relay benchmark."""

    max_viewers: int = 8
    fps: float = 25.0  # the frame rate every viewer must still get
    settle: float = 2.0
    window: float = 3.0
    rounds: int = 1
    connect_timeout: float = 20.0
    keep: bool = False


# --- the media host (a separate process) -------------------------------------------------------


class BareRelay:
    """The baseline: aiortc's server example, reduced to one publisher relayed to viewers."""

    def __init__(self) -> None:
        from aiortc.contrib.media import MediaBlackhole, MediaRelay

        self.relay = MediaRelay()
        self.drain = MediaBlackhole()
        self.source: Any = None
        self.pcs: dict[str, Any] = {}

    @staticmethod
    def _pc() -> Any:
        from aiortc import RTCConfiguration, RTCPeerConnection

        return RTCPeerConnection(RTCConfiguration(iceServers=[]))

    async def publish(self, publisher_id: str, offer_sdp: str) -> str:
        """Answer the publisher and start draining its video."""
        from aiortc import RTCSessionDescription

        pc = self._pc()
        tracks: list[Any] = []
        pc.on("track", tracks.append)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        self.pcs[publisher_id] = pc
        self.source = next(t for t in tracks if t.kind == "video")
        self.drain.addTrack(self.relay.subscribe(self.source, buffered=False))
        await self.drain.start()
        return pc.localDescription.sdp

    async def subscribe(self, viewer_id: str, offer_sdp: str) -> str:
        """Answer a viewer with the relayed video."""
        from aiortc import RTCSessionDescription

        pc = self._pc()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        pc.addTrack(self.relay.subscribe(self.source, buffered=False))
        await pc.setLocalDescription(await pc.createAnswer())
        self.pcs[viewer_id] = pc
        return pc.localDescription.sdp

    async def close(self) -> None:
        """Hang up everyone."""
        await self.drain.stop()
        await asyncio.gather(*(pc.close() for pc in self.pcs.values()))


class AppRelay:
    """The app's media engine, :class:`live.rtc.MediaRoom`, as the live routes use it."""

    def __init__(self) -> None:
        from live.rtc import MediaRoom
        from live.rtc_types import RtcConfig

        self.room = MediaRoom("bench", config=RtcConfig(max_viewers=10_000, connect_timeout=60))

    async def publish(self, publisher_id: str, offer_sdp: str) -> str:
        """Answer the publisher."""
        return await self.room.publish(publisher_id, offer_sdp, kind="camera")

    async def subscribe(self, viewer_id: str, offer_sdp: str) -> str:
        """Answer a viewer."""
        return await self.room.subscribe(viewer_id, offer_sdp)

    async def close(self) -> None:
        """Close the room."""
        await self.room.close()


async def serve_host(engine: str) -> None:
    """The host's loop: ``{"cmd": "publish"|"subscribe", "id", "sdp"}`` lines in, ``{"sdp"}``
    or ``{"error"}`` lines out; ``close`` or the end of input stops it."""
    relay: BareRelay | AppRelay = AppRelay() if engine == "app" else BareRelay()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 22)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def answer(reply: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()

    try:
        while line := await reader.readline():
            command = json.loads(line)
            try:
                if command["cmd"] == "publish":
                    answer({"sdp": await relay.publish(command["id"], command["sdp"])})
                elif command["cmd"] == "subscribe":
                    answer({"sdp": await relay.subscribe(command["id"], command["sdp"])})
                else:
                    answer({"closed": True})
                    return
            except Exception as exc:
                code = getattr(exc, "code", type(exc).__name__)
                answer({"error": f"{code}: {exc}"})
    finally:
        await relay.close()


class MediaHost:
    """The driver's handle on a host process."""

    def __init__(self, engine: str, log_path: Path) -> None:
        self.engine = engine
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self._log: Any = None

    async def __aenter__(self) -> MediaHost:
        self._log = self.log_path.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.media_relay",
            "host",
            "--engine",
            self.engine,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            cwd=str(PROJECT_ROOT),
            start_new_session=True,
            preexec_fn=die_with_parent,
            limit=1 << 22,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(Exception):
                await self.call({"cmd": "close"}, timeout=10)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 10)
            if process.returncode is None:
                stop_process_group(process.pid)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 5)
        if self._log is not None:
            self._log.close()

    @property
    def pid(self) -> int:
        """The host's process id."""
        assert self.process is not None
        return self.process.pid

    async def call(self, command: dict[str, Any], *, timeout: float = 30) -> dict[str, Any]:
        """Send one command and read its answer."""
        assert self.process is not None and self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"the {self.engine} media host exited: see {self.log_path}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.engine} media host: {reply['error']}")
        return reply


# --- the publisher and the viewers (in the benchmark process) ----------------------------------


def pattern_frames(count: int = FPS) -> list[bytes]:
    """Luma planes of a diagonal pattern moving a little each frame (something to encode)."""
    base = bytes(range(256)) * 8
    planes = []
    for index in range(count):
        rows = (base[(row * 2 + index * 8) % 256 :][:WIDTH] for row in range(HEIGHT))
        planes.append(b"".join(rows))
    return planes


def _video_track(planes: list[bytes]) -> Any:
    from aiortc import VideoStreamTrack
    from av import VideoFrame

    class PatternTrack(VideoStreamTrack):
        """A 640×480, 30 fps camera that films a moving pattern."""

        def __init__(self) -> None:
            super().__init__()
            self.sent = 0

        async def recv(self) -> VideoFrame:
            pts, time_base = await self.next_timestamp()
            frame = VideoFrame(width=WIDTH, height=HEIGHT, format="yuv420p")
            luma = frame.planes[0]
            plane = planes[self.sent % len(planes)]
            if luma.line_size != WIDTH:
                padding = bytes(luma.line_size - WIDTH)
                plane = b"".join(
                    plane[row * WIDTH : (row + 1) * WIDTH] + padding for row in range(HEIGHT)
                )
            luma.update(plane)
            for chroma in frame.planes[1:]:
                chroma.update(bytes([128]) * chroma.buffer_size)
            frame.pts, frame.time_base = pts, time_base
            self.sent += 1
            return frame

    return PatternTrack()


@dataclass
class Viewer:
    """One receiving peer connection and the frames it has decoded."""

    pc: Any
    frames: int = 0
    reader: asyncio.Task[None] | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)


async def _offer(pc: Any) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    return pc.localDescription.sdp


async def _accept(pc: Any, sdp: str) -> None:
    from aiortc import RTCSessionDescription

    await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))


async def _add_viewer(host: MediaHost, number: int) -> Viewer:
    from aiortc import RTCConfiguration, RTCPeerConnection
    from aiortc.mediastreams import MediaStreamError

    viewer = Viewer(RTCPeerConnection(RTCConfiguration(iceServers=[])))

    async def read(track: Any) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                await track.recv()
                viewer.frames += 1

    @viewer.pc.on("track")
    def _on_track(track: Any) -> None:
        if track.kind == "video":
            viewer.reader = asyncio.ensure_future(read(track))

    @viewer.pc.on("connectionstatechange")
    def _on_state() -> None:
        if viewer.pc.connectionState == "connected":
            viewer.connected.set()

    viewer.pc.addTransceiver("video", direction="recvonly")
    offer = await _offer(viewer.pc)
    # The app takes viewers once its side of the publisher's connection is up too.
    for attempt in range(100):
        try:
            reply = await host.call({"cmd": "subscribe", "id": f"viewer-{number}", "sdp": offer})
            break
        except RuntimeError as exc:
            if "no_publisher" not in str(exc):
                raise
            if attempt == 99:
                raise
            await asyncio.sleep(0.1)
    await _accept(viewer.pc, reply["sdp"])
    return viewer


async def _wait_connected(pc: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while pc.connectionState != "connected":
        if time.monotonic() > deadline or pc.connectionState in ("failed", "closed"):
            raise RuntimeError(f"the publisher did not connect ({pc.connectionState})")
        await asyncio.sleep(0.05)


async def ramp(engine: str, options: MediaOptions, log_dir: Path) -> dict[str, Any]:
    """Add viewers step by step on a fresh host of ``engine``; the figures of every step."""
    from aiortc import RTCConfiguration, RTCPeerConnection

    steps: list[dict[str, Any]] = []
    viewers: list[Viewer] = []
    publisher = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    largest = 0
    async with MediaHost(engine, log_dir / f"media-{engine}-{time.monotonic_ns()}.log") as host:
        try:
            publisher.addTransceiver(_video_track(pattern_frames()), direction="sendonly")
            reply = await host.call(
                {"cmd": "publish", "id": "teacher", "sdp": await _offer(publisher)}
            )
            await _accept(publisher, reply["sdp"])
            await _wait_connected(publisher, options.connect_timeout)
            for target in (v for v in STEPS if v <= options.max_viewers):
                while len(viewers) < target:
                    viewers.append(await _add_viewer(host, len(viewers)))
                await asyncio.wait_for(
                    asyncio.gather(*(v.connected.wait() for v in viewers)), options.connect_timeout
                )
                await asyncio.sleep(options.settle)
                frames_before = [v.frames for v in viewers]
                host_before, own_before = cpu_seconds(host.pid), cpu_seconds_self()
                started = time.monotonic()
                await asyncio.sleep(options.window)
                elapsed = time.monotonic() - started
                host_used = cpu_seconds(host.pid) - host_before
                own_used = cpu_seconds_self() - own_before
                fps = [
                    (v.frames - b) / elapsed for v, b in zip(viewers, frames_before, strict=True)
                ]
                frames = sum(v.frames - b for v, b in zip(viewers, frames_before, strict=True))
                step = {
                    "viewers": target,
                    "host_cpu_ms_per_frame": round(host_used * 1000 / frames, 3)
                    if frames
                    else None,
                    "fps_min": round(min(fps), 1),
                    "fps_median": round(median_of(fps) or 0.0, 1),
                    "host_cpu_s_per_viewer_s": round(host_used / (target * elapsed), 4),
                    "host_cores": round(host_used / elapsed, 2),
                    "client_cores": round(own_used / elapsed, 2),
                }
                steps.append(step)
                if min(fps) < options.fps:
                    break
                largest = target
        finally:
            for viewer in viewers:
                if viewer.reader is not None:
                    viewer.reader.cancel()
                with contextlib.suppress(Exception):
                    await viewer.pc.close()
            with contextlib.suppress(Exception):
                await publisher.close()
    return {"largest_viewers_at_fps": largest, "steps": steps}


def _per_frame(cpu: float, frames: int) -> float | None:
    return round(cpu * 1000 / frames, 3) if frames else None


def cpu_seconds_self() -> float:
    """CPU seconds of this process (its decoder threads included)."""
    import os

    return cpu_seconds(os.getpid())


async def run(options: MediaOptions) -> dict[str, Any]:
    """Run the benchmark; returns its figures (see the module docstring)."""
    runs: dict[str, list[dict[str, Any]]] = {"app": [], "baseline": []}
    with work_dir("media", keep=options.keep) as tmp:
        for _round in range(options.rounds):
            for engine in ("app", "baseline"):
                runs[engine].append(await ramp(engine, options, tmp))
    by_viewers = {engine: _by_viewers(engine_runs) for engine, engine_runs in runs.items()}
    common = sorted(set(by_viewers["app"]) & set(by_viewers["baseline"]))
    # Compared where both engines still served every viewer at the frame rate, else at the
    # fewest viewers both were measured with.
    served = [v for v in common if all(by_viewers[e][v]["fps_min"] >= options.fps for e in runs)]
    at = served[-1] if served else (common[0] if common else None)
    largest = {
        engine: median_of(run["largest_viewers_at_fps"] for run in engine_runs)
        for engine, engine_runs in runs.items()
    }
    return {
        "benchmark": "media_relay",
        "options": asdict(options),
        "max_viewers_ratio": ratio(largest["app"], largest["baseline"]),
        "cpu_per_viewer_second_ratio": ratio(
            by_viewers["app"][at]["host_cpu_s_per_viewer_s"] if at else None,
            by_viewers["baseline"][at]["host_cpu_s_per_viewer_s"] if at else None,
        ),
        "cpu_per_frame_ratio": ratio(
            by_viewers["app"][at]["host_cpu_ms_per_frame"] if at else None,
            by_viewers["baseline"][at]["host_cpu_ms_per_frame"] if at else None,
        ),
        "compared_at_viewers": at,
        **{
            engine: {"largest_viewers_at_fps": largest[engine], "by_viewers": by_viewers[engine]}
            for engine in runs
        },
        "runs": runs,
    }


def _by_viewers(runs: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Per number of viewers measured in every round: the medians of its figures."""
    counts = set.intersection(*({step["viewers"] for step in run["steps"]} for run in runs))
    figures: dict[int, dict[str, Any]] = {}
    for viewers in sorted(counts):
        steps = [step for run in runs for step in run["steps"] if step["viewers"] == viewers]
        figures[viewers] = {
            key: median_of(step[key] for step in steps)
            for key in (
                "fps_min",
                "fps_median",
                "host_cpu_s_per_viewer_s",
                "host_cpu_ms_per_frame",
                "host_cores",
            )
        }
    return figures


def parse_args(argv: list[str] | None = None) -> tuple[str, Any]:
    """``host --engine E`` or the benchmark's options."""
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["host"]:
        parser = argparse.ArgumentParser(prog="bench.media_relay host")
        parser.add_argument("--engine", choices=["app", "baseline"], required=True)
        return "host", parser.parse_args(argv[1:]).engine
    defaults = MediaOptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, value in asdict(defaults).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action="store_true")
        else:
            parser.add_argument(flag, type=type(value), default=value)
    return "bench", MediaOptions(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: the benchmark (JSON on stdout) or a media host."""
    mode, value = parse_args(argv)
    if mode == "host":
        asyncio.run(serve_host(value))
        return
    emit(run_async(run(value)))


if __name__ == "__main__":
    main()
