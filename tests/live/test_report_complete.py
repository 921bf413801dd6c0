"""The complete report: per-question breakdown, polls, the slide timeline, who was here when,
the printable page and the CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from eschool.settings import Settings
from live.report import report
from live.report_times import lesson_times, slide_timeline, stay_of
from live.room import Actor, new_room, replay
from tests.conftest import token_for
from tests.live.replay_support import run_lesson
from tests.live.ws_support import BLOCKS, World, seed_world

T0 = 1_780_000_000.0


@pytest.fixture
async def world(settings: Settings, app: Starlette) -> World:
    return await seed_world(settings.database_url)


def test_slide_times_and_stays_come_from_the_logs_times() -> None:
    teacher = Actor(7, "teacher", "Teacher").as_dict()
    pupil = Actor(8, "pupil", "Anna").as_dict()

    def event(seq: int, at: float, type_: str, actor: dict, **data: Any) -> dict[str, Any]:
        return {"seq": seq, "at": T0 + at, "type": type_, "actor": actor, "data": data}

    log = [
        event(1, 1, "presence.join", teacher),
        event(2, 2, "presence.join", pupil),
        event(3, 10, "slide.goto", teacher, index=1),
        event(4, 40, "slide.goto", teacher, index=2),
        event(5, 41, "slide.goto", teacher, index=9),  # refused by the room: changes nothing
        event(6, 50, "presence.leave", pupil),
        event(7, 55, "slide.goto", teacher, index=1),
        event(8, 60, "presence.join", pupil),
        event(9, 70, "lesson.end", teacher),
        event(10, 71, "presence.leave", teacher),  # the end closes every connection
    ]
    initial = new_room(BLOCKS)
    times = lesson_times(initial, log, origin=T0, now=T0 + 500)
    assert (times.start, times.end, times.duration) == (T0, T0 + 70, 70)
    timeline = slide_timeline(times, replay(initial, log))
    seconds = {slide["index"]: (slide["seconds"], slide["visits"]) for slide in timeline["slides"]}
    assert seconds == {0: (10, 1), 1: (45, 2), 2: (15, 1), 3: (0, 0), 4: (0, 0)}
    assert [(v["index"], v["from"], v["seconds"]) for v in timeline["slide_visits"]] == [
        (0, 0, 10),
        (1, 10, 30),
        (2, 40, 15),
        (1, 55, 15),
    ]
    assert stay_of(times, 7) == {"joined_at": 1, "left_at": None, "seconds": 69}
    assert stay_of(times, 8) == {"joined_at": 2, "left_at": None, "seconds": 58}
    assert stay_of(times, 99) == {"joined_at": None, "left_at": None, "seconds": 0.0}
    # The report carries them; without times it keeps its old shape (and the polls).
    state = replay(initial, log)
    assert report(state, times=times)["duration"] == 70
    assert "slides" not in report(state) and report(state)["polls"] == []


def _sections(text: str) -> dict[str, list[list[str]]]:
    sections: dict[str, list[list[str]]] = {}
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO(text)):
        if not row:
            continue
        if len(row) == 1 and row[0].startswith("# "):
            rows = sections.setdefault(row[0][2:], [])
            continue
        rows.append(row)
    return sections


async def test_the_report_of_a_scripted_lesson(
    app: Starlette, client: httpx.AsyncClient, world: World
) -> None:
    teacher = {"Authorization": f"Bearer {await token_for(client, 'teacher')}"}
    lesson = await run_lesson(app, client, teacher, world)
    code = lesson.code
    body = (await client.get(f"/live/{code}/report", headers=teacher)).json()
    # The old keys are all there.
    assert {"participants", "attendance", "quiz", "polls", "proposed"} <= set(body)

    # Polls: every option with its votes.
    (poll,) = body["polls"]
    assert poll["prompt"] == "Did you like it?" and poll["total"] == 3 and poll["closed"]
    assert [(o["label"], o["count"]) for o in poll["options"]] == [("Yes", 2), ("No", 1)]

    # Question by question: the share right and the commonest wrong answers, readable.
    questions = body["quiz"][0]["questions"]
    assert [(q["answered"], q["right"]) for q in questions] == [(3, 2), (3, 2)] + [(3, 1)] * 4
    assert questions[0]["share_right"] == pytest.approx(0.667, abs=0.001)
    assert questions[0]["wrong"] == [{"answer": "3", "count": 1}]  # option text, not index
    assert questions[1]["wrong"] == [{"answer": "3", "count": 1}]
    assert questions[2]["wrong"] == [{"answer": "Paris", "count": 2}]  # " paris " is the same
    assert questions[3]["wrong"] == [{"answer": "0.5", "count": 1}, {"answer": "0.7", "count": 1}]
    assert questions[4]["wrong"] == [
        {"answer": "3 → 2 → 1", "count": 1},
        {"answer": "2 → 1 → 3", "count": 1},
    ]
    assert questions[5]["wrong"] == [{"answer": "1/2 → 0.25; 1/4 → 0.5", "count": 2}]

    # The slide timeline and who was here when.
    slides = body["slides"]
    assert [slide["visits"] for slide in slides] == [1, 1, 1, 1, 1]
    assert sum(slide["seconds"] for slide in slides) == pytest.approx(body["duration"], abs=0.6)
    assert [v["index"] for v in body["slide_visits"]] == [0, 1, 2, 3, 4]
    joined = {entry["id"]: entry for entry in body["attendance"] if entry["joined"]}
    assert set(joined) == {pupil.id for pupil in lesson.pupils}
    for entry in joined.values():
        assert 0 <= entry["joined_at"] <= entry["left_at"] <= body["duration"]
        assert 0 <= entry["seconds"] <= body["duration"]
    absent = [entry for entry in body["attendance"] if not entry["joined"]]
    assert absent and all(entry["joined_at"] is None for entry in absent)

    # The page shows it all, prints, and links to the replay and the CSV.
    page = await client.get(f"/live/{code}/report", headers={**teacher, "Accept": "text/html"})
    assert page.status_code == 200
    for needle in (
        "data-report-slides",
        'data-report-poll="poll1"',
        "data-report-questions",
        f"/live/{code}/replay",
        f"/api/v1/live/{code}/report.csv",
        "/static/css/live-report.css",
        "1/2 → 0.25; 1/4 → 0.5",
    ):
        assert needle in page.text, needle

    # The CSV: an attachment, a section per table, that parses back.
    exported = await client.get(f"/api/v1/live/{code}/report.csv", headers=teacher)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"].startswith("attachment;")
    sections = _sections(exported.content.decode("utf-8-sig"))
    assert set(sections) == {
        "Lesson", "Attendance", "Participants", "Quiz results", "Questions", "Polls", "Slides"
    }  # fmt: skip
    assert [row[2:4] for row in sections["Polls"][1:]] == [["Yes", "2"], ["No", "1"]]
    assert len(sections["Attendance"]) == 1 + len(body["attendance"])
    assert len(sections["Slides"]) == 1 + len(BLOCKS)
    question_rows = sections["Questions"][1:]
    assert question_rows[2][6:8] == ["Paris", "2"]
    assert question_rows[0][5] == "66.7"
    assert len(sections["Quiz results"]) == 1 + len(body["quiz"][0]["results"])
    pupil = {"Authorization": f"Bearer {await token_for(client, 'pupil')}"}
    assert (await client.get(f"/api/v1/live/{code}/report.csv", headers=pupil)).status_code == 403
