"""The live socket's delivery end to end: duplicate ids, the order of answers, resuming with
``since``, oversize frames, floods, idle clients, a client that falls behind, and a restart of
the server mid-lesson that loses no acknowledged event."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from eschool.settings import Settings
from live.protocol import MAX_FRAME_BYTES
from tests.live.ws_room import HALF_RIGHT, Room
from tests.live.ws_support import (
    RIGHT_ANSWERS,
    LiveClient,
    ProcessServer,
    World,
    bearer,
    start_lesson,
    ws_url,
)

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
