"""Redis restarts mid-quiz: no acknowledged event is lost, every client converges.

Two server processes share one database and a ``redis-server`` of this test's own (no
persistence, as most deployments run it), which is killed and started again on the same port
in the middle of a quiz while the lesson goes on, and later flushed. The log the broker lost is
rebuilt from the database; the clients reconnect (with ``?since=``, as the browser does) and
resend what was not acknowledged (with the same id). Then every acknowledged seq is in
``live_events`` exactly once, the log has no gap, every client saw exactly the events the stored
log shows it, in order, up to the last seq, and a fresh welcome on either process is the stored
log's state.

Runs with the Redis variant (``ESCHOOL_TEST_REDIS_URL`` set, as CI does); it never touches that
Redis, it needs the ``redis-server`` binary (Debian's ``redis-server`` package).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from websockets.exceptions import ConnectionClosed, InvalidStatus

from eschool.db import create_engine, create_sessionmaker
from eschool.settings import Settings
from live.presence import COUNTED_TYPE, counted_change
from live.queries import events_after, session_by_code
from live.room import Actor, RoomState, step
from live.services import room_initial
from live.views import event_for, view_for
from tests.browser import free_port
from tests.live.ws_support import (
    RIGHT_ANSWERS,
    WRONG_ANSWERS,
    LiveClient,
    ProcessServer,
    World,
    bearer,
    observer_token,
    start_lesson,
    ws_url,
)

pytestmark = pytest.mark.redis

# A bound on waiting for what must happen, so a broken server fails instead of hanging.
PATIENCE = 20.0
_ids = itertools.count(1)


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait until ``condition()`` holds (checked every 50 ms), or fail after PATIENCE."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class RedisServer:
    """A ``redis-server`` of the test's own on a fixed port: killed and started again there."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)
        deadline = time.monotonic() + PATIENCE
        try:
            while True:
                with contextlib.suppress(redis.RedisError):
                    if client.ping():
                        return
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.02)
        finally:
            client.close()

    def flush(self) -> None:
        client = redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.flushall()
        finally:
            client.close()

    def kill(self) -> None:
        """Stop at once (SIGKILL): no persistence, so every key is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if not os.environ.get("ESCHOOL_TEST_REDIS_URL"):
        pytest.skip("ESCHOOL_TEST_REDIS_URL not set: the Redis variant needs a Redis server")
    binary = shutil.which("redis-server")
    if binary is None:  # asked for the Redis variant, which must not pass without this test
        pytest.fail("redis-server is not installed: the Redis variant starts one of its own")
    server = RedisServer(binary, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@dataclass
class Participant:
    """One person's client, as the browser's: reconnects with ``since`` after a cut and
    resends an unacknowledged command with the same id. Keeps the frames of every connection."""

    name: str
    server: ProcessServer
    code: str
    headers: dict[str, str] | None = None
    token: str | None = None
    connections: list[LiveClient] = field(default_factory=list)
    acked: list[tuple[str, int]] = field(default_factory=list)  # (message id, seq)
    refusals: int = 0
    you: Actor | None = None

    @property
    def client(self) -> LiveClient | None:
        return self.connections[-1] if self.connections else None

    @property
    def connected(self) -> bool:
        client = self.client
        return client is not None and client._reader is not None and not client._reader.done()

    def frames(self) -> list[dict[str, Any]]:
        return [frame for client in self.connections for frame in client.frames]

    @property
    def position(self) -> int:
        """The last seq this client has (from a welcome or an event)."""
        # acks, errors and direct frames (an observer's own notes, rtc answers) carry no room seq
        seqs = [f["seq"] for f in self.frames() if "seq" in f and f["type"] not in ("ack", "error")]
        return max(seqs, default=0)

    async def connect(self) -> None:
        """Connect (again), resuming after what it has; retried while the server refuses."""
        deadline = time.monotonic() + PATIENCE
        while not self.connected:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} could not reconnect")
            since = self.position if self.connections else None
            url = ws_url(self.server.ws_base, self.code, since=since, token=self.token)
            try:
                client = await LiveClient.connect(url, headers=self.headers)
            except (OSError, InvalidStatus):
                self.refusals += 1
                await asyncio.sleep(0.1)
                continue
            # Joined once a frame other than a refusal arrives (the welcome, or at least its own
            # presence.join); a refusal is an error frame and a close.
            with contextlib.suppress(AssertionError):
                first = await client.wait_for(lambda f: True)
                if first["type"] != "error":
                    client.cursor = 0
                    self.connections.append(client)
                    if first["type"] == "welcome":
                        self.you = Actor.from_dict(first["data"]["you"])
                    continue
            self.refusals += 1
            await client.close()
            await asyncio.sleep(0.1)

    async def ok(self, type_: str, data: dict[str, Any] | None = None) -> int:
        """Send a command until it is acknowledged (same id every time); its seq."""
        message_id = f"{self.name}-{next(_ids)}"
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            await self.connect()
            client = self.client
            assert client is not None
            client.cursor = len(client.frames)
            try:
                await client.send(type_, data, message_id)
                answer = await client.wait_for(
                    lambda f: f.get("type") in ("ack", "error") and f.get("id") == message_id
                )
            except (AssertionError, ConnectionClosed):
                continue  # cut off before the answer: reconnect and send it again
            if answer["type"] == "ack":
                self.acked.append((message_id, answer["seq"]))
                return answer["seq"]
            assert answer["error"]["code"] == "unavailable", answer
            self.refusals += 1
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name}: {type_} was never acknowledged")

    async def reach(self, seq: int) -> None:
        """Stay connected until this client has everything up to ``seq``."""
        deadline = time.monotonic() + PATIENCE
        while self.position < seq:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} stopped at {self.position}, not {seq}")
            await self.connect()
            client = self.client
            assert client is not None
            with contextlib.suppress(AssertionError):
                await client.wait_for(lambda f: f["type"] != "ack" and f.get("seq", 0) >= seq)

    async def close(self) -> None:
        for client in self.connections:
            await client.close()


async def stored_log(
    settings: Settings, code: str, *, upto: int
) -> tuple[RoomState, list[dict[str, Any]]]:
    """The room before any event and the stored log from the database, once it reaches seq
    ``upto`` (events other than commands are stored a moment after they are sent)."""
    engine = create_engine(settings.database_url)
    deadline = time.monotonic() + PATIENCE
    try:
        while True:
            async with create_sessionmaker(engine)() as session:
                live = await session_by_code(session, code=code)
                initial = await room_initial(session, live=live)
                rows = await events_after(session, session_id=live.id or 0)
            if len(rows) >= upto or time.monotonic() > deadline:
                return initial, [json.loads(row.body) | {"seq": row.seq} for row in rows]
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


def check_saw_the_log(person: Participant, initial: RoomState, log: list[dict[str, Any]]) -> None:
    """Each frame the client got is the next one the stored log shows it; a welcome only ever
    moves it forward (nothing it saw is taken back)."""
    assert person.you is not None
    shown: list[tuple[int, str]] = []
    state = initial
    for event in log:
        state, changed = step(state, event)
        if changed and counted_change(event) is not None:
            # Observers come and go counted: one presence.counts frame stands for a run of them.
            shown.append((event["seq"], COUNTED_TYPE))
            continue
        projected = event_for(event, person.you, state=state) if changed else None
        if projected is not None:
            shown.append((event["seq"], projected["type"]))
    position = 0
    for frame in person.frames():
        if frame["type"] in ("ack", "error") or "seq" not in frame:
            continue  # not an event of the room's log (a direct frame: an observer's notes)
        if frame["type"] == "welcome":
            assert frame["seq"] >= position, (person.name, frame["seq"], position)
            position = frame["seq"]
            continue
        if frame["type"] == COUNTED_TYPE:
            # The newest of the counted events it stands for (the others need no frame).
            assert (frame["seq"], COUNTED_TYPE) in shown and frame["seq"] > position, frame
        else:
            wanted = (item for item in shown if item[0] > position and item[1] != COUNTED_TYPE)
            expected = next(wanted, None)
            assert (frame["seq"], frame["type"]) == expected, (person.name, frame, expected)
        position = frame["seq"]


async def test_a_redis_restart_mid_quiz_loses_no_acknowledged_event(
    settings: Settings, world: World, own_redis: RedisServer, tmp_path: Path
) -> None:
    env = {
        "ESCHOOL_DATA_DIR": str(settings.data_dir),
        "ESCHOOL_DATABASE_URL": settings.database_url,
        "ESCHOOL_SECRET_KEY": settings.secret_key,
        "ESCHOOL_BROKER_URL": own_redis.url,
    }
    a = ProcessServer(env, tmp_path / "a.log")
    b = ProcessServer(env, tmp_path / "b.log")
    everyone: list[Participant] = []
    try:
        await asyncio.gather(asyncio.to_thread(a.start), asyncio.to_thread(b.start))
        code = (await start_lesson(a.base_url, world))["code"]
        logins = ["teacher", *(pupil.login for pupil in world.pupils[:4])]
        # Signing in is slow on purpose (argon2): both processes do it at once.
        tokens = await asyncio.gather(
            *(bearer((a, b)[n % 2].base_url, login) for n, login in enumerate(logins))
        )
        teacher = Participant("teacher", a, code, tokens[0])
        pupils = [
            Participant(login, (a, b)[n % 2], code, headers)
            for n, (login, headers) in enumerate(zip(logins[1:], tokens[1:], strict=True))
        ]
        guest = Participant("guest", b, code, token=await observer_token(b.base_url, code, "G"))
        everyone = [teacher, *pupils, guest]
        for person in everyone:
            await person.connect()

        await teacher.ok("slide.goto", {"index": 1})
        await teacher.ok("quiz.open", {"block_id": "quiz1"})
        answer = {"block_id": "quiz1", "answers": RIGHT_ANSWERS}
        await asyncio.gather(*(pupil.ok("quiz.answer", answer) for pupil in pupils[:2]))

        own_redis.kill()
        # Both processes followed the lost log: every socket is cut off to resync.
        await until(lambda: not any(person.connected for person in everyone), "the cut")
        wrong = {"block_id": "quiz1", "answers": WRONG_ANSWERS}
        during = [
            *(asyncio.create_task(pupil.ok("quiz.answer", wrong)) for pupil in pupils[2:]),
            asyncio.create_task(teacher.ok("chat.post", {"text": "Still with me?"})),
            asyncio.create_task(pupils[0].ok("hand.raise")),
        ]
        trying = [*pupils[2:], teacher, pupils[0]]
        await until(lambda: all(person.refusals for person in trying), "refusals while down")
        own_redis.start()  # the same port, empty

        await asyncio.gather(*during)
        await teacher.ok("quiz.close")
        # Then Redis is flushed under the running lesson: the log is gone without a restart.
        await asyncio.to_thread(own_redis.flush)
        final = await teacher.ok("slide.goto", {"index": 2})
        await asyncio.gather(*(person.reach(final) for person in everyone))
        # The last of them to come back joined after that: all end at one seq.
        converged = lambda: len({person.position for person in everyone}) == 1  # noqa: E731
        await until(converged, "every client at the same seq")
        # An observer's return is counted: it reaches everyone a presence tick after the
        # rest, so the end is where the stored log ends, once every client is there.
        _, stored = await stored_log(settings, code, upto=teacher.position)
        at_end = lambda: all(person.position == len(stored) for person in everyone)  # noqa: E731
        await until(at_end, "every client at the stored log's end")
        last = teacher.position

        initial, log = await stored_log(settings, code, upto=last)
        # The stored log is whole, and holds every acknowledged command exactly once.
        assert [event["seq"] for event in log] == list(range(1, len(log) + 1))
        by_command: dict[tuple[Any, str], list[int]] = {}
        for event in log:
            if event.get("mid"):
                by_command.setdefault((event["actor"]["id"], event["mid"]), []).append(event["seq"])
        assert all(len(seqs) == 1 for seqs in by_command.values()), by_command
        for person in everyone:
            assert person.you is not None
            for message_id, seq in person.acked:
                assert by_command[(person.you.id, message_id)] == [seq], (person.name, message_id)
        assert len({mid for person in everyone for mid, _ in person.acked}) == 10

        # Every client got exactly what the stored log shows it, up to the last seq.
        for person in everyone:
            check_saw_the_log(person, initial, log)
            assert person.position == last <= len(log)
        # And a fresh welcome on either process is the stored log's state.
        for server, person in ((b, teacher), (a, guest)):
            fresh = Participant(f"fresh-{person.name}", server, code, person.headers)
            fresh.token = person.token
            await fresh.connect()
            welcome = fresh.frames()[0]
            _, now = await stored_log(settings, code, upto=welcome["seq"])
            state = initial
            for event in now[: welcome["seq"]]:
                state, _changed = step(state, event)
            assert welcome["type"] == "welcome" and welcome["seq"] >= last
            assert welcome["data"]["state"] == json.loads(json.dumps(view_for(state, person.you)))
            await fresh.close()
    finally:
        for person in everyone:
            await person.close()
        a.stop()
        b.stop()
