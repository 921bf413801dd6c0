"""Absence notes: a parent reports, the class tutor accepts (→ excused in the journal, with
history) or declines with a reason, the family withdraws; the journal shows reported notes;
who may do what (every role × own / another family's / another school's); the document."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from eschool.models import Role, User
from eschool.notifications.models import Notification
from eschool.seed import DemoPeople
from eschool.services import api_token_create, school_create
from gradebook.models import Slot
from tests.gradebook.conftest import Gradebook

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _note_slot(gradebook: Gradebook) -> Slot:
    """A Mathematics 7A lesson on a Monday or Wednesday at most 14 days back: a note from
    that day over three days covers it and the next day's Russian lesson too."""
    earliest = gradebook.today - timedelta(days=14)
    return next(
        s
        for s in gradebook.slots[gradebook.math_7a]
        if s.date >= earliest and s.date.weekday() in (0, 2)
    )


def _covered(gradebook: Gradebook, start: date, end: date) -> list[Slot]:
    return [
        s
        for course in (gradebook.math_7a, gradebook.russian_7a)
        for s in gradebook.slots[course]
        if start <= s.date <= end
    ]


def _body(pupil_id: int, start: date, end: date | None = None, **extra) -> dict:
    return {
        "pupil_id": pupil_id,
        "from": start.isoformat(),
        "to": (end or start).isoformat(),
        "reason": "Приём у врача",
        **extra,
    }


async def _notified(app: Starlette, user_id: int) -> list[Notification]:
    async with app.state.sessionmaker() as session:
        rows = await session.exec(
            select(Notification).where(
                Notification.user_id == user_id, Notification.kind == "absence_note"
            )
        )
        return list(rows.all())


async def test_a_note_accepted_excuses_its_lessons_with_history(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, people: DemoPeople
) -> None:
    parent, tutor, teacher2 = (
        await as_user("parent"),
        await as_user("teacher"),
        await as_user("teacher2"),
    )
    pupil = gradebook.pupil("pupil")
    maths = _note_slot(gradebook)
    start, end = maths.date, maths.date + timedelta(days=2)
    covered = _covered(gradebook, start, end)
    russian = next(s for s in covered if s.course_id == gradebook.russian_7a)
    other_maths = [s for s in covered if s.course_id == gradebook.math_7a and s.id != maths.id]
    # Before the note: the teacher marked the Mathematics lesson an absence, and was told the
    # pupil came to the other one.
    for slot, status in ((maths, "absent"), *((s, "present") for s in other_maths)):
        taken = await client.put(
            "/api/v1/attendance",
            json={"pupil_id": pupil.id, "slot_id": slot.id, "status": status},
            headers=tutor,
        )
        assert taken.status_code == 200, taken.text

    reported = await client.post(
        "/api/v1/absence-notes", json=_body(pupil.id, start, end), headers=parent
    )
    assert reported.status_code == 201, reported.text
    note = reported.json()
    assert note["status"] == "reported" and note["periods"] is None
    assert note["can"] == {"decide": False, "withdraw": True}
    assert note["class"]["name"] == "7A"
    assert [n.title for n in await _notified(app, people.staff["teacher"].id)] == [
        "Absence note for {name}: reported"
    ]

    # Every teacher of the class sees the lessons as reported in their journal.
    journal = (
        await client.get(f"/api/v1/courses/{gradebook.russian_7a}/journal", headers=teacher2)
    ).json()
    assert {
        "id": note["id"],
        "pupil_id": pupil.id,
        "slot_ids": [russian.id],
        "status": "reported",
    } in journal["absence_notes"]
    assert all(a["pupil_id"] != pupil.id for a in journal["attendance"])
    # ... but only the tutor (or an admin) decides.
    refused = await client.patch(
        f"/api/v1/absence-notes/{note['id']}", json={"status": "accepted"}, headers=teacher2
    )
    assert refused.status_code == 403

    accepted = await client.patch(
        f"/api/v1/absence-notes/{note['id']}", json={"status": "accepted"}, headers=tutor
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["decided_by"]["id"] == people.staff["teacher"].id

    statuses = {}
    for course in (gradebook.math_7a, gradebook.russian_7a):
        body = (await client.get(f"/api/v1/courses/{course}/journal", headers=tutor)).json()
        statuses |= {
            a["slot_id"]: a["status"] for a in body["attendance"] if a["pupil_id"] == pupil.id
        }
        notes = [n for n in body["absence_notes"] if n["id"] == note["id"]]
        assert notes and notes[0]["status"] == "accepted"
    assert statuses[maths.id] == "excused" and statuses[russian.id] == "excused"
    assert all(statuses[s.id] == "present" for s in other_maths)  # seen at the lesson: kept
    history = (
        await client.get(
            "/api/v1/attendance/history",
            params={"pupil_id": pupil.id, "slot_id": maths.id},
            headers=tutor,
        )
    ).json()
    assert history[-1]["old"] == "absent" and history[-1]["new"] == "excused"
    assert history[-1]["reason"] == f"absence note #{note['id']}"

    # The family is told; nobody else's family.
    parent_user = await _user(app, "parent")
    family = [pupil.id, parent_user.id]
    for user_id in family:
        titles = [n.title for n in await _notified(app, user_id)]
        assert "Absence note for {name}: accepted" in titles
    other_parent = await _user(app, f"p.{gradebook.classmate().login}")
    assert await _notified(app, other_parent.id) == []

    # A lesson added later on a covered day shows as covered by the accepted note (no
    # attendance is written behind the teachers' backs).
    async with app.state.sessionmaker() as session:
        extra = Slot(
            school_id=maths.school_id,
            course_id=maths.course_id,
            term_id=maths.term_id,
            date=maths.date,
            period=7,
            starts=maths.starts,
            ends=maths.ends,
        )
        session.add(extra)
        await session.commit()
        extra_id = extra.id
    body = (await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=tutor)).json()
    cover = next(n for n in body["absence_notes"] if n["id"] == note["id"])
    assert extra_id in cover["slot_ids"] and cover["status"] == "accepted"
    assert all(a["slot_id"] != extra_id for a in body["attendance"])

    again = await client.patch(
        f"/api/v1/absence-notes/{note['id']}",
        json={"status": "declined", "reason": "x"},
        headers=tutor,
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_reported"


async def _user(app: Starlette, login: str) -> User:
    async with app.state.sessionmaker() as session:
        user = (await session.exec(select(User).where(User.login == login))).one()
        return user


async def test_decline_needs_a_reason_and_the_family_withdraws(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    parent, tutor = await as_user("parent"), await as_user("teacher")
    pupil = gradebook.pupil("pupil")
    day = gradebook.today + timedelta(days=1)
    first = (
        await client.post(
            "/api/v1/absence-notes", json=_body(pupil.id, day, periods=[3, 1, 3]), headers=parent
        )
    ).json()
    assert first["periods"] == [1, 3]
    blank = await client.patch(
        f"/api/v1/absence-notes/{first['id']}",
        json={"status": "declined", "reason": "  "},
        headers=tutor,
    )
    assert blank.status_code == 422 and blank.json()["error"]["code"] == "reason_required"
    declined = await client.patch(
        f"/api/v1/absence-notes/{first['id']}",
        json={"status": "declined", "reason": "Олимпиада — не причина пропускать"},
        headers=tutor,
    )
    assert declined.status_code == 200
    assert declined.json()["decision_reason"] == "Олимпиада — не причина пропускать"
    late = await client.patch(
        f"/api/v1/absence-notes/{first['id']}", json={"status": "withdrawn"}, headers=parent
    )
    assert late.status_code == 409

    second = (
        await client.post("/api/v1/absence-notes", json=_body(pupil.id, day), headers=parent)
    ).json()
    withdrawn = await client.patch(
        f"/api/v1/absence-notes/{second['id']}", json={"status": "withdrawn"}, headers=parent
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert (
        await client.patch(
            f"/api/v1/absence-notes/{second['id']}", json={"status": "accepted"}, headers=tutor
        )
    ).status_code == 409
    listed = (
        await client.get("/api/v1/absence-notes", params={"status": "withdrawn"}, headers=parent)
    ).json()
    assert [n["id"] for n in listed["items"]] == [second["id"]] and listed["total"] == 1
    by_class = (
        await client.get("/api/v1/absence-notes", params={"class": "7a"}, headers=tutor)
    ).json()
    assert {n["id"] for n in by_class["items"]} == {first["id"], second["id"]}
    assert (
        await client.get("/api/v1/absence-notes", params={"class": "7B"}, headers=tutor)
    ).json()["total"] == 0
    assert (
        await client.get("/api/v1/absence-notes", params={"status": "lost"}, headers=tutor)
    ).status_code == 400


async def test_validation(client: httpx.AsyncClient, as_user, gradebook: Gradebook) -> None:
    parent = await as_user("parent")
    pupil = gradebook.pupil("pupil")
    today = gradebook.today
    cases = [
        (_body(pupil.id, today, today - timedelta(days=1)), "invalid_dates"),
        (_body(pupil.id, today, today + timedelta(days=30)), "invalid_dates"),
        (_body(pupil.id, today - timedelta(days=15)), "invalid_dates"),
        (_body(pupil.id, today, reason="   "), "invalid"),
        (_body(pupil.id, today, reason="x" * 1001), "invalid"),
        (_body(pupil.id, today, periods=[13]), "invalid"),
        (_body(pupil.id, today, periods=[]), "invalid"),
        (_body(pupil.id, today, upload_id="0" * 64), "unknown_upload"),
        (_body(pupil.id, today, upload_id="../etc/passwd"), "invalid"),
        ({"pupil_id": pupil.id, "reason": "x"}, "invalid"),
    ]
    for body, code in cases:
        response = await client.post("/api/v1/absence-notes", json=body, headers=parent)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == code, body
    fine = _body(
        pupil.id, today - timedelta(days=14), today + timedelta(days=15), reason="x" * 1000
    )
    assert (
        await client.post("/api/v1/absence-notes", json=fine, headers=parent)
    ).status_code == 201
    bad_json = await client.post(
        "/api/v1/absence-notes",
        content=b"{",
        headers={**parent, "Content-Type": "application/json"},
    )
    assert bad_json.status_code == 400
    bad_status = await client.patch(
        "/api/v1/absence-notes/1", json={"status": "lost"}, headers=parent
    )
    assert bad_status.status_code == 422


@pytest.fixture
async def other_school(app: Starlette) -> dict[str, str]:
    """Bearer headers of another school's admin."""
    async with app.state.sessionmaker() as session:
        school = await school_create(session, name="Другая школа", slug="other")
        admin = User(
            school_id=school.id,
            login="other.admin",
            name="Другой Админ",
            role=Role.admin,
            password_hash="x",
        )
        session.add(admin)
        await session.commit()
        token = await api_token_create(session, user=admin, label="test")
    return {"Authorization": f"Bearer {token}"}


async def test_who_may_do_what(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, other_school: dict[str, str]
) -> None:
    pupil = gradebook.pupil("pupil")
    classmate = gradebook.classmate()
    day = gradebook.today + timedelta(days=2)
    roles = {
        "admin": await as_user("admin"),
        "tutor": await as_user("teacher"),  # form tutor of 7A
        "class teacher": await as_user("teacher2"),  # teaches 7A, tutors nothing
        "other teacher": await as_user("history"),  # tutor of 7B, nothing in 7A
        "parent": await as_user("parent"),
        "other parent": await as_user(f"p.{classmate.login}"),
        "pupil": await as_user("pupil"),
        "other pupil": await as_user(classmate.login),
        "other school": other_school,
    }
    note = (
        await client.post(
            "/api/v1/absence-notes", json=_body(pupil.id, day), headers=roles["parent"]
        )
    ).json()
    path = f"/api/v1/absence-notes/{note['id']}"

    reads = {"admin": 200, "tutor": 200, "class teacher": 200, "parent": 200, "pupil": 200}
    reports = {"admin": 201, "tutor": 201, "parent": 201, "class teacher": 403, "pupil": 403}
    decides = {"class teacher": 403, "parent": 403, "pupil": 403}
    withdraws = {"class teacher": 403, "pupil": 403}
    for role, headers in roles.items():
        got = await client.get(path, headers=headers)
        assert got.status_code == reads.get(role, 404), role
        listed = (await client.get("/api/v1/absence-notes", headers=headers)).json()
        assert (note["id"] in {n["id"] for n in listed["items"]}) == (role in reads), role
        created = await client.post(
            "/api/v1/absence-notes", json=_body(pupil.id, day), headers=headers
        )
        assert created.status_code == reports.get(role, 404), role
        if created.status_code == 201:  # not to be decided here
            withdrawn = await client.patch(
                f"/api/v1/absence-notes/{created.json()['id']}",
                json={"status": "withdrawn"},
                headers=headers,
            )
            assert withdrawn.status_code == 200, role
        if role in ("admin", "tutor"):
            continue
        decided = await client.patch(path, json={"status": "accepted"}, headers=headers)
        assert decided.status_code == decides.get(role, 404), role
        if role != "parent":
            pulled = await client.patch(path, json={"status": "withdrawn"}, headers=headers)
            assert pulled.status_code == withdraws.get(role, 404), role
        for response in (got, decided):
            if response.status_code == 404:
                assert pupil.name not in response.text, role
    # A pupil of 7B: the 7A tutor teaches them Mathematics (403), their tutor reports.
    other = gradebook.pupil("pupil2")
    assert (
        await client.post(
            "/api/v1/absence-notes", json=_body(other.id, day), headers=roles["tutor"]
        )
    ).status_code == 403
    assert (
        await client.post(
            "/api/v1/absence-notes", json=_body(other.id, day), headers=roles["parent"]
        )
    ).status_code == 404
    assert (
        await client.post(
            "/api/v1/absence-notes", json=_body(other.id, day), headers=roles["other teacher"]
        )
    ).status_code == 201
    assert (
        await client.get("/api/v1/absence-notes/999999", headers=roles["admin"])
    ).status_code == 404
    assert (
        await client.patch(path, json={"status": "accepted"}, headers=roles["admin"])
    ).status_code == 200


async def test_the_document_is_seen_by_the_tutor_and_teachers_only(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    parent = await as_user("parent")
    pupil = gradebook.pupil("pupil")
    # The shared upload store takes a family's document (POST /api/v1/assets).
    stored = await client.post(
        "/api/v1/assets",
        files={"file": ("справка.pdf", PDF, "application/pdf")},
        headers=parent,
    )
    assert stored.status_code == 201, stored.text
    sha = stored.json()["id"]
    refused = await client.post(
        "/api/v1/assets",
        files={"file": ("a.html", b"<html><script>1</script>", "text/html")},
        headers=parent,
    )
    assert refused.status_code == 415
    # The note's own upload endpoint is gone.
    gone = await client.post(
        "/api/v1/absence-notes/documents", files={"file": ("a.pdf", PDF)}, headers=parent
    )
    assert gone.status_code in (404, 405)
    # Not yet used by a note: only its uploader opens it.
    assert (await client.get(f"/assets/{sha}", headers=await as_user("teacher"))).status_code == 404
    note = await client.post(
        "/api/v1/absence-notes",
        json=_body(pupil.id, gradebook.today, upload_id=sha),
        headers=parent,
    )
    assert note.status_code == 201
    assert note.json()["upload"]["filename"] == "справка.pdf"
    for login, status in (
        ("parent", 200),
        ("teacher", 200),
        ("teacher2", 200),
        ("admin", 200),
        ("pupil", 200),
        (f"p.{gradebook.classmate().login}", 404),
        (gradebook.classmate().login, 404),
        ("history", 404),
    ):
        response = await client.get(f"/assets/{sha}", headers=await as_user(login))
        assert response.status_code == status, login
    # Someone else's file cannot be attached to one's note.
    other = await client.post(
        "/api/v1/absence-notes",
        json=_body(pupil.id, gradebook.today, upload_id=sha),
        headers=await as_user("teacher"),
    )
    assert other.status_code == 422


async def test_the_pages(client: httpx.AsyncClient, as_user, gradebook: Gradebook) -> None:
    parent, tutor = await as_user("parent"), await as_user("teacher")
    pupil = gradebook.pupil("pupil")
    diary = await client.get("/diary", headers=parent)
    assert 'href="/absence-notes"' in diary.text
    page = await client.get("/absence-notes", headers=parent)
    assert page.status_code == 200 and 'id="absence-form"' in page.text
    day = (gradebook.today + timedelta(days=1)).isoformat()
    form = {
        "action": "report",
        "pupil_id": str(pupil.id),
        "from": day,
        "to": day,
        "whole_days": "0",
        "period_2": "1",
        "reason": "Семейные обстоятельства",
    }
    sent = await client.post("/absence-notes", data=form, headers=parent)
    assert sent.status_code == 303 and "notice=reported" in sent.headers["location"]
    wrong = await client.post("/absence-notes", data={**form, "from": "2000-01-01"}, headers=parent)
    assert wrong.status_code == 422 and "Семейные обстоятельства" in wrong.text
    listed = await client.get("/absence-notes", headers=tutor)
    assert "Семейные обстоятельства" in listed.text and 'value="accepted"' in listed.text
    note_id = (await client.get("/api/v1/absence-notes", headers=tutor)).json()["items"][0]["id"]
    assert (await client.get(f"/api/v1/absence-notes/{note_id}", headers=tutor)).json()[
        "periods"
    ] == [2]
    declined = await client.post(
        "/absence-notes",
        data={"action": "declined", "note_id": str(note_id), "reason": "Нет"},
        headers=tutor,
    )
    assert declined.status_code == 303
    shown = await client.get("/absence-notes?notice=declined&status=declined", headers=parent)
    assert "Нет" in shown.text and 'value="withdrawn"' not in shown.text
    assert (
        await client.get("/absence-notes", headers=await as_user("teacher2"))
    ).status_code == 200
    assert (
        await client.post("/absence-notes", data={"action": "nonsense"}, headers=tutor)
    ).status_code == 422
