"""From a live lesson into the journal: the teacher confirms the proposed marks and attendance
is taken from who joined; the gradebook's own API then shows them, with history."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from eschool.settings import Settings
from live.protocol import parse_client_message
from live.room import Actor
from tests.conftest import token_for
from tests.live.ws_support import RIGHT_ANSWERS, WRONG_ANSWERS, World, seed_world


@pytest.fixture
async def world(settings: Settings, app: Starlette) -> World:
    return await seed_world(settings.database_url)


@pytest.fixture
async def teacher(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for(client, 'teacher')}"}


def command(type_: str, data: dict[str, Any]) -> Any:
    envelope = {"type": type_, "id": f"{type_}-{time.monotonic_ns()}", "data": data}
    return parse_client_message(json.dumps(envelope))


async def run_lesson(
    app: Starlette, client: httpx.AsyncClient, teacher: dict[str, str], world: World, **body: Any
) -> str:
    """Start, let two pupils answer the quiz (one right, one wrong) and a third just come."""
    started = await client.post(
        "/api/v1/live",
        json={"lesson_id": world.lesson_id, "slot_id": world.slot_id, **body},
        headers=teacher,
    )
    assert started.status_code == 201, started.text
    code = started.json()["code"]
    room = code.replace("-", "")
    hub = app.state.hub
    host = Actor(world.teacher.id, "teacher", world.teacher.name)
    anna, boris, vera = (Actor(p.id, "pupil", p.name) for p in world.pupils[:3])
    connections = [(await hub.join(room, who))[0] for who in (host, anna, boris, vera)]
    await hub.submit(room, host, command("quiz.open", {"block_id": "quiz1"}))
    await hub.submit(
        room, anna, command("quiz.answer", {"block_id": "quiz1", "answers": RIGHT_ANSWERS})
    )
    await hub.submit(
        room, boris, command("quiz.answer", {"block_id": "quiz1", "answers": WRONG_ANSWERS})
    )
    for connection in connections:
        await hub.leave(connection)
    return code


async def journal(client: httpx.AsyncClient, teacher: dict[str, str], world: World) -> dict:
    response = await client.get(f"/api/v1/courses/{world.course_id}/journal", headers=teacher)
    assert response.status_code == 200, response.text
    return response.json()


async def test_confirmed_marks_and_attendance_reach_the_journal(
    app: Starlette, client: httpx.AsyncClient, teacher: dict[str, str], world: World
) -> None:
    code = await run_lesson(app, client, teacher, world)
    anna, boris, vera = world.pupils[:3]
    early = await client.post(f"/live/{code}/journal", json={"marks": []}, headers=teacher)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_ended")

    report = (await client.post(f"/live/{code}/end", headers=teacher)).json()
    proposed = {entry["pupil_id"]: entry["mark"] for entry in report["proposed"]}
    assert proposed == {anna.id: "5", boris.id: "2"}

    # The teacher lifts Boris's mark to 3 before confirming, and takes attendance.
    body = {
        "marks": [{"pupil_id": anna.id, "value": 5}, {"pupil_id": boris.id, "value": "3"}],
        "attendance": True,
    }
    written = await client.post(f"/live/{code}/journal", json=body, headers=teacher)
    assert written.status_code == 200, written.text
    assert written.json()["attendance"][str(vera.id)] == "present"

    book = await journal(client, teacher, world)
    marks = {m["pupil_id"]: m for m in book["marks"] if m["slot_id"] == world.slot_id}
    assert {pupil: mark["value"] for pupil, mark in marks.items()} == {anna.id: "5", boris.id: "3"}
    assert "Fractions" in (marks[anna.id]["comment"] or "")
    attendance = {
        a["pupil_id"]: a["status"] for a in book["attendance"] if a["slot_id"] == world.slot_id
    }
    assert attendance[anna.id] == attendance[boris.id] == attendance[vera.id] == "present"
    absent = [p for p in world.pupils[3:] if attendance.get(p.id) != "absent"]
    assert absent == []
    assert len(attendance) == len(world.pupils)

    history = await client.get(f"/api/v1/marks/{marks[boris.id]['id']}/history", headers=teacher)
    assert history.status_code == 200
    (created,) = history.json()
    assert (created["old"], created["new"]) == (None, "3")
    assert created["by"]["id"] == world.teacher.id

    again = await client.post(f"/live/{code}/journal", json=body, headers=teacher)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_written")


async def test_a_mark_off_the_scale_writes_nothing(
    app: Starlette, client: httpx.AsyncClient, teacher: dict[str, str], world: World
) -> None:
    code = await run_lesson(app, client, teacher, world)
    await client.post(f"/live/{code}/end", headers=teacher)
    anna, boris = world.pupils[:2]
    body = {"marks": [{"pupil_id": anna.id, "value": 5}, {"pupil_id": boris.id, "value": 9}]}
    refused = await client.post(f"/live/{code}/journal", json=body, headers=teacher)
    assert refused.status_code == 422, refused.text
    book = await journal(client, teacher, world)
    assert [m for m in book["marks"] if m["slot_id"] == world.slot_id] == []
    assert [a for a in book["attendance"] if a["slot_id"] == world.slot_id] == []
    # Nothing was half-written: a corrected request goes through.
    body["marks"][1]["value"] = 4
    assert (
        await client.post(f"/live/{code}/journal", json=body, headers=teacher)
    ).status_code == 200


async def test_attendance_is_off_until_asked_and_the_absent_are_listed_first(
    app: Starlette, client: httpx.AsyncClient, teacher: dict[str, str], world: World
) -> None:
    """Three of 27 came: the report page lists the 24 it would mark absent, behind an unticked
    box and a confirmation; the API writes no absences unless ``attendance`` is true."""
    code = await run_lesson(app, client, teacher, world)
    await client.post(f"/live/{code}/end", headers=teacher)
    page = await client.get(f"/live/{code}/report", headers={**teacher, "Accept": "text/html"})
    assert page.status_code == 200, page.text
    box = re.search(r'<input type="checkbox" name="attendance"[^>]*>', page.text)
    assert box and "checked" not in box.group(0)
    listed = set(map(int, re.findall(r'data-absent-id="(\d+)"', page.text)))
    assert listed == {p.id for p in world.pupils[3:]}
    assert 'id="absent-dialog"' in page.text and world.pupils[3].name in page.text

    body = {"marks": [{"pupil_id": world.pupils[0].id, "value": 5}]}
    assert (
        await client.post(f"/live/{code}/journal", json=body, headers=teacher)
    ).status_code == 200
    book = await journal(client, teacher, world)
    assert [a for a in book["attendance"] if a["slot_id"] == world.slot_id] == []
    assert len([m for m in book["marks"] if m["slot_id"] == world.slot_id]) == 1


async def test_the_comment_is_in_the_lesson_s_language_and_subjects_are_translated(
    app: Starlette, client: httpx.AsyncClient, teacher: dict[str, str], world: World
) -> None:
    """The marks' comment is read by pupils and parents: it is written in the language of the
    lesson taught (Russian here), whatever the teacher's interface; the start page names the
    library's subjects in the interface's language."""
    code = await run_lesson(app, client, teacher, world)
    await client.post(f"/live/{code}/end", headers=teacher)
    body = {"marks": [{"pupil_id": world.pupils[0].id, "value": 5}]}
    english = {**teacher, "Accept-Language": "en"}
    assert (await client.post(f"/live/{code}/journal", json=body, headers=english)).is_success
    book = await journal(client, teacher, world)
    (mark,) = [m for m in book["marks"] if m["slot_id"] == world.slot_id]
    assert mark["comment"] == "Онлайн-урок: Fractions"

    russian = {**teacher, "Accept-Language": "ru", "Accept": "text/html"}
    start = await client.get("/live", headers=russian)
    assert start.status_code == 200
    assert "Fractions · Математика" in start.text


async def test_a_lesson_without_a_slot_has_nowhere_to_write(
    app: Starlette, client: httpx.AsyncClient, teacher: dict[str, str], world: World
) -> None:
    code = await run_lesson(app, client, teacher, world, slot_id=None, class_id=world.class_id)
    await client.post(f"/live/{code}/end", headers=teacher)
    body = {"marks": [{"pupil_id": world.pupils[0].id, "value": 5}]}
    refused = await client.post(f"/live/{code}/journal", json=body, headers=teacher)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "no_slot")
    assert "journal" in refused.json()["error"]["message"]


async def test_only_the_teacher_of_the_lesson_writes_it(
    app: Starlette, client: httpx.AsyncClient, teacher: dict[str, str], world: World
) -> None:
    code = await run_lesson(app, client, teacher, world)
    await client.post(f"/live/{code}/end", headers=teacher)
    body = {"marks": [{"pupil_id": world.pupils[0].id, "value": 5}]}
    for login in ("teacher2", "pupil"):
        headers = {"Authorization": f"Bearer {await token_for(client, login)}"}
        response = await client.post(f"/live/{code}/journal", json=body, headers=headers)
        assert response.status_code == 403, (login, response.text)
    twice = {"marks": [{"pupil_id": world.pupils[0].id, "value": 5}] * 2}
    duplicate = await client.post(f"/live/{code}/journal", json=twice, headers=teacher)
    assert (duplicate.status_code, duplicate.json()["error"]["code"]) == (409, "duplicate_pupil")


@pytest.mark.parametrize(
    ("scale", "right", "wrong", "choices"),
    [("ten", "10", "1", 10), ("passfail", "pass", "fail", 2), ("hundred", "100", "0", 101)],
)
async def test_marks_are_proposed_and_written_on_the_course_s_own_scale(
    app: Starlette,
    client: httpx.AsyncClient,
    teacher: dict[str, str],
    world: World,
    scale: str,
    right: str,
    wrong: str,
    choices: int,
) -> None:
    from tests.classwork.conftest import set_scale

    await set_scale(app, world.course_id, scale)
    code = await run_lesson(app, client, teacher, world)
    anna, boris = world.pupils[:2]
    report = (await client.post(f"/live/{code}/end", headers=teacher)).json()
    assert report["scale"]["code"] == scale and len(report["scale"]["values"]) == choices
    proposed = {entry["pupil_id"]: entry["mark"] for entry in report["proposed"]}
    assert proposed == {anna.id: right, boris.id: wrong}

    marks = [{"pupil_id": pupil, "value": value} for pupil, value in proposed.items()]
    written = await client.post(f"/live/{code}/journal", json={"marks": marks}, headers=teacher)
    assert written.status_code == 200, written.text
    book = await journal(client, teacher, world)
    stored = {m["pupil_id"]: m["value"] for m in book["marks"] if m["slot_id"] == world.slot_id}
    assert stored == {anna.id: right, boris.id: wrong}


async def test_a_mark_off_a_pass_fail_scale_is_refused_and_nothing_is_written(
    app: Starlette, client: httpx.AsyncClient, teacher: dict[str, str], world: World
) -> None:
    from tests.classwork.conftest import set_scale

    await set_scale(app, world.course_id, "passfail")
    code = await run_lesson(app, client, teacher, world)
    anna, boris = world.pupils[:2]
    await client.post(f"/live/{code}/end", headers=teacher)
    body = {"marks": [{"pupil_id": anna.id, "value": "pass"}, {"pupil_id": boris.id, "value": 5}]}
    refused = await client.post(f"/live/{code}/journal", json=body, headers=teacher)
    assert refused.status_code == 422
    book = await journal(client, teacher, world)
    assert not [m for m in book["marks"] if m["slot_id"] == world.slot_id]
