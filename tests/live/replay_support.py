"""A scripted live lesson for the replay and report tests: driven through the app's own hub
(no sockets), every event stored in the log as a live lesson's would be."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from live.protocol import parse_client_message
from live.room import Actor
from tests.live.ws_support import RIGHT_ANSWERS, WRONG_ANSWERS, World

# The third pupil's answers: the first two right, the rest wrong in other ways.
OTHER_ANSWERS = [1, [0, 2], " paris ", 0.7, [2, 1, 0], [[0, 0], [1, 1]]]


def command(type_: str, data: dict[str, Any] | None = None) -> Any:
    envelope = {"type": type_, "id": f"{type_}-{time.monotonic_ns()}", "data": data or {}}
    return parse_client_message(json.dumps(envelope))


@dataclass
class Scripted:
    code: str
    teacher: Actor
    pupils: list[Actor]


async def run_lesson(
    app: Starlette,
    client: httpx.AsyncClient,
    teacher_headers: dict[str, str],
    world: World,
    *,
    end: bool = True,
    **options: Any,
) -> Scripted:
    """Start the lesson of ``BLOCKS`` and play it through: the quiz (one pupil right, two
    wrong), the poll (2 × Yes, 1 × No), a stroke on the whiteboard, a hand, a chat line;
    pupils leave, then the teacher ends it (unless ``end`` is false)."""
    started = await client.post(
        "/api/v1/live",
        json={"lesson_id": world.lesson_id, "slot_id": world.slot_id, **options},
        headers=teacher_headers,
    )
    assert started.status_code == 201, started.text
    code = started.json()["code"]
    room = code.replace("-", "")
    hub = app.state.hub
    host = Actor(world.teacher.id, "teacher", world.teacher.name)
    pupils = [Actor(p.id, "pupil", p.name) for p in world.pupils[:3]]
    anna, boris, vera = pupils
    joined = [(await hub.join(room, who))[0] for who in (host, *pupils)]

    async def do(who: Actor, type_: str, data: dict[str, Any] | None = None) -> None:
        await hub.submit(room, who, command(type_, data))

    await do(host, "slide.goto", {"index": 1})
    await do(host, "quiz.open", {"block_id": "quiz1"})
    await do(anna, "quiz.answer", {"block_id": "quiz1", "answers": RIGHT_ANSWERS})
    await do(boris, "quiz.answer", {"block_id": "quiz1", "answers": WRONG_ANSWERS})
    await do(vera, "quiz.answer", {"block_id": "quiz1", "answers": OTHER_ANSWERS})
    await do(host, "quiz.close")
    await do(host, "quiz.reveal")
    await do(host, "slide.goto", {"index": 2})
    await do(host, "poll.open", {"block_id": "poll1"})
    for who, option in ((anna, 0), (boris, 0), (vera, 1)):
        await do(who, "poll.vote", {"option": option})
    await do(host, "poll.close")
    await do(host, "slide.goto", {"index": 3})
    stroke = {"points": [[0.1, 0.1], [0.5, 0.5]], "color": "#c62828", "width": 4}
    await do(host, "board.stroke", stroke)
    await do(anna, "hand.raise")
    await do(boris, "chat.post", {"text": "Is it 3/4?"})
    await do(host, "hand.lower", {"user_id": anna.id})
    await hub.leave(joined[3])  # Vera leaves early
    await do(host, "slide.goto", {"index": 4})
    for connection in joined[:3]:
        await hub.leave(connection)
    await app.state.live_log.sync(room_id=room)
    if end:
        ended = await client.post(f"/live/{code}/end", headers=teacher_headers)
        assert ended.status_code == 200, ended.text
    return Scripted(code=code, teacher=host, pupils=pupils)
