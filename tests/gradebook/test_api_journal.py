"""The journal API: the grid, marks with history, attendance, slots and courses."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import func, select

from gradebook.models import HistoryEntry, Mark
from tests.gradebook.conftest import Gradebook

SHA_A = "a" * 64
PNG_A = b"\x89PNG\r\n\x1a\n" + b"a" * 64
PNG_B = b"\x89PNG\r\n\x1a\n" + b"b" * 64


async def _journal(client: httpx.AsyncClient, headers: dict, course_id: int) -> dict:
    response = await client.get(f"/api/v1/courses/{course_id}/journal", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_journal_lists_pupils_slots_and_empty_averages(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    journal = await _journal(client, await as_user("teacher"), gradebook.math_7a)
    assert set(journal) >= {
        "course", "term", "pupils", "slots", "marks", "attendance", "averages",
        "term_marks", "suggested",
    }  # fmt: skip
    assert journal["course"]["subject"]["name"] == "Математика"
    assert journal["course"]["class"]["name"] == "7A"
    assert journal["course"]["teacher"]["name"] == "Анна Викторовна Петрова"
    assert journal["course"]["scale"] == "five"
    assert journal["term"]["id"] == gradebook.term_id
    names = [p["name"] for p in journal["pupils"]]
    assert len(names) == 27 and names == sorted(names)
    assert [s["id"] for s in journal["slots"]] == [s.id for s in gradebook.slots[gradebook.math_7a]]
    assert {s["period"] for s in journal["slots"]} == {1, 2, 3}
    first = journal["slots"][0]
    assert set(first) >= {"id", "date", "period", "topic", "homework", "lesson", "attachments"}
    assert journal["marks"] == [] and journal["attendance"] == []
    assert set(journal["averages"].values()) == {None}
    assert set(journal["suggested"].values()) == {None}


async def test_mark_create_change_delete_with_history(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    pupil = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    created = await client.post(
        "/api/v1/marks",
        json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 4, "work_type": "classwork"},
        headers=teacher,
    )
    assert created.status_code == 201, created.text
    mark = created.json()
    assert mark["value"] == "4" and mark["weight"] == 1 and mark["average"] == 4.0
    journal = await _journal(client, teacher, gradebook.math_7a)
    assert [(m["pupil_id"], m["slot_id"], m["value"]) for m in journal["marks"]] == [
        (pupil.id, slot.id, "4")
    ]
    assert journal["averages"][str(pupil.id)] == 4.0

    changed = await client.patch(
        f"/api/v1/marks/{mark['id']}", json={"value": "5", "reason": "пересдал"}, headers=teacher
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["value"] == "5" and changed.json()["average"] == 5.0

    deleted = await client.delete(
        f"/api/v1/marks/{mark['id']}", params={"reason": "ошибка"}, headers=teacher
    )
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert deleted.json()["average"] is None
    journal = await _journal(client, teacher, gradebook.math_7a)
    assert journal["marks"] == [] and journal["averages"][str(pupil.id)] is None

    history = await client.get(f"/api/v1/marks/{mark['id']}/history", headers=teacher)
    assert history.status_code == 200
    entries = history.json()
    assert [(e["action"], e["old"], e["new"], e["reason"]) for e in entries] == [
        ("create", None, "4", None),
        ("change", "4", "5", "пересдал"),
        ("delete", "5", None, "ошибка"),
    ]
    assert {e["by"]["name"] for e in entries} == {"Анна Викторовна Петрова"}
    assert all(e["at"].endswith("Z") for e in entries)
    admin_view = await client.get(
        f"/api/v1/marks/{mark['id']}/history", headers=await as_user("admin")
    )
    assert admin_view.json() == entries
    # A deleted mark cannot be changed or deleted again.
    again = await client.patch(f"/api/v1/marks/{mark['id']}", json={"value": 3}, headers=teacher)
    assert again.status_code == 404


async def test_changing_a_mark_after_its_lesson_needs_a_reason(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    """On the lesson's own day a mark is corrected freely; after it, a new value or work type
    needs a reason (422 ``reason_required``, nothing changed), and the history shows it."""
    teacher = await as_user("teacher")
    pupil = gradebook.pupil("pupil2")
    slots = gradebook.slots[gradebook.math_7b]
    past = [s for s in slots if s.date < gradebook.today]
    if not past:
        pytest.skip("the term starts today: no lesson of it is over yet")

    async def give(slot_id: int) -> dict:
        body = {"pupil_id": pupil.id, "slot_id": slot_id, "value": 4}
        created = await client.post("/api/v1/marks", json=body, headers=teacher)
        assert created.status_code == 201, created.text
        return created.json()

    mark = await give(past[-1].id)
    path = f"/api/v1/marks/{mark['id']}"
    for body in ({"value": 5}, {"value": 5, "reason": "   "}, {"work_type": "test"}):
        refused = await client.patch(path, json=body, headers=teacher)
        assert refused.status_code == 422, body
        assert refused.json()["error"]["code"] == "reason_required"
    journal = await _journal(client, teacher, gradebook.math_7b)
    assert [(m["value"], m["work_type"]) for m in journal["marks"]] == [("4", "classwork")]
    assert (await client.patch(path, json={"comment": "устно"}, headers=teacher)).is_success

    changed = await client.patch(path, json={"value": 5, "reason": "пересдал"}, headers=teacher)
    assert changed.status_code == 200 and changed.json()["value"] == "5"
    history = (await client.get(f"{path}/history", headers=teacher)).json()
    assert [(e["action"], e["field"], e["old"], e["new"], e["reason"]) for e in history] == [
        ("create", "value", None, "4", None),
        ("change", "comment", None, "устно", None),
        ("change", "value", "4", "5", "пересдал"),
    ]
    upcoming = [s for s in slots if s.date >= gradebook.today]
    if upcoming:  # on (or before) the lesson's own day no reason is asked
        fresh = await give(upcoming[0].id)
        again = await client.patch(
            f"/api/v1/marks/{fresh['id']}", json={"value": 3}, headers=teacher
        )
        assert again.status_code == 200 and again.json()["value"] == "3"


async def test_weighted_average_and_suggestion(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    pupil = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    for value, work_type in (("5", "classwork"), ("3", "test"), ("4", "homework")):
        response = await client.post(
            "/api/v1/marks",
            json={"pupil_id": pupil.id, "slot_id": slot.id, "value": value, "work_type": work_type},
            headers=teacher,
        )
        assert response.status_code == 201, response.text
    # (5·1 + 3·2 + 4·1) / 4 = 3.75 → suggested 4
    assert response.json()["average"] == 3.75 and response.json()["suggested"] == "4"
    journal = await _journal(client, teacher, gradebook.math_7a)
    assert len([m for m in journal["marks"] if m["pupil_id"] == pupil.id]) == 3
    assert {m["weight"] for m in journal["marks"] if m["work_type"] == "test"} == {2}
    assert journal["averages"][str(pupil.id)] == 3.75
    assert journal["suggested"][str(pupil.id)] == "4"
    # A stricter school threshold changes the suggestion, not the average.
    admin = await as_user("admin")
    patched = await client.patch(
        "/api/v1/gradebook/settings", json={"rounding_threshold": 0.8}, headers=admin
    )
    assert patched.status_code == 200 and patched.json()["rounding_threshold"] == 0.8
    journal = await _journal(client, teacher, gradebook.math_7a)
    assert journal["suggested"][str(pupil.id)] == "3"


OUT_OF_SCALE = [
    {"value": 6},
    {"value": "1"},
    {"value": "A"},
    {"value": ""},
    {"value": 4.5},
    {"value": None},
    {"value": 4, "work_type": "nonsense"},
]


async def test_out_of_scale_value_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, sessionmaker
) -> None:
    teacher = await as_user("teacher")
    pupil = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    for body in OUT_OF_SCALE:
        response = await client.post(
            "/api/v1/marks",
            json={"pupil_id": pupil.id, "slot_id": slot.id, **body},
            headers=teacher,
        )
        assert response.status_code == 422, body
        assert response.json()["error"]["message"]
    async with sessionmaker() as session:
        assert (await session.exec(select(func.count()).select_from(Mark))).one() == 0
        assert (await session.exec(select(func.count()).select_from(HistoryEntry))).one() == 0


async def test_out_of_scale_change_keeps_the_old_value(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    slot = gradebook.past_slot(gradebook.math_7a)
    mark = (
        await client.post(
            "/api/v1/marks",
            json={"pupil_id": gradebook.classmate().id, "slot_id": slot.id, "value": 3},
            headers=teacher,
        )
    ).json()
    refused = await client.patch(f"/api/v1/marks/{mark['id']}", json={"value": 7}, headers=teacher)
    assert refused.status_code == 422
    history = (await client.get(f"/api/v1/marks/{mark['id']}/history", headers=teacher)).json()
    assert [e["action"] for e in history] == ["create"]
    journal = await _journal(client, teacher, gradebook.math_7a)
    assert [m["value"] for m in journal["marks"]] == ["3"]


async def test_attendance_and_its_summary(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    pupil = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    for status in ("absent", "ill"):
        response = await client.put(
            "/api/v1/attendance",
            json={"pupil_id": pupil.id, "slot_id": slot.id, "status": status},
            headers=teacher,
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    bad = await client.put(
        "/api/v1/attendance",
        json={"pupil_id": pupil.id, "slot_id": slot.id, "status": "asleep"},
        headers=teacher,
    )
    assert bad.status_code == 422
    journal = await _journal(client, teacher, gradebook.math_7a)
    assert journal["attendance"] == [{"pupil_id": pupil.id, "slot_id": slot.id, "status": "ill"}]
    summary = journal["attendance_summary"][str(pupil.id)]
    # Lessons that have happened count; one without a record counts as present.
    past = len([s for s in journal["slots"] if s["date"] <= journal["today"]])
    ill = 1 if slot.date.isoformat() <= journal["today"] else 0  # 0 only on a term's first days
    assert summary["ill"] == ill and summary["total"] == past
    assert summary["present"] == past - ill
    assert journal["class_attendance"]["ill"] == ill
    assert journal["class_attendance"]["total"] == past * 27

    history = await client.get(
        "/api/v1/attendance/history",
        params={"pupil_id": pupil.id, "slot_id": slot.id},
        headers=teacher,
    )
    assert [(e["old"], e["new"]) for e in history.json()] == [(None, "absent"), ("absent", "ill")]

    class_summary = await client.get(
        "/api/v1/attendance/summary",
        params={"class": journal["course"]["class"]["id"]},
        headers=teacher,
    )
    assert class_summary.status_code == 200
    row = next(r for r in class_summary.json()["pupils"] if r["pupil"]["id"] == pupil.id)
    assert row["summary"]["ill"] == ill
    assert class_summary.json()["total"]["ill"] == ill


async def test_slot_topic_homework_attachments_and_lesson_link(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    slot = gradebook.past_slot(gradebook.math_7a)
    uploaded = [
        (await client.post("/api/v1/assets", files={"file": (name, content)}, headers=teacher))
        for name, content in (("a.png", PNG_A), ("b.png", PNG_B))
    ]
    sha_a, sha_b = (response.json()["id"] for response in uploaded)
    foreign = await client.patch(
        f"/api/v1/slots/{slot.id}", json={"attachments": [SHA_A]}, headers=teacher
    )
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (422, "unknown_attachment")
    response = await client.patch(
        f"/api/v1/slots/{slot.id}",
        json={
            "topic": "Линейная функция",
            "homework": "§ 12, № 245",
            "attachments": [sha_a, sha_b, sha_a],
        },
        headers=teacher,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["topic"], body["homework"], body["attachments"]) == (
        "Линейная функция",
        "§ 12, № 245",
        [sha_a, sha_b],
    )
    # Only the fields sent change.
    response = await client.patch(
        f"/api/v1/slots/{slot.id}", json={"topic": "Графики"}, headers=teacher
    )
    assert response.json()["homework"] == "§ 12, № 245"

    missing = await client.patch(f"/api/v1/slots/{slot.id}", json={"lesson_id": 5}, headers=teacher)
    assert missing.status_code == 404
    # Linking a real library lesson is classwork's (tests/classwork/test_slot_lessons.py).
    not_an_asset = await client.patch(
        f"/api/v1/slots/{slot.id}", json={"attachments": ["../etc/passwd"]}, headers=teacher
    )
    assert not_an_asset.status_code == 422
    too_long = await client.patch(
        f"/api/v1/slots/{slot.id}", json={"topic": "x" * 501}, headers=teacher
    )
    assert too_long.status_code == 422


async def test_courses_subjects_and_work_types(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    mine = (await client.get("/api/v1/courses", params={"teacher": "me"}, headers=teacher)).json()
    assert {(c["class"]["name"], c["subject"]["name"]) for c in mine["items"]} == {
        ("7A", "Математика"),
        ("7B", "Математика"),
    }
    assert set(mine["items"][0]) >= {"id", "class", "subject", "teacher", "scale"}
    # As form tutor of 7A the teacher also sees (read-only) the other 7A course.
    seen = (await client.get("/api/v1/courses", params={"class": "7A"}, headers=teacher)).json()
    access = {c["subject"]["name"]: c["access"] for c in seen["items"]}
    assert access == {"Математика": "write", "Русский язык": "read"}
    admin_all = (await client.get("/api/v1/courses", headers=await as_user("admin"))).json()
    assert admin_all["total"] == 3
    pupil = (await client.get("/api/v1/courses", headers=await as_user("pupil2"))).json()
    assert [c["class"]["name"] for c in pupil["items"]] == ["7B"]
    subjects = (await client.get("/api/v1/subjects", headers=teacher)).json()
    assert [s["name"] for s in subjects["items"]] == ["Математика", "Русский язык"]
    kinds = (await client.get("/api/v1/work-types", headers=teacher)).json()["items"]
    assert {k["code"]: k["weight"] for k in kinds}.items() >= {
        "classwork": 1,
        "homework": 1,
        "test": 2,
        "exam": 3,
    }.items()
    refused = await client.put(
        "/api/v1/work-types",
        json={"code": "project", "name": "Project", "weight": 2},
        headers=teacher,
    )
    assert refused.status_code == 403
    added = await client.put(
        "/api/v1/work-types",
        json={"code": "project", "name": "Project", "weight": 2.5},
        headers=await as_user("admin"),
    )
    assert added.status_code == 200
    assert {k["code"]: k["weight"] for k in added.json()["items"]}["project"] == 2.5


async def test_regeneration_keeps_slots_with_data(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    admin = await as_user("admin")
    teacher = await as_user("teacher")
    slots = gradebook.slots[gradebook.math_7a]
    with_mark, with_topic, empty = slots[0], slots[1], slots[2]
    await client.post(
        "/api/v1/marks",
        json={"pupil_id": gradebook.classmate().id, "slot_id": with_mark.id, "value": 5},
        headers=teacher,
    )
    await client.patch(
        f"/api/v1/slots/{with_topic.id}", json={"topic": "Повторение"}, headers=teacher
    )
    holiday = await client.post(
        "/api/v1/holidays",
        json={
            "name": "Карантин",
            "starts": slots[0].date.isoformat(),
            "ends": slots[2].date.isoformat(),
        },
        headers=admin,
    )
    assert holiday.status_code == 201
    result = await client.post(
        "/api/v1/slots/generate", json={"term_id": gradebook.term_id}, headers=admin
    )
    assert result.status_code == 200, result.text
    assert result.json()["kept"] >= 2 and result.json()["removed"] >= 1
    ids = {s["id"] for s in (await _journal(client, teacher, gradebook.math_7a))["slots"]}
    assert with_mark.id in ids and with_topic.id in ids and empty.id not in ids

    removed = await client.delete(f"/api/v1/holidays/{holiday.json()['id']}", headers=admin)
    assert removed.status_code == 204
    again = await client.post(
        "/api/v1/slots/generate", json={"term_id": gradebook.term_id}, headers=admin
    )
    assert again.json()["created"] >= 1 and again.json()["removed"] == 0
    dates = {
        (s["date"], s["period"])
        for s in (await _journal(client, teacher, gradebook.math_7a))["slots"]
    }
    assert (empty.date.isoformat(), empty.period) in dates
    refused = await client.post(
        "/api/v1/slots/generate", json={"term_id": gradebook.term_id}, headers=teacher
    )
    assert refused.status_code == 403


async def test_timetable_api(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, people
) -> None:
    admin = await as_user("admin")
    class_id = people.classes["7A"].id
    listed = await client.get(f"/api/v1/classes/{class_id}/timetable", headers=admin)
    assert [(e["weekday"], e["period"]) for e in listed.json()["items"]] == [
        (0, 1), (1, 1), (2, 2), (3, 2), (4, 3),
    ]  # fmt: skip
    assert listed.json()["items"][0]["starts"] == "08:30"
    duplicate = await client.put(
        f"/api/v1/classes/{class_id}/timetable",
        json={"entries": [{"weekday": 0, "period": 1, "course_id": gradebook.math_7a}] * 2},
        headers=admin,
    )
    assert duplicate.status_code == 422
    foreign = await client.put(
        f"/api/v1/classes/{class_id}/timetable",
        json={"entries": [{"weekday": 0, "period": 1, "course_id": gradebook.math_7b}]},
        headers=admin,
    )
    assert foreign.status_code == 422
    unchanged = await client.get(f"/api/v1/classes/{class_id}/timetable", headers=admin)
    assert unchanged.json()["total"] == 5
