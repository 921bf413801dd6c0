"""The live protocol end to end: a real uvicorn server, the ``websockets`` client, the database.

A teacher, three pupils of the class and a visiting observer run a lesson: slides, a quiz of every
question kind, a poll, chat, hands, the whiteboard pen, roles, and what the observer may see.
Then the robustness of the socket: duplicate ids, resuming with ``since``, oversize frames,
floods, idle clients, origins and who may connect at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from eschool.settings import Settings
from live.protocol import MAX_FRAME_BYTES
from tests.live.ws_support import (
    RIGHT_ANSWERS,
    WRONG_ANSWERS,
    LiveClient,
    ProcessServer,
    ThreadServer,
    World,
    bearer,
    observer_token,
    seed_world,
    start_lesson,
    ws_url,
)

HALF_RIGHT = RIGHT_ANSWERS[:3] + WRONG_ANSWERS[3:]


@pytest.fixture
async def world(settings: Settings) -> World:
    return await seed_world(settings.database_url)


@pytest.fixture
def server_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The test's settings; as an indirect parameter ``"idle"`` makes the idle limit one
    second, ``"slow"`` the outbox eight frames and the rate limit high, ``"strict"`` the rate
    limit so low that even a server slowed down by a loaded machine sees a flood."""
    if getattr(request, "param", None) == "idle":
        return dataclasses.replace(settings, live_idle_seconds=1, live_ping_seconds=0.5)
    if getattr(request, "param", None) == "strict":
        return dataclasses.replace(settings, live_rate_per_second=0.5, live_rate_burst=2)
    if getattr(request, "param", None) == "slow":
        return dataclasses.replace(
            settings, live_outbox_size=8, live_rate_per_second=1000, live_rate_burst=1000
        )
    return settings


@pytest.fixture
def server(server_settings: Settings, world: World) -> Iterator[ThreadServer]:
    small = server_settings.live_outbox_size < Settings.live_outbox_size
    running = ThreadServer(server_settings, send_buffer=8 * 1024 if small else None).start()
    yield running
    running.stop()


@dataclasses.dataclass
class Room:
    """A started lesson and a way to connect people to it."""

    server: ThreadServer
    world: World
    code: str
    clients: list[LiveClient]
    tokens: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)

    async def auth(self, login: str) -> dict[str, str]:
        """The login's bearer headers (signing in once: argon2 is slow on purpose)."""
        if login not in self.tokens:
            self.tokens[login] = await bearer(self.server.base_url, login)
        return self.tokens[login]

    async def join(self, login: str, **params: Any) -> LiveClient:
        headers = await self.auth(login)
        client = await LiveClient.connect(
            ws_url(self.server.ws_base, self.code, **params), headers=headers
        )
        self.clients.append(client)
        return client

    async def observe(self, name: str = "Guest Galina", **params: Any) -> LiveClient:
        token = await observer_token(self.server.base_url, self.code, name)
        client = await LiveClient.connect(
            ws_url(self.server.ws_base, self.code, token=token, **params)
        )
        self.clients.append(client)
        return client

    async def http(
        self, method: str, path: str, login: str = "teacher", **kwargs: Any
    ) -> httpx.Response:
        headers = await self.auth(login)
        async with httpx.AsyncClient(base_url=self.server.base_url) as http:
            return await http.request(method, path, headers=headers, **kwargs)


@pytest.fixture
async def room(server: ThreadServer, world: World) -> AsyncIterator[Room]:
    started = await start_lesson(server.base_url, world)
    opened = Room(server, world, started["code"], [])
    yield opened
    for client in opened.clients:
        await client.close()


def persons_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict with a ``role`` key anywhere in a frame (how people appear)."""
    if isinstance(value, dict):
        if "role" in value:
            yield value
        for item in value.values():
            yield from persons_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from persons_in(item)


# --- a whole lesson ----------------------------------------------------------------------------


async def test_a_lesson_with_three_pupils_and_an_observer(room: Room) -> None:
    world = room.world
    anna, boris, vera = world.pupils[:3]
    teacher = await room.join("teacher")
    pupils = [await room.join(p.login) for p in (anna, boris, vera)]
    observer = await room.observe()
    everyone = [teacher, *pupils, observer]

    welcomes = [await client.wait_for(lambda f: True, anywhere=True) for client in everyone]
    assert [w["type"] for w in welcomes] == ["welcome"] * 5
    assert [w["data"]["you"]["role"] for w in welcomes] == ["teacher"] + ["pupil"] * 3 + [
        "observer"
    ]
    assert welcomes[1]["data"]["you"] == {"id": anna.id, "role": "pupil", "name": anna.name}
    # Pupils get the quiz without its answer keys; the teacher with them.
    assert "answer" not in welcomes[1]["data"]["state"]["slides"][1]["questions"][0]
    assert welcomes[0]["data"]["state"]["slides"][1]["questions"][0]["answer"] == 1

    # Slides follow the teacher.
    await teacher.ok("slide.goto", {"index": 1})
    for client in everyone:
        assert (await client.event("slide.goto"))["data"] == {"index": 1}

    # A quiz of every question kind: opened, answered, closed, revealed.
    await teacher.ok("quiz.open", {"block_id": "quiz1"})
    for client in everyone:
        await client.event("quiz.open", block_id="quiz1")
    for pupil, answers in zip(pupils, (RIGHT_ANSWERS, WRONG_ANSWERS, HALF_RIGHT), strict=True):
        await pupil.ok("quiz.answer", {"block_id": "quiz1", "answers": answers})
    scored = {}
    for _ in range(3):
        answer = await teacher.event("quiz.answer")
        scored[answer["data"]["person"]["id"]] = answer["data"]["score"]
    assert scored == {anna.id: 6.0, boris.id: 0.0, vera.id: 3.0}
    # Others' answers reach a pupil only as progress.
    progress = await pupils[0].event("quiz.progress", answered=3)
    assert set(progress["data"]) == {"block_id", "answered", "pupils"}

    await teacher.ok("quiz.close")
    closed = await pupils[1].event("quiz.close")
    assert closed["data"]["histogram"][0]["options"] == [1, 2, 0]  # single: "3", "4", "4"
    await teacher.ok("quiz.reveal")
    reveals = [await pupil.event("quiz.reveal") for pupil in pupils]
    assert [r["data"]["mine"]["score"] for r in reveals] == [6.0, 0.0, 3.0]
    assert reveals[0]["data"]["keys"][0] == 1
    assert reveals[0]["data"]["histogram"][0]["correct"] == 2
    assert "mine" not in (await observer.event("quiz.reveal"))["data"]

    # A poll.
    await teacher.ok("poll.open", {"block_id": "poll1"})
    for pupil, option in zip(pupils, (0, 1, 0), strict=True):
        await pupil.event("poll.open")
        await pupil.ok("poll.vote", {"option": option})
    await teacher.ok("poll.close")
    assert (await observer.event("poll.close"))["data"]["counts"] == [2, 1]
    votes = [(await teacher.event("poll.vote"))["data"] for _ in range(3)]
    assert {v["person"]["id"]: v["option"] for v in votes} == {anna.id: 0, boris.id: 1, vera.id: 0}

    # Chat, then the teacher turns it off: pupils may not post, the teacher may.
    await pupils[0].ok("chat.post", {"text": "Hello!"})
    said = await teacher.event("chat.post", text="Hello!")
    assert said["data"]["by"]["name"] == anna.name
    await teacher.ok("chat.mode", {"on": False})
    await pupils[1].event("chat.mode", on=False)
    refused = await pupils[1].command("chat.post", {"text": "Can I?"})
    assert refused["error"]["code"] == "forbidden"
    await teacher.ok("chat.post", {"text": "Quiet, please."})
    await teacher.ok("chat.mode", {"on": True})
    await pupils[1].ok("chat.post", {"text": "Thanks"})

    # Hands up, in order; the teacher works through the queue.
    await pupils[1].ok("hand.raise")
    await pupils[2].ok("hand.raise")
    raised = await teacher.event(
        "hand.raise", person={"id": vera.id, "role": "pupil", "name": vera.name}
    )
    assert [p["id"] for p in raised["data"]["queue"]] == [boris.id, vera.id]
    await teacher.ok("hand.lower", {"user_id": boris.id})
    lowered = await pupils[2].event("hand.lower")
    assert [p["id"] for p in lowered["data"]["queue"]] == [vera.id]

    # The whiteboard: a pupil draws only with the pen the teacher hands over.
    await teacher.ok("slide.goto", {"index": 3})
    stroke = {"points": [[0.1, 0.1], [0.2, 0.25]], "color": "#d03030", "width": 3}
    assert (await pupils[0].command("board.stroke", stroke))["error"]["code"] == "forbidden"
    await teacher.ok("board.grant", {"user_id": anna.id})
    await pupils[0].event("board.grant")
    await pupils[0].ok("board.stroke", stroke)
    drawn = await pupils[1].event("board.stroke")
    assert drawn["data"]["points"] == stroke["points"] and drawn["data"]["slide"] == 3
    await teacher.ok("board.grant", {"user_id": None})
    await pupils[0].event("board.grant", person=None)
    assert (await pupils[0].command("board.stroke", stroke))["error"]["code"] == "forbidden"

    # Roles are enforced on the server.
    for command, data in [
        ("slide.goto", {"index": 0}),
        ("quiz.open", {"block_id": "quiz1"}),
        ("chat.post", {"text": "hi"}),
        ("hand.raise", None),
        ("poll.vote", {"option": 0}),
    ]:
        assert (await observer.command(command, data))["error"]["code"] == "forbidden"
    for command, data in [
        ("slide.goto", {"index": 0}),
        ("quiz.reveal", None),
        ("room.lock", {"on": True}),
        ("board.grant", {"user_id": boris.id}),
        ("chat.mode", {"on": False}),
    ]:
        assert (await pupils[1].command(command, data))["error"]["code"] == "forbidden"

    # The end: everyone is told, the sockets close, the report proposes the marks.
    ended = await room.http("POST", f"/live/{room.code}/end")
    assert ended.status_code == 200, ended.text
    report = ended.json()
    for client in everyone:
        await client.event("lesson.end")
        assert await client.closed() == 4410
    (quiz,) = report["quiz"]
    marks = {r["pupil_id"]: r["mark"] for r in quiz["results"]}
    assert marks == {anna.id: "5", boris.id: "2", vera.id: "3"}
    joined = {a["id"] for a in report["attendance"] if a["joined"]}
    assert joined == {anna.id, boris.id, vera.id}
    assert len(report["attendance"]) == len(world.pupils)

    # Whatever happened, the observer never learnt a pupil's name, id or answers.
    text = json.dumps(observer.frames, ensure_ascii=False)
    for pupil in world.pupils:
        assert pupil.name not in text
    for person in persons_in(observer.frames):
        if person["role"] == "pupil":
            assert person == {"role": "pupil"}
    assert '"answers"' not in text and '"votes"' not in text
    assert world.teacher.name in text  # the teacher is named to everyone


async def test_an_answer_changed_before_the_close_replaces_the_first(room: Room) -> None:
    teacher = await room.join("teacher")
    pupil = await room.join("pupil")
    await teacher.ok("quiz.open", {"block_id": "quiz1"})
    await pupil.ok("quiz.answer", {"block_id": "quiz1", "answers": WRONG_ANSWERS})
    await pupil.ok("quiz.answer", {"block_id": "quiz1", "answers": RIGHT_ANSWERS})
    await teacher.ok("quiz.close")
    late = await pupil.command("quiz.answer", {"block_id": "quiz1", "answers": WRONG_ANSWERS})
    assert late["error"]["code"] == "conflict"
    report = (await room.http("GET", f"/live/{room.code}/report")).json()
    assert report["quiz"][0]["results"][0]["score"] == 6.0
    assert report["proposed"] == [
        {
            "pupil_id": room.world.pupils[0].id,
            "name": room.world.pupils[0].name,
            "score": 6.0,
            "max": 6.0,
            "share": 1.0,
            "percent": 100.0,
            "mark": "5",
        }
    ]


async def test_pupils_work_at_their_own_pace(room: Room) -> None:
    anna, boris = room.world.pupils[:2]
    teacher = await room.join("teacher")
    pupils = [await room.join(anna.login), await room.join(boris.login)]
    observer = await room.observe()
    await teacher.ok("pace.set", {"mode": "pupil"})
    for client in pupils:
        assert (await client.event("pace.set"))["data"] == {"mode": "pupil", "slide": 0}
    started = await teacher.event("pace.set")
    assert [row["slide"] for row in started["data"]["pupils"]] == [0, 0]

    # Each pupil moves on their own; the teacher sees where each one is.
    await pupils[0].ok("pupil.goto", {"index": 1})
    await pupils[1].ok("pupil.goto", {"index": 3})
    moves = [(await teacher.event("pupil.goto"))["data"] for _ in range(2)]
    assert {move["person"]["id"]: move["index"] for move in moves} == {anna.id: 1, boris.id: 3}
    assert (await pupils[0].event("pupil.goto"))["data"] == {"index": 1}
    await observer.event("pace.counts", counts=[0, 1, 0, 1, 0])

    # Anna answers the quiz on her slide: nobody opened it.
    await pupils[0].ok("quiz.answer", {"block_id": "quiz1", "answers": RIGHT_ANSWERS})
    answered = await teacher.event("quiz.answer")
    assert answered["data"]["row"] == {
        "person": {"id": anna.id, "role": "pupil", "name": anna.name},
        "slide": 1,
        "answered_blocks": ["quiz1"],
        "score": 6.0,
        "max": 6.0,
    }
    assert (await pupils[0].event("quiz.answer"))["data"]["answers"] == RIGHT_ANSWERS

    # A tablet that reconnects lands where it was, its answers filled in.
    await pupils[0].close()
    back = await room.join(anna.login)
    pace = (await back.wait_for(lambda f: True))["data"]["state"]["pace"]
    assert pace == {"mode": "pupil", "slide": 1, "mine": {"quiz1": RIGHT_ANSWERS}}

    # Back to teacher-paced: everyone is on the teacher's slide.
    await teacher.ok("slide.goto", {"index": 4})
    await teacher.ok("pace.set", {"mode": "teacher"})
    for client in (back, pupils[1]):
        assert (await client.event("pace.set"))["data"] == {"mode": "teacher", "slide": 4}
    late = await room.join(boris.login)
    state = (await late.wait_for(lambda f: True))["data"]["state"]
    assert (state["slide"], state["pace"]["mode"], state["pace"]["slide"]) == (4, "teacher", None)

    # Boris never heard where Anna was or what she answered; the report has her answers.
    text = json.dumps(pupils[1].frames, ensure_ascii=False)
    assert "Moscow" not in text and "москва" not in text
    assert [f["data"] for f in pupils[1].frames if f["type"] == "pupil.goto"] == [{"index": 3}]
    report = (await room.http("GET", f"/live/{room.code}/report")).json()
    (quiz,) = report["quiz"]
    results = {r["pupil_id"]: r for r in quiz["results"]}
    assert (quiz["block_id"], results[anna.id]["score"], results[anna.id]["answered"]) == (
        "quiz1",
        6.0,
        True,
    )
    assert results[boris.id]["answered"] is False


# --- delivery ----------------------------------------------------------------------------------


async def test_a_repeated_message_id_is_applied_once(room: Room) -> None:
    teacher = await room.join("teacher")
    pupil = await room.join("pupil")
    first = await pupil.command("chat.post", {"text": "Once"}, id_="same-id")
    again = await pupil.command("chat.post", {"text": "Once"}, id_="same-id")
    assert first["type"] == again["type"] == "ack"
    assert first["seq"] == again["seq"]
    await teacher.ok("slide.goto", {"index": 1})
    await teacher.event("slide.goto")
    posts = [f for f in teacher.frames if f["type"] == "chat.post"]
    assert len(posts) == 1


async def test_commands_sent_at_once_are_answered_in_their_order(room: Room) -> None:
    teacher = await room.join("teacher")
    # The next commands do not wait for an ack (which waits for the database): the answers,
    # a refusal among them, still come in the order of the commands.
    ids = [
        await teacher.send("chat.post", {"text": "One"}),
        await teacher.send("chat.post", {"text": "Two"}),
        await teacher.send("quiz.close"),  # no quiz is open
        await teacher.send("ping"),
        await teacher.send("chat.post", {"text": "Three"}),
    ]
    await teacher.wait_for(lambda f: f.get("id") == ids[-1], anywhere=True)
    answers = [f for f in teacher.frames if f.get("type") in ("ack", "error")]
    assert [a["id"] for a in answers] == ids
    assert [a["type"] for a in answers] == ["ack", "ack", "error", "ack", "ack"]
    posted = {f["data"]["text"]: f["seq"] for f in teacher.frames if f["type"] == "chat.post"}
    assert [answers[0]["seq"], answers[1]["seq"], answers[4]["seq"]] == [
        posted["One"],
        posted["Two"],
        posted["Three"],
    ]
    assert answers[3]["seq"] >= posted["Two"]


async def test_reconnecting_with_since_gets_exactly_the_missed_events(room: Room) -> None:
    teacher = await room.join("teacher")
    pupil = await room.join("pupil")
    await teacher.ok("slide.goto", {"index": 1})
    await pupil.event("slide.goto")
    seen = pupil.last_seq
    await pupil.close()
    await teacher.event("presence.leave")
    await teacher.ok("slide.goto", {"index": 2})
    await teacher.ok("chat.post", {"text": "While you were away"})

    back = await room.join("pupil", since=seen)
    await back.event(
        "presence.join",
        person={"id": room.world.pupils[0].id, "role": "pupil", "name": room.world.pupils[0].name},
    )
    assert [f["type"] for f in back.frames] == [
        "presence.leave",
        "slide.goto",
        "chat.post",
        "presence.join",
    ]
    assert [f["seq"] for f in back.frames] == list(range(seen + 1, seen + 5))
    assert back.frames[1]["data"] == {"index": 2}

    # A seq the server cannot resume from gets a fresh welcome with the whole state.
    lost = await room.join("pupil", since=10**9)
    welcome = await lost.wait_for(lambda f: True)
    assert welcome["type"] == "welcome"
    assert welcome["data"]["state"]["slide"] == 2


async def test_an_oversize_frame_is_refused_and_the_connection_keeps_working(room: Room) -> None:
    pupil = await room.join("pupil")
    await pupil.send_raw(
        json.dumps({"type": "chat.post", "id": "big", "data": {"text": "x" * MAX_FRAME_BYTES}})
    )
    refused = await pupil.wait_for(lambda f: f["type"] == "error")
    assert refused["error"]["code"] == "too_large"
    await pupil.send_raw("{not json")
    assert (await pupil.wait_for(lambda f: f["type"] == "error"))["error"]["code"] == "bad_json"
    unknown = await pupil.command("teleport", {})
    assert unknown["error"]["code"] == "unknown_type"
    assert await pupil.ok("ping") >= 1


async def test_a_flood_is_refused_with_errors_then_served_again(room: Room) -> None:
    pupil = await room.join("pupil")
    ids = [await pupil.send("ping") for _ in range(100)]
    answers = [await pupil.wait_for(lambda f, i=i: f.get("id") == i, anywhere=True) for i in ids]
    limited = [a for a in answers if a["type"] == "error"]
    assert limited and all(a["error"]["code"] == "rate_limited" for a in limited)
    assert sum(a["type"] == "ack" for a in answers) >= 40
    await asyncio.sleep(0.5)
    await pupil.ok("hand.raise")


@pytest.mark.parametrize("server_settings", ["strict"], indirect=True)
async def test_a_client_that_keeps_flooding_is_cut_off(room: Room) -> None:
    pupil = await room.join("pupil")
    for _ in range(600):
        await pupil.send("ping")
    assert await pupil.closed() == 4429


@pytest.mark.parametrize("server_settings", ["idle"], indirect=True)
async def test_a_silent_client_is_closed_and_a_pinging_one_is_not(room: Room) -> None:
    silent = await room.join("pupil")
    talker = await room.join("teacher")
    for _ in range(8):
        await talker.ok("ping")
        await asyncio.sleep(0.2)
    assert await silent.closed() == 4408
    assert talker.close_code is None


# --- who may connect ---------------------------------------------------------------------------


async def test_a_foreign_origin_is_refused_and_the_own_is_let_in(room: Room) -> None:
    headers = await room.auth("pupil")
    url = ws_url(room.server.ws_base, room.code)
    with pytest.raises(InvalidStatus) as refused:
        await LiveClient.connect(url, headers=headers, origin="http://evil.example")
    assert refused.value.response.status_code == 403
    own = await LiveClient.connect(url, headers=headers, origin=room.server.base_url)
    room.clients.append(own)
    assert (await own.wait_for(lambda f: True))["type"] == "welcome"


async def test_who_may_not_connect_is_told_why(room: Room) -> None:
    base = room.server.ws_base
    cases = [
        (ws_url(base, room.code), {}, 4401, "unauthorized"),
        (
            ws_url(base, room.code),
            await room.auth(room.world.outsider.login),
            4403,
            "other_class",
        ),
        (ws_url(base, room.code), await room.auth("parent"), 4403, "forbidden"),
        (
            ws_url(base, "ZZZZ-ZZ"),
            await room.auth("pupil"),
            4404,
            "unknown_code",
        ),
        (ws_url(base, room.code, token="forged.token"), {}, 4401, "unauthorized"),
    ]
    for url, headers, close_code, error in cases:
        client = await LiveClient.connect(url, headers=headers)
        frame = await client.wait_for(lambda f: True)
        assert (frame["type"], frame["error"]["code"]) == ("error", error)
        assert await client.closed() == close_code


async def test_the_code_is_read_in_any_case_and_without_the_dash(room: Room) -> None:
    sloppy = room.code.replace("-", "").lower()
    client = await LiveClient.connect(
        ws_url(room.server.ws_base, sloppy), headers=await room.auth("pupil")
    )
    room.clients.append(client)
    assert (await client.wait_for(lambda f: True))["type"] == "welcome"


async def test_the_teacher_locks_the_room_and_removes_a_pupil(room: Room) -> None:
    pupils = room.world.pupils
    teacher = await room.join("teacher")
    anna = await room.join(pupils[0].login)
    boris = await room.join(pupils[1].login)
    await teacher.ok("room.lock", {"on": True})
    late = await room.join(pupils[2].login)
    assert (await late.wait_for(lambda f: True))["error"]["code"] == "locked"
    assert await late.closed() == 4423
    # Someone who was already in may come back to a locked room.
    await anna.close()
    again = await room.join(pupils[0].login)
    assert (await again.wait_for(lambda f: True))["type"] == "welcome"

    await teacher.ok("room.kick", {"user_id": pupils[1].id})
    assert await boris.closed() == 4403
    back = await room.join(pupils[1].login)
    assert (await back.wait_for(lambda f: True))["error"]["code"] == "forbidden"
    gone = await teacher.event("room.kick")
    assert gone["data"]["person"]["id"] == pupils[1].id


async def test_observers_need_the_teachers_leave(server: ThreadServer, world: World) -> None:
    started = await start_lesson(server.base_url, world, allow_observers=False)
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.post(f"/live/{started['code']}/join", json={"name": "Guest"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "no_observers"


# --- a restart ---------------------------------------------------------------------------------


def process_env(settings: Settings, **more: str) -> dict[str, str]:
    """The environment of ``eschool serve`` for the test's database."""
    return {
        "ESCHOOL_DATA_DIR": str(settings.data_dir),
        "ESCHOOL_DATABASE_URL": settings.database_url,
        "ESCHOOL_SECRET_KEY": settings.secret_key,
        "ESCHOOL_BROKER_URL": settings.broker_url,
        **more,
    }


async def test_a_restart_mid_lesson_loses_no_acknowledged_event(
    settings: Settings, world: World, tmp_path: Path
) -> None:
    anna, boris = world.pupils[:2]
    first = ProcessServer(process_env(settings), tmp_path / "first.log").start()
    try:
        code = (await start_lesson(first.base_url, world))["code"]
        url = ws_url(first.ws_base, code)
        teacher = await LiveClient.connect(url, headers=await bearer(first.base_url, "teacher"))
        pupils = [
            await LiveClient.connect(url, headers=await bearer(first.base_url, p.login))
            for p in (anna, boris)
        ]
        await teacher.ok("slide.goto", {"index": 1})
        await teacher.ok("quiz.open", {"block_id": "quiz1"})
        await pupils[0].ok("quiz.answer", {"block_id": "quiz1", "answers": RIGHT_ANSWERS})
        await pupils[1].ok("quiz.answer", {"block_id": "quiz1", "answers": HALF_RIGHT})
        said = await pupils[1].ok("chat.post", {"text": "Done!"})
        first.kill()
        for client in (teacher, *pupils):
            await client.closed()
    finally:
        first.stop()

    second = ProcessServer(process_env(settings), tmp_path / "second.log").start()
    try:
        url = ws_url(second.ws_base, code)
        # The pupil resumes from the last event she saw: nothing acknowledged is missing, and
        # the crash itself shows as everyone having left.
        back = await LiveClient.connect(
            ws_url(second.ws_base, code, since=said),
            headers=await bearer(second.base_url, anna.login),
        )
        await back.event(
            "presence.join", person={"id": anna.id, "role": "pupil", "name": anna.name}
        )
        assert {f["type"] for f in back.frames} == {"presence.leave", "presence.join"}
        assert back.frames[0]["seq"] == said + 1

        teacher = await LiveClient.connect(url, headers=await bearer(second.base_url, "teacher"))
        welcome = await teacher.wait_for(lambda f: True)
        state = welcome["data"]["state"]
        assert state["slide"] == 1
        assert {a["person"]["id"]: a["score"] for a in state["quiz"]["answers"]} == {
            anna.id: 6.0,
            boris.id: 3.0,
        }
        assert [m["text"] for m in state["chat"]["messages"]] == ["Done!"]
        # Only Anna is back (the welcome comes before the teacher's own arrival).
        assert [p["id"] for p in state["people"]["present"]] == [anna.id]

        # The lesson goes on and ends on the new process.
        await teacher.ok("quiz.close")
        async with httpx.AsyncClient(base_url=second.base_url) as http:
            ended = await http.post(
                f"/live/{code}/end", headers=await bearer(second.base_url, "teacher")
            )
        assert ended.status_code == 200, ended.text
        marks = {r["pupil_id"]: r["mark"] for r in ended.json()["quiz"][0]["results"]}
        assert marks == {anna.id: "5", boris.id: "3"}
        for client in (back, teacher):
            await client.close()
    finally:
        second.stop()


@pytest.mark.parametrize("server_settings", ["slow"], indirect=True)
async def test_a_client_that_falls_behind_is_cut_off_and_resyncs(room: Room) -> None:
    teacher = await room.join("teacher")
    other = room.world.pupils[1]
    # A tablet that stops reading: its small socket buffers fill, then its outbox on the server.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024)
    sock.connect(("127.0.0.1", room.server.port))
    stalled = await connect(
        ws_url(room.server.ws_base, room.code),
        additional_headers=await room.auth(other.login),
        max_queue=1,
        sock=sock,
    )
    stroke = {"points": [[i / 1000, 0.5] for i in range(1000)], "color": "#000000", "width": 2}

    def cut_off() -> bool:
        return any(
            f["type"] == "presence.leave" and (f["data"]["person"] or {}).get("id") == other.id
            for f in teacher.frames
        )

    sent = 0
    while not cut_off():
        assert sent < 200, "the client that does not read was never cut off"
        await teacher.ok("board.stroke", stroke)
        sent += 1
    seen = []
    with contextlib.suppress(ConnectionClosed):
        async for raw in stalled:
            seen.append(json.loads(raw))
    assert stalled.close_code in (4001, 1006)  # told to resync, or dropped if it would not read
    since = max(frame["seq"] for frame in seen)
    back = await room.join(other.login, since=since)
    await back.wait_for(
        lambda f: f["type"] == "presence.join" and (f["data"]["person"] or {}).get("id") == other.id
    )
    strokes = [f["seq"] for f in seen + back.frames if f["type"] == "board.stroke"]
    assert len(strokes) == len(set(strokes)) == sent
