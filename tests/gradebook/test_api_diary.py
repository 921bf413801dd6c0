"""The diary API per role: the week, the term summary, news since the last visit, and the
calendar feed behind a secret, revocable link."""

from __future__ import annotations

from datetime import timedelta

import httpx
import icalendar

from gradebook.timetable import week_bounds
from tests.gradebook.conftest import Gradebook


async def _mark_and_absence(client: httpx.AsyncClient, as_user, gradebook: Gradebook):
    teacher = await as_user("teacher")
    pupil = gradebook.pupil("pupil")
    missed, marked = gradebook.recent_slots(gradebook.math_7a, 2)
    created = await client.post(
        "/api/v1/marks",
        json={"pupil_id": pupil.id, "slot_id": marked.id, "value": 5, "work_type": "test"},
        headers=teacher,
    )
    assert created.status_code == 201
    await client.put(
        "/api/v1/attendance",
        json={"pupil_id": pupil.id, "slot_id": missed.id, "status": "ill"},
        headers=teacher,
    )
    await client.patch(
        f"/api/v1/slots/{marked.id}",
        json={"topic": "Степень с натуральным показателем", "homework": "№ 401, 403"},
        headers=teacher,
    )
    return pupil, marked, missed


def _without_stamps(calendar: str) -> list[str]:
    """The feed's lines but DTSTAMP (the moment it was made)."""
    return [line for line in calendar.splitlines() if not line.startswith("DTSTAMP:")]


def _lessons(diary: dict) -> dict[int, dict]:
    return {lesson["slot_id"]: lesson for day in diary["days"] for lesson in day["lessons"]}


async def test_pupil_and_parent_read_the_week(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil, marked, missed = await _mark_and_absence(client, as_user, gradebook)
    start = min(marked.date, missed.date)
    params = {"from": start.isoformat(), "to": (start + timedelta(days=13)).isoformat()}
    for login in ("pupil", "parent", "teacher", "admin"):  # teacher: form tutor of 7A
        response = await client.get(
            f"/api/v1/diary/{pupil.id}", params=params, headers=await as_user(login)
        )
        assert response.status_code == 200, login
        diary = response.json()
        assert diary["pupil"] == {"id": pupil.id, "name": pupil.name}
        lessons = _lessons(diary)
        lesson = lessons[marked.id]
        assert lesson["subject"]["name"] == "Математика"
        assert lesson["period"] == marked.period
        assert lesson["topic"] == "Степень с натуральным показателем"
        assert lesson["homework"] == "№ 401, 403"
        assert [(m["value"], m["work_type"], m["weight"]) for m in lesson["marks"]] == [
            ("5", "test", 2)
        ]
        assert lesson["marks"][0]["work_type_name"] == "Test"
        assert lessons[missed.id]["attendance"] == "ill"
        # Russian lessons of 7A are in the diary too; 7B's are not.
        subjects = {lesson["subject"]["name"] for lesson in lessons.values()}
        assert subjects == {"Математика", "Русский язык"}
        assert not set(lessons) & {s.id for s in gradebook.slots[gradebook.math_7b]}
    # Every weekday is listed, even without lessons; weekend days only with lessons.
    weekdays = [start + timedelta(days=n) for n in range(14)]
    expected = [d.isoformat() for d in weekdays if d.weekday() < 5]
    assert [d["date"] for d in diary["days"]] == expected


async def test_default_is_the_current_week_and_ranges_are_bounded(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    headers = await as_user("pupil")
    diary = (await client.get(f"/api/v1/diary/{pupil.id}", headers=headers)).json()
    monday, sunday = week_bounds(gradebook.today)
    assert (diary["from"], diary["to"]) == (monday.isoformat(), sunday.isoformat())
    assert all(monday.isoformat() <= d["date"] <= sunday.isoformat() for d in diary["days"])
    too_long = await client.get(
        f"/api/v1/diary/{pupil.id}",
        params={"from": "2026-01-01", "to": "2026-12-31"},
        headers=headers,
    )
    assert too_long.status_code == 400
    bad = await client.get(f"/api/v1/diary/{pupil.id}", params={"from": "soon"}, headers=headers)
    assert bad.status_code == 400


async def test_term_summary_per_subject(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil, marked, missed = await _mark_and_absence(client, as_user, gradebook)
    await client.put(
        "/api/v1/term-marks",
        json={
            "pupil_id": pupil.id,
            "course_id": gradebook.math_7a,
            "term_id": gradebook.term_id,
            "value": 5,
        },
        headers=await as_user("teacher"),
    )
    summary = (
        await client.get(f"/api/v1/diary/{pupil.id}/summary", headers=await as_user("parent"))
    ).json()
    by_subject = {s["subject"]["name"]: s for s in summary["subjects"]}
    maths = by_subject["Математика"]
    assert maths["average"] == 5.0 and maths["term_mark"] == "5"
    assert [(m["value"], m["date"]) for m in maths["marks"]] == [("5", marked.date.isoformat())]
    assert maths["attendance"]["ill"] == (1 if missed.date <= gradebook.today else 0)
    assert maths["teacher"]["name"] == "Анна Викторовна Петрова"
    assert by_subject["Русский язык"]["average"] is None
    assert "suggested" not in maths


async def test_news_since_the_last_visit(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil, marked, _missed = await _mark_and_absence(client, as_user, gradebook)
    parent = await as_user("parent")
    news = (await client.get(f"/api/v1/diary/{pupil.id}/news", headers=parent)).json()
    assert [m["value"] for m in news["marks"]] == ["5"]
    assert [h["homework"] for h in news["homework"]] == ["№ 401, 403"]
    assert (await client.post(f"/api/v1/diary/{pupil.id}/seen", headers=parent)).status_code == 204
    news = (await client.get(f"/api/v1/diary/{pupil.id}/news", headers=parent)).json()
    assert news["marks"] == [] and news["homework"] == []
    # The pupil's own visits are separate from the parent's.
    pupil_news = (
        await client.get(f"/api/v1/diary/{pupil.id}/news", headers=await as_user("pupil"))
    ).json()
    assert len(pupil_news["marks"]) == 1
    # Something new after the visit shows up.
    await client.post(
        "/api/v1/marks",
        json={"pupil_id": pupil.id, "slot_id": marked.id, "value": 4},
        headers=await as_user("teacher"),
    )
    news = (await client.get(f"/api/v1/diary/{pupil.id}/news", headers=parent)).json()
    assert [m["value"] for m in news["marks"]] == ["4"]


async def test_subject_teacher_cannot_read_a_diary(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    response = await client.get(
        f"/api/v1/diary/{gradebook.classmate().id}", headers=await as_user("teacher2")
    )
    assert response.status_code == 404


async def test_calendar_feed_behind_a_secret_revocable_link(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil, marked, _missed = await _mark_and_absence(client, as_user, gradebook)
    parent = await as_user("parent")
    authenticated = await client.get(f"/api/v1/diary/{pupil.id}.ics", headers=parent)
    assert authenticated.status_code == 200
    assert authenticated.headers["content-type"].startswith("text/calendar")

    created = await client.post(f"/api/v1/diary/{pupil.id}/feed", headers=parent)
    assert created.status_code == 201
    url = created.json()["url"]
    assert url.startswith("http://testserver/feeds/") and url.endswith(".ics")
    path = url.removeprefix("http://testserver")
    anonymous = await client.get(path)
    assert anonymous.status_code == 200
    calendar = icalendar.Calendar.from_ical(anonymous.text)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    event = events[f"slot-{marked.id}@eschool"]  # whatever the Host: see docs/calendar-feed.md
    assert str(event["SUMMARY"]) == "Математика (21)"
    assert "№ 401, 403" in str(event["DESCRIPTION"])
    assert event.decoded("DTSTART").tzinfo is not None
    signed_in = (await client.get(f"/api/v1/diary/{pupil.id}.ics", headers=parent)).text
    assert _without_stamps(anonymous.text) == _without_stamps(signed_in)

    status = (await client.get(f"/api/v1/diary/{pupil.id}/feed", headers=parent)).json()
    assert status["active"] is True
    # A new link replaces the old one; revoking stops it.
    renewed = (await client.post(f"/api/v1/diary/{pupil.id}/feed", headers=parent)).json()["url"]
    assert (await client.get(path)).status_code == 404
    renewed_path = renewed.removeprefix("http://testserver")
    assert (await client.get(renewed_path)).status_code == 200
    assert (
        await client.delete(f"/api/v1/diary/{pupil.id}/feed", headers=parent)
    ).status_code == 204
    assert (await client.get(renewed_path)).status_code == 404
    assert (await client.get("/feeds/not-a-secret.ics")).status_code == 404
    # Teachers read the calendar but make no links.
    teacher_link = await client.post(
        f"/api/v1/diary/{pupil.id}/feed", headers=await as_user("teacher")
    )
    assert teacher_link.status_code == 403


async def test_feed_stops_when_the_owner_loses_access(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, people
) -> None:
    pupil = gradebook.pupil("pupil")
    parent_user = next(
        u
        for u in (
            await client.get(
                "/api/v1/users",
                params={"role": "parent", "q": "parent"},
                headers=await as_user("admin"),
            )
        ).json()["items"]
        if u["login"] == "parent"
    )
    url = (
        await client.post(f"/api/v1/diary/{pupil.id}/feed", headers=await as_user("parent"))
    ).json()["url"]
    path = url.removeprefix("http://testserver")
    assert (await client.get(path)).status_code == 200
    unlinked = await client.request(
        "DELETE",
        "/api/v1/guardians",
        json={"parent_id": parent_user["id"], "child_id": pupil.id},
        headers=await as_user("admin"),
    )
    assert unlinked.status_code == 204
    assert (await client.get(path)).status_code == 404
