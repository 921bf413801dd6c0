"""Two server processes sharing Redis and one database: a lesson spans them.

Runs when ``ESCHOOL_TEST_REDIS_URL`` is set (with PostgreSQL too when
``ESCHOOL_TEST_POSTGRES_URL`` is; otherwise both processes share one SQLite file).
"""

from __future__ import annotations

import json

import httpx
import pytest
from sqlmodel import select

from eschool.db import create_engine, create_sessionmaker
from eschool.settings import Settings
from live.models import LiveEvent
from tests.live.ws_support import (
    RIGHT_ANSWERS,
    LiveClient,
    ProcessServer,
    World,
    bearer,
    observer_token,
    start_lesson,
    ws_url,
)

pytestmark = pytest.mark.redis


def events_only(frames: list[dict]) -> list[dict]:
    return [f for f in frames if f["type"] not in ("ack", "error", "welcome")]


async def test_a_pupil_on_another_process_follows_the_teacher_in_order(
    servers: tuple[ProcessServer, ProcessServer], world: World, settings: Settings
) -> None:
    a, b = servers
    code = (await start_lesson(a.base_url, world))["code"]
    anna = world.pupils[0]
    teacher = await LiveClient.connect(
        ws_url(a.ws_base, code), headers=await bearer(a.base_url, "teacher")
    )
    pupil = await LiveClient.connect(
        ws_url(b.ws_base, code), headers=await bearer(b.base_url, anna.login)
    )
    observer = await LiveClient.connect(
        ws_url(b.ws_base, code, token=await observer_token(b.base_url, code, "Guest"))
    )
    welcome = await pupil.wait_for(lambda f: True)
    assert welcome["type"] == "welcome"

    sent = []
    for index in (1, 2, 3, 1):
        sent.append(await teacher.ok("slide.goto", {"index": index}))
    await teacher.ok("quiz.open", {"block_id": "quiz1"})
    await pupil.event("quiz.open")
    answered = await pupil.ok("quiz.answer", {"block_id": "quiz1", "answers": RIGHT_ANSWERS})
    seen_by_teacher = await teacher.event("quiz.answer")
    assert seen_by_teacher["seq"] == answered
    assert seen_by_teacher["data"]["person"]["id"] == anna.id

    # Process B delivered every event after its welcome, in order, with no gap.
    got = events_only(pupil.frames)
    seqs = [f["seq"] for f in got]
    assert seqs == list(range(welcome["seq"] + 1, welcome["seq"] + 1 + len(seqs)))
    goes = [(f["seq"], f["data"]["index"]) for f in got if f["type"] == "slide.goto"]
    assert goes == list(zip(sent, (1, 2, 3, 1), strict=True))
    await observer.event("quiz.progress", answered=1)

    # The end, asked of process B, closes the teacher's socket on process A and stores the log.
    async with httpx.AsyncClient(base_url=b.base_url) as http:
        ended = await http.post(f"/live/{code}/end", headers=await bearer(b.base_url, "teacher"))
    assert ended.status_code == 200, ended.text
    assert ended.json()["quiz"][0]["results"][0]["mark"] == "5"
    await teacher.event("lesson.end")
    assert await teacher.closed() == 4410
    assert await pupil.closed() == 4410

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = (await session.exec(select(LiveEvent).order_by(LiveEvent.seq))).all()
    finally:
        await engine.dispose()
    # The whole log, lesson.end included, is in the database, without a gap.
    end_seq = max(f["seq"] for f in events_only(teacher.frames))
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
    assert json.loads(rows[end_seq - 1].body)["type"] == "lesson.end"
    await observer.close()
