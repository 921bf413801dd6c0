"""The live protocol end to end: a real uvicorn server, the ``websockets`` client, the database.

A teacher, three pupils of the class and a visiting observer run a lesson: slides, a quiz of every
question kind, a poll, chat, hands, the whiteboard pen, roles, and what the observer may see; an
answer changed before the close; pupils working at their own pace. The socket's delivery is in
test_ws_delivery.py, who may connect in test_ws_access.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.live.ws_room import HALF_RIGHT, Room
from tests.live.ws_support import RIGHT_ANSWERS, WRONG_ANSWERS


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
