"""The teacher's day (`GET /api/v1/my-day`), which the teacher's home page shows: the day's
lessons with class, subject, time, topic, homework and linked library lesson, and the week's
earlier lessons still without a topic."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.gradebook.conftest import Gradebook


async def test_my_day_lists_the_lessons_and_the_week_s_missing_topics(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    mine = gradebook.slots[gradebook.math_7a] + gradebook.slots[gradebook.math_7b]

    def week_before(friday):
        return [s for s in mine if friday - timedelta(days=4) <= s.date < friday]

    fridays = sorted({s.date for s in mine if s.date.weekday() == 4})
    full = [friday for friday in fridays if len(week_before(friday)) >= 2]
    if not full:
        pytest.skip("no whole week of lessons in this term")
    day = full[len(full) // 2]
    on_day = sorted((s for s in mine if s.date == day), key=lambda s: s.period)
    before = week_before(day)

    lesson = await client.post(
        "/api/v1/lessons",
        json={
            "title": "Степени",
            "subject": "Mathematics",
            "grades": [7],
            "blocks": [{"kind": "text", "text": "Степень числа"}],
        },
        headers=teacher,
    )
    assert lesson.status_code == 201, lesson.text
    lesson_id = lesson.json()["id"]
    assert (await client.post(f"/api/v1/lessons/{lesson_id}/publish", headers=teacher)).is_success
    linked = await client.patch(
        f"/api/v1/slots/{on_day[0].id}",
        json={"topic": "Степень числа", "homework": "№ 401", "lesson_id": lesson_id},
        headers=teacher,
    )
    assert linked.status_code == 200, linked.text
    written = await client.patch(
        f"/api/v1/slots/{before[0].id}", json={"topic": "Повторение"}, headers=teacher
    )
    assert written.status_code == 200, written.text

    response = await client.get("/api/v1/my-day", params={"date": day.isoformat()}, headers=teacher)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["date"] == day.isoformat()
    assert [item["id"] for item in body["lessons"]] == [s.id for s in on_day]
    first = body["lessons"][0]
    assert first["class"]["name"] in {"7A", "7B"} and first["subject"]["name"] == "Математика"
    assert (first["topic"], first["homework"]) == ("Степень числа", "№ 401")
    assert first["lesson"] == {"lesson_id": lesson_id, "version": 1, "title": "Степени"}
    assert first["journal_url"] == f"/journal/{on_day[0].course_id}"
    assert {"starts", "ends", "period", "room", "files"} <= set(first)
    assert [item["id"] for item in body["without_topic"]] == [
        s.id for s in sorted(before[1:], key=lambda s: (s.date, s.period))
    ]

    # Another teacher's day has none of these; pupils have no such page.
    other = await client.get(
        "/api/v1/my-day", params={"date": day.isoformat()}, headers=await as_user("teacher2")
    )
    assert {item["id"] for item in other.json()["lessons"]}.isdisjoint(s.id for s in mine)
    refused = await client.get("/api/v1/my-day", headers=await as_user("pupil"))
    assert refused.status_code == 403
