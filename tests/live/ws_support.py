"""Support for the live-lesson tests: a school to run a lesson in, real servers, a scripted
WebSocket client.

``seed_world`` builds the demo people, a published lesson and a journal slot of today through the
services (on its own engine, so it works before any server starts). ``ThreadServer`` runs the
app under uvicorn in a thread of this process; ``ProcessServer`` runs ``eschool serve`` in a
subprocess (for restarts and for two processes sharing Redis). ``LiveClient`` speaks the live
protocol with the ``websockets`` client and keeps every frame it received.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from eschool.app import create_app
from eschool.cli import WS_PROTOCOL
from eschool.db import create_engine, create_sessionmaker
from eschool.migrate import migrate
from eschool.queries import term_current
from eschool.seed import seed_people
from eschool.settings import Settings
from tests.browser import free_port, wait_healthy

# How long a frame that should come may take; a bound only so a broken server fails, not hangs.
ARRIVAL = 10.0

QUIZ = {
    "id": "quiz1",
    "kind": "quiz",
    "questions": [
        {"kind": "single", "prompt": "2 + 2 = ?", "options": ["3", "4", "5"], "answer": 1},
        {
            "kind": "multiple",
            "prompt": "Even numbers",
            "options": ["2", "3", "4"],
            "answer": [0, 2],
        },
        {"kind": "text", "prompt": "The capital of Russia", "answer": ["Moscow", "Москва"]},
        {"kind": "number", "prompt": "3/4 as a decimal", "answer": {"value": 0.75}},
        {
            "kind": "order",
            "prompt": "Smallest first",
            "options": ["3", "1", "2"],
            "answer": [1, 2, 0],
        },
        {
            "kind": "match",
            "prompt": "Match",
            "options": {"left": ["1/2", "1/4"], "right": ["0.25", "0.5"]},
            "answer": [[0, 1], [1, 0]],
        },
    ],
}
RIGHT_ANSWERS = [1, [0, 2], "москва", 0.75, [1, 2, 0], [[0, 1], [1, 0]]]
WRONG_ANSWERS = [0, [1], "Paris", 0.5, [0, 2, 1], [[0, 0], [1, 1]]]
BLOCKS = [
    {"id": "intro", "kind": "text", "text": "# Fractions\n\nA fraction is a part of a whole."},
    QUIZ,
    {"id": "poll1", "kind": "poll", "prompt": "Did you like it?", "options": ["Yes", "No"]},
    {"id": "board", "kind": "whiteboard"},
    {"id": "outro", "kind": "text", "text": "Thank you!"},
]


@dataclass
class Person:
    id: int
    login: str
    name: str


@dataclass
class World:
    """What ``seed_world`` made: ids and the people who take part."""

    lesson_id: int
    slot_id: int
    course_id: int
    class_id: int
    teacher: Person
    pupils: list[Person]
    outsider: Person  # a pupil of 7B
    today: date


async def seed_world(
    database_url: str, *, today: date | None = None, migrated: bool = True
) -> World:
    """The demo people, a published lesson of ``BLOCKS`` by ``teacher``, Mathematics of 7A
    taught by ``teacher`` and a journal slot of today."""
    from gradebook import structure_services
    from gradebook.models import Slot
    from lessons import services as lessons
    from lessons.models import LessonCreate

    today = today or datetime.now(ZoneInfo(Settings.timezone)).date()
    engine = create_engine(database_url)
    try:
        if not migrated:
            await migrate(engine)
        async with create_sessionmaker(engine)() as session:
            people, _created = await seed_people(session, today=today)
            teacher = people.staff["teacher"]
            admin = people.staff["admin"]
            lesson = await lessons.lesson_create(
                session,
                actor=teacher,
                data=LessonCreate(
                    title="Fractions", subject="Mathematics", grades=[7], blocks=BLOCKS
                ),
            )
            await lessons.lesson_publish(session, actor=teacher, lesson_id=lesson.id or 0)
            subject = await structure_services.subject_create(
                session, actor=admin, name="Mathematics", short_name="Math"
            )
            course = await structure_services.course_create(
                session,
                actor=admin,
                class_id=people.classes["7A"].id,
                subject_id=subject.id,
                teacher_ids=[teacher.id],
            )
            term = await term_current(session, school_id=people.school.id or 0, today=today)
            assert term is not None, "the demo people come with a term that covers today"
            slot = Slot(
                school_id=people.school.id or 0,
                course_id=course.id or 0,
                term_id=term.id or 0,
                date=today,
                period=1,
                starts=clock_time(9, 0),
                ends=clock_time(9, 45),
            )
            session.add(slot)
            await session.commit()
            pupils = [Person(p.id or 0, p.login, p.name) for p in people.pupils["7A"]]
            pupils.sort(key=lambda p: p.login != "pupil")  # "pupil" first
            outsider = people.pupils["7B"][0]
            return World(
                lesson_id=lesson.id or 0,
                slot_id=slot.id or 0,
                course_id=course.id or 0,
                class_id=people.classes["7A"].id or 0,
                teacher=Person(teacher.id or 0, teacher.login, teacher.name),
                pupils=pupils,
                outsider=Person(outsider.id or 0, outsider.login, outsider.name),
                today=today,
            )
    finally:
        await engine.dispose()


# --- servers ---------------------------------------------------------------------------------


class ThreadServer:
    """The app under uvicorn (its WebSocket protocol as ``eschool serve`` runs it) in a
    thread."""

    def __init__(self, settings: Settings, *, send_buffer: int | None = None) -> None:
        self.app = create_app(settings)
        self.port = free_port()
        # A small kernel send buffer (inherited by accepted sockets) makes a client that does
        # not read hold the server up after a few frames instead of megabytes.
        self.send_buffer = send_buffer
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            ws=WS_PROTOCOL,
            ws_per_message_deflate=False,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="live-test-server", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _run(self) -> None:
        if self.send_buffer is None:
            self.server.run()
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer)
        listener.bind(("127.0.0.1", self.port))
        self.server.run(sockets=[listener])

    def start(self) -> ThreadServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=30)


class ProcessServer:
    """``eschool serve`` in a subprocess, with its own environment."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> ProcessServer:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "eschool.cli", "serve", "--port", str(self.port)],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_healthy(self.base_url, self.process, timeout=60)
        return self

    def kill(self) -> None:
        """Stop at once (SIGKILL): nothing is flushed or closed politely."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


async def bearer(base_url: str, login: str) -> dict[str, str]:
    """The Authorization header of a demo user (password ``demo``)."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/api/v1/auth/token", json={"login": login, "password": "demo"})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}


async def start_lesson(base_url: str, world: World, **options: Any) -> dict[str, Any]:
    """``POST /api/v1/live`` as the teacher; returns the created session."""
    body = {"lesson_id": world.lesson_id, "slot_id": world.slot_id, **options}
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/api/v1/live", json=body, headers=await bearer(base_url, "teacher")
        )
        assert response.status_code == 201, response.text
        return response.json()


async def observer_token(base_url: str, code: str, name: str) -> str:
    """``POST /live/{code}/join`` as a visitor."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(f"/live/{code}/join", json={"name": name})
        assert response.status_code == 200, response.text
        assert response.json()["role"] == "observer"
        return response.json()["token"]


# --- the client ------------------------------------------------------------------------------

_ids = itertools.count(1)


@dataclass
class LiveClient:
    """One participant's socket: every frame received is kept in ``frames``."""

    ws: ClientConnection
    frames: list[dict[str, Any]] = field(default_factory=list)
    cursor: int = 0
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        origin: str | None = None,
    ) -> LiveClient:
        ws = await connect(url, additional_headers=headers, origin=origin, open_timeout=ARRIVAL)  # type: ignore[arg-type]
        client = cls(ws)
        client._reader = asyncio.create_task(client._read())
        return client

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                self.frames.append(json.loads(raw))
                self._arrived.set()
        self._arrived.set()

    @property
    def last_seq(self) -> int:
        """The highest event seq received (welcome included)."""
        seqs = [f["seq"] for f in self.frames if f.get("type") not in ("ack", "error")]
        return max(seqs, default=0)

    async def send_raw(self, text: str | bytes) -> None:
        await self.ws.send(text)

    async def send(
        self, type_: str, data: dict[str, Any] | None = None, id_: str | None = None
    ) -> str:
        """Send a command; returns its id."""
        message_id = id_ or f"c{next(_ids)}"
        envelope: dict[str, Any] = {"type": type_, "id": message_id}
        if data is not None:
            envelope["data"] = data
        await self.ws.send(json.dumps(envelope))
        return message_id

    async def command(
        self, type_: str, data: dict[str, Any] | None = None, id_: str | None = None
    ) -> dict[str, Any]:
        """Send a command and wait for its ``ack`` or ``error``."""
        message_id = await self.send(type_, data, id_)
        return await self.wait_for(
            lambda f: f.get("type") in ("ack", "error") and f.get("id") == message_id, anywhere=True
        )

    async def ok(self, type_: str, data: dict[str, Any] | None = None) -> int:
        """Send a command that must be acknowledged; returns the ack's seq."""
        answer = await self.command(type_, data)
        assert answer["type"] == "ack", answer
        return answer["seq"]

    async def wait_for(
        self, wanted: Callable[[dict[str, Any]], bool], *, anywhere: bool = False
    ) -> dict[str, Any]:
        """The next frame after the cursor that matches (the cursor moves past it), or with
        ``anywhere`` the first matching frame ever received (the cursor stays)."""
        deadline = time.monotonic() + ARRIVAL
        while True:
            start = 0 if anywhere else self.cursor
            for index in range(start, len(self.frames)):
                if wanted(self.frames[index]):
                    if not anywhere:
                        self.cursor = index + 1
                    return self.frames[index]
            if self._reader is not None and self._reader.done():
                raise AssertionError(f"closed ({self.close_code}) before the frame came")
            self._arrived.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("the frame did not come; got: " + json.dumps(self.frames[-5:]))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def event(self, type_: str, **matching: Any) -> dict[str, Any]:
        """The next event of ``type_`` whose data has the given values."""

        def wanted(frame: dict[str, Any]) -> bool:
            data = frame.get("data") or {}
            return frame.get("type") == type_ and all(data.get(k) == v for k, v in matching.items())

        return await self.wait_for(wanted)

    async def settle(self, seconds: float = 0.3) -> None:
        """Let frames in flight arrive."""
        await asyncio.sleep(seconds)

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code

    async def closed(self) -> int | None:
        """Wait for the server to close the socket; its close code."""
        if self._reader is not None:
            await asyncio.wait_for(asyncio.shield(self._reader), ARRIVAL)
        return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, ARRIVAL)


def ws_url(ws_base: str, code: str, **params: Any) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items() if value is not None)
    return f"{ws_base}/live/{code}/ws" + (f"?{query}" if query else "")
