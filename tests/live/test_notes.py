"""Observers' notes end to end (a real server, real sockets): stored with the room's seq and
slide, answered to their author alone — never in a frame the pupils, the board, the teacher or
another observer get — refused when wrong or too many, read back by their author with the pass,
and summed up (averages of the latest scores) in the feedback the teacher and admins read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from eschool.db import create_engine, create_sessionmaker
from eschool.settings import Settings
from live.feedback import NOTES_PER_MINUTE
from live.models import LiveEvent
from tests.live.ws_support import (
    LiveClient,
    ThreadServer,
    World,
    bearer,
    observer_token,
    seed_world,
    start_lesson,
    ws_url,
)

RUBRIC = {
    "title": "Open lesson observation",
    "criteria": [
        {"id": "aim", "title": "The aim is clear", "levels": ["no", "partly", "mostly", "fully"]},
        {"id": "pace", "title": "Pace", "levels": ["slow", "right", "fast"]},
    ],
}
SECRET_A = "Observer A writes: good start"
SECRET_B = "Observer B writes: pupils busy"
SECRET_STAFF = "Staff observer about the pace"


@pytest.fixture
async def world(settings: Settings) -> World:
    return await seed_world(settings.database_url)


@pytest.fixture
def server(settings: Settings, world: World) -> Iterator[ThreadServer]:
    running = ThreadServer(settings).start()
    yield running
    running.stop()


def notes_in(client: LiveClient, *texts: str) -> list[dict[str, Any]]:
    """The frames a client got that carry a note (by type or by any of ``texts``)."""
    return [
        frame
        for frame in client.frames
        if str(frame.get("type", "")).startswith("note.")
        or any(text in json.dumps(frame, ensure_ascii=False) for text in texts)
    ]


async def test_notes_are_private_stamped_and_summed_up(
    server: ThreadServer, world: World, settings: Settings
) -> None:
    base = server.base_url
    admin, teacher2 = await bearer(base, "admin"), await bearer(base, "teacher2")
    teacher = await bearer(base, "teacher")
    pupil = await bearer(base, world.pupils[0].login)
    async with httpx.AsyncClient(base_url=base) as http:
        created = await http.post("/api/v1/rubrics", json=RUBRIC, headers=admin)
        assert created.status_code == 201, created.text
    started = await start_lesson(base, world, rubric_id=created.json()["id"])
    code = started["code"]
    token_a = await observer_token(base, code, "Anna Observer")
    token_b = await observer_token(base, code, "Boris Observer")
    clients: list[LiveClient] = []

    async def connect(headers: dict[str, str] | None = None, **params: Any) -> LiveClient:
        client = await LiveClient.connect(ws_url(server.ws_base, code, **params), headers=headers)
        await client.wait_for(lambda f: f.get("type") == "welcome")
        clients.append(client)
        return client

    try:
        lead = await connect(teacher)
        board = await connect(teacher, view="board")
        child = await connect(pupil)
        anna = await connect(token=token_a)
        boris = await connect(token=token_b)
        staff = await connect(teacher2)
        assert board.frames[0]["data"]["you"]["role"] == "board"
        assert staff.frames[0]["data"]["you"]["role"] == "observer"
        listed = await anna.wait_for(lambda f: f.get("type") == "note.list")
        assert (
            listed["data"]["rubric"]["title"] == RUBRIC["title"] and listed["data"]["notes"] == []
        )
        await staff.wait_for(lambda f: f.get("type") == "note.list")
        seq = await lead.ok("slide.goto", {"index": 2})

        # Stamped with the room's seq and slide, acknowledged, echoed to the author alone.
        answer = await anna.command("note.add", {"text": SECRET_A}, id_="a-1")
        assert answer["type"] == "ack" and answer["seq"] == seq
        added = await anna.wait_for(lambda f: f.get("type") == "note.added")
        assert added["data"]["note"]["slide"] == 2 and added["data"]["note"]["seq"] == seq
        again = await anna.command("note.add", {"text": SECRET_A}, id_="a-1")  # a resend
        assert again["type"] == "ack"
        assert (await anna.command("note.add", {"criterion": "aim", "level": 3}))["type"] == "ack"
        assert (await anna.command("note.add", {"criterion": "aim", "level": 1}))["type"] == "ack"
        scored = await boris.command("note.add", {"text": SECRET_B, "criterion": "aim", "level": 2})
        assert scored["type"] == "ack"
        assert (await staff.command("note.add", {"text": SECRET_STAFF, "criterion": "pace"}))[
            "type"
        ] == "ack"

        wrong = [
            {"criterion": "nope", "level": 0},
            {"criterion": "pace", "level": 3},
            {"level": 1},
            {"text": "  "},
            {},
            {"text": "x" * 2001},
            {"text": "t", "extra": 1},
        ]
        for data in wrong:
            refused = await anna.command("note.add", data)
            assert refused["type"] == "error" and refused["error"]["code"] == "invalid", data
        for somebody in (lead, child, board):
            refused = await somebody.command("note.add", {"text": "not an observer"})
            assert refused["type"] == "error" and refused["error"]["code"] == "forbidden"
        # An observer still changes nothing in the room.
        assert (await anna.command("slide.goto", {"index": 0}))["type"] == "error"

        await lead.ok("slide.goto", {"index": 3})  # whatever came before it has arrived
        for client in (lead, board, child):
            await client.event("slide.goto", index=3)
            assert notes_in(client, SECRET_A, SECRET_B, SECRET_STAFF) == []
        assert all(SECRET_A not in json.dumps(f) for f in boris.frames + staff.frames)
        assert all(SECRET_B not in json.dumps(f) for f in anna.frames + staff.frames)
        assert all(SECRET_STAFF not in json.dumps(f) for f in anna.frames + boris.frames)

        # Back again: the author's notes come with the welcome.
        await anna.close()
        anna = await connect(token=token_a)
        relisted = await anna.wait_for(lambda f: f.get("type") == "note.list")
        assert [n["text"] for n in relisted["data"]["notes"]] == [SECRET_A, "", ""]

        async with httpx.AsyncClient(base_url=base) as http:
            path = f"/api/v1/live/{code}"
            # The teacher and the admins read the feedback; others do not.
            for headers in (teacher, admin):
                response = await http.get(f"{path}/feedback", headers=headers)
                assert response.status_code == 200, response.text
            feedback = response.json()
            for headers in (teacher2, pupil):
                assert (await http.get(f"{path}/feedback", headers=headers)).status_code == 403
            assert (await http.get(f"{path}/feedback")).status_code == 401
            aim, pace = feedback["scores"]
            assert (
                aim["criterion"] == "aim" and aim["average"] == 2.5
            )  # latest: 2 (Anna), 3 (Boris)
            assert sorted(e["score"] for e in aim["by_observer"]) == [2, 3]
            assert pace["average"] is None and pace["by_observer"] == []
            texts = [note["text"] for note in feedback["notes"]]
            assert texts == [SECRET_A, "", "", SECRET_B, SECRET_STAFF]
            assert feedback["notes"][0]["seq"] == seq and feedback["notes"][0]["slide"] == 2
            assert feedback["notes"][4]["by"]["kind"] == "staff"
            partial = server.app.state.templates.env.get_template("live/_feedback_summary.html")
            html = partial.render(feedback=feedback)
            assert "The aim is clear" in html and "2.5 / 4" in html and SECRET_B in html

            # An observer reads only their own notes, with the pass (header or query).
            own = await http.get(f"{path}/notes", headers={"Authorization": f"Bearer {token_a}"})
            assert own.status_code == 200, own.text
            assert [n["text"] for n in own.json()["items"]] == [SECRET_A, "", ""]
            own_b = (await http.get(f"{path}/notes", params={"token": token_b})).json()
            assert [n["text"] for n in own_b["items"]] == [SECRET_B]
            mine = (await http.get(f"{path}/notes", headers=teacher2)).json()
            assert [n["text"] for n in mine["items"]] == [SECRET_STAFF]
            csv = await http.get(f"{path}/notes", params={"token": token_a, "format": "csv"})
            assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
            assert SECRET_A in csv.text and SECRET_B not in csv.text
            text = await http.get(f"{path}/notes", params={"token": token_a, "format": "txt"})
            assert text.status_code == 200 and "The aim is clear" in text.text
            assert (await http.get(f"{path}/notes")).status_code == 401
            assert (
                await http.get(f"{path}/notes", params={"token": "forged.pass"})
            ).status_code == 401
            assert (await http.get(f"{path}/notes", headers=teacher)).status_code == 403
            assert (await http.get(f"{path}/notes", headers=pupil)).status_code == 403
            bad = await http.get(f"{path}/notes", params={"token": token_a, "format": "pdf"})
            assert bad.status_code == 422

            # Nothing of the notes went into the room's log.
            engine = create_engine(settings.database_url)
            try:
                async with create_sessionmaker(engine)() as session:
                    bodies = (await session.exec(select(LiveEvent.body))).all()
            finally:
                await engine.dispose()
            assert bodies and not [b for b in bodies if '"note.' in b or SECRET_A in b]

            # Still there after the lesson, for as long as the pass lasts.
            assert (await http.post(f"/live/{code}/end", headers=teacher)).status_code == 200
            after = await http.get(f"{path}/notes", params={"token": token_a})
            assert after.status_code == 200 and after.json()["total"] == 3
    finally:
        for client in clients:
            await client.close()


async def test_notes_per_minute_are_limited(server: ThreadServer, world: World) -> None:
    code = (await start_lesson(server.base_url, world))["code"]
    token = await observer_token(server.base_url, code, "Busy Observer")
    client = await LiveClient.connect(ws_url(server.ws_base, code, token=token))
    try:
        listed = await client.wait_for(lambda f: f.get("type") == "note.list")
        assert listed["data"]["rubric"] is None
        refused = await client.command("note.add", {"text": "t", "criterion": "aim"})
        assert refused["type"] == "error" and refused["error"]["code"] == "invalid"  # no rubric
        for n in range(NOTES_PER_MINUTE):
            assert (await client.command("note.add", {"text": f"note {n}"}))["type"] == "ack"
        limited = await client.command("note.add", {"text": "one too many"})
        assert limited["type"] == "error" and limited["error"]["code"] == "rate_limited"
    finally:
        await client.close()
