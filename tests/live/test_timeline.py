"""The instant replay's timeline: the stored log projected for the viewer with the live room's
own code, so it folds to the same room as the log; an observer's has no pupil's name or
answer; who may read it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from eschool.models import Role, School, User
from eschool.security import hash_password
from eschool.settings import Settings
from live.models import LiveSession
from live.queries import code_normalize
from live.report import report
from live.room import replay
from live.services import room_initial
from live.timeline import stored_log
from live.views import view_for
from tests.conftest import token_for
from tests.live.replay_support import OTHER_ANSWERS, Scripted, run_lesson
from tests.live.ws_support import WRONG_ANSWERS, World, seed_world


@pytest.fixture
async def world(settings: Settings, app: Starlette) -> World:
    return await seed_world(settings.database_url)


@pytest.fixture
def auth(client: httpx.AsyncClient, world: World):
    async def headers(login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await token_for(client, login)}"}

    return headers


async def _live(app: Starlette, code: str) -> LiveSession:
    async with app.state.sessionmaker() as session:
        query = select(LiveSession).where(LiveSession.code == code_normalize(code))
        return (await session.exec(query)).one()


def _last(events: list[dict[str, Any]], type_: str) -> dict[str, Any]:
    return [event for event in events if event["type"] == type_][-1]


async def test_the_timeline_folds_to_the_room_at_the_end(
    app: Starlette, client: httpx.AsyncClient, auth, world: World
) -> None:
    teacher = await auth("teacher")
    lesson: Scripted = await run_lesson(app, client, teacher, world, end=False)
    code = lesson.code

    # While the lesson runs the timeline goes up to now.
    running = await client.get(f"/api/v1/live/{code}/timeline", headers=teacher)
    assert running.status_code == 200, running.text
    assert running.json()["ended"] is False and running.json()["events"]
    assert (await client.post(f"/live/{code}/end", headers=teacher)).status_code == 200

    response = await client.get(f"/api/v1/live/{code}/timeline", headers=teacher)
    assert response.status_code == 200, response.text
    timeline = response.json()
    assert timeline["you"]["role"] == "teacher" and timeline["ended"] is True
    events = timeline["events"]
    assert [set(event) for event in events] == [{"seq", "at", "type", "data"}] * len(events)
    seqs = [event["seq"] for event in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    ats = [event["at"] for event in events]
    assert ats == sorted(ats) and ats[0] >= 0 and ats[-1] <= timeline["duration"]
    assert timeline["initial"]["slide"] == 0 and timeline["initial"]["seq"] == 0

    # The events the teacher's timeline lists, folded with the room's reducer, make the same
    # room as the whole stored log, and the same report as the one stored at the end.
    live = await _live(app, code)
    async with app.state.sessionmaker() as session:
        initial = await room_initial(session, live=live)
        log = await stored_log(session, live=live)
    listed = set(seqs)
    from_timeline = replay(initial, [event for event in log if event["seq"] in listed])
    from_log = replay(initial, log)
    assert from_timeline.ended and from_log.ended
    host = lesson.teacher
    assert {**view_for(from_timeline, host), "seq": 0} == {**view_for(from_log, host), "seq": 0}
    stored = live.report
    assert stored is not None
    folded = report(from_timeline)
    for key in ("quiz", "polls"):
        assert folded[key] == stored[key]
    assert [(e["id"], e["joined"]) for e in folded["attendance"]] == [
        (e["id"], e["joined"]) for e in stored["attendance"]
    ]

    # The frames themselves say what the report says: the last slide, the poll's counts, the
    # revealed quiz's right answers per question, the stroke, the chat line, the hands.
    assert _last(events, "slide.goto")["data"]["index"] == from_log.slide == 4
    poll = _last(events, "poll.close")["data"]
    assert poll["counts"] == [o["count"] for o in stored["polls"][0]["options"]] == [2, 1]
    reveal = _last(events, "quiz.reveal")["data"]
    questions = stored["quiz"][0]["questions"]
    assert [bar["correct"] for bar in reveal["histogram"]] == [q["right"] for q in questions]
    answers = [e for e in events if e["type"] == "quiz.answer"]
    assert {a["data"]["person"]["name"] for a in answers} == {p.name for p in lesson.pupils}
    assert _last(events, "board.stroke")["data"]["slide"] == 3
    assert _last(events, "chat.post")["data"]["text"] == "Is it 3/4?"
    assert _last(events, "hand.lower")["data"]["queue"] == []
    assert _last(events, "lesson.end")["at"] <= timeline["duration"]

    # An admin of the school sees the teacher's view too.
    admin = await client.get(f"/api/v1/live/{code}/timeline", headers=await auth("admin"))
    assert admin.status_code == 200
    assert admin.json()["you"]["role"] == "teacher"
    assert len(admin.json()["events"]) == len(events)


async def test_who_may_replay_and_what_an_observer_sees(
    app: Starlette, client: httpx.AsyncClient, auth, world: World
) -> None:
    teacher = await auth("teacher")
    started = await client.post(
        "/api/v1/live", json={"lesson_id": world.lesson_id}, headers=teacher
    )
    assert started.json()["allow_observer_replay"] is False
    joined = await client.post(f"/live/{started.json()['code']}/join", json={"name": "Olga"})
    guest = joined.json()["token"]
    lesson = await run_lesson(app, client, teacher, world, allow_observer_replay=True)
    code = lesson.code
    url = f"/api/v1/live/{code}/timeline"

    # Nobody: 401; a pupil of the class: 403; another school's teacher: 404.
    assert (await client.get(url)).status_code == 401
    pupil = await client.get(url, headers=await auth("pupil"))
    assert pupil.status_code == 403, pupil.text
    async with app.state.sessionmaker() as session:
        school = School(name="School No. 2", slug="school-2")
        session.add(school)
        await session.commit()
        session.add(
            User(
                school_id=school.id or 0,
                login="stranger",
                name="Stranger Teacher",
                role=Role.teacher,
                password_hash=hash_password("demo"),
            )
        )
        await session.commit()
    assert (await client.get(url, headers=await auth("stranger"))).status_code == 404

    # Without the teacher's leave an observer may not replay (their pass is for that lesson).
    no_flag = f"/api/v1/live/{started.json()['code']}/timeline"
    refused = await client.get(no_flag, headers={"Authorization": f"Bearer {guest}"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "no_replay")
    teacher2 = await client.get(no_flag, headers=await auth("teacher2"))
    assert teacher2.status_code == 403
    assert (await client.get(url, params={"token": guest})).status_code == 401  # another lesson's

    # With it: a visitor of this lesson, by ?token= or Bearer, and a teacher of the school.
    visitor = (await client.post(f"/live/{code}/join", json={"name": "Ivan"})).json()
    # (the lesson has ended, so nobody new may join: sign the pass as /join would have)
    assert visitor["error"]["code"] == "ended"
    from live.services import observer_token_issue

    live = await _live(app, code)
    token, _observer = observer_token_issue(
        secret=app.state.settings.secret_key, session_id=live.id or 0, name="Ivan"
    )
    by_query = await client.get(url, params={"token": token})
    by_header = await client.get(url, headers={"Authorization": f"Bearer {token}"})
    colleague = await client.get(url, headers=await auth("teacher2"))
    for response in (by_query, by_header, colleague):
        assert response.status_code == 200, response.text
        assert response.json()["you"]["role"] == "observer"
        assert response.json()["recordings"] == []
    observer = by_query.json()
    assert observer["events"] == by_header.json()["events"]

    # Exactly as live: no pupil's name, id or answer; the class's results are there.
    text = json.dumps(observer, ensure_ascii=False)
    for pupil_actor in lesson.pupils:
        assert pupil_actor.name not in text
        assert f'"id": {pupil_actor.id}' not in text
    for answer in (OTHER_ANSWERS[2], WRONG_ANSWERS[2], "москва"):
        assert answer not in text
    types = {event["type"] for event in observer["events"]}
    assert "quiz.answer" not in types and "poll.vote" not in types
    assert {"quiz.progress", "poll.progress", "quiz.reveal", "chat.post"} <= types
    people = [e["data"]["person"] for e in observer["events"] if e["type"] == "presence.join"]
    assert {"role": "pupil"} in people
    assert _last(observer["events"], "poll.close")["data"]["counts"] == [2, 1]
    assert _last(observer["events"], "chat.post")["data"]["by"] == {"role": "pupil"}
    assert "answer" not in json.dumps(observer["initial"]["slides"])  # no keys before reveal

    # The replay page: the teacher's with the player; a pupil is refused.
    page = await client.get(f"/live/{code}/replay", headers=teacher)
    assert page.status_code == 200 and "/static/js/live/replay.js" in page.text
    assert (
        await client.get(f"/live/{code}/replay", headers=await auth("pupil"))
    ).status_code == 403
    guest_page = await client.get(f"/live/{code}/replay", params={"token": token})
    assert guest_page.status_code == 200 and "Ivan" in guest_page.text
