"""The journal's and the diary's API answer what their operations declare (issue #16): every
route declared, every read and a write per resource checked against its model, and the fast
paths (the rendered journal, the diary's plain rows) described exactly by theirs."""

from __future__ import annotations

import json

import httpx
from pydantic import TypeAdapter
from starlette.applications import Starlette

from eschool.openapi import api_routes, undocumented
from eschool.seed import DemoPeople
from gradebook.diary_models import DiaryNewsPublic, DiarySummaryPublic, DiaryWeekPublic
from gradebook.journal_models import JournalPublic
from tests.api_conformance import assert_conforms
from tests.gradebook.conftest import Gradebook

MODULES = ("gradebook.routes", "gradebook.diary_routes")


def _exactly(model: type, response: httpx.Response) -> None:
    """The model describes the answer exactly: validated and dumped again, it is the same
    JSON (no key lost or added, every value in the same format)."""
    adapter = TypeAdapter(model)
    again = json.loads(adapter.dump_json(adapter.validate_json(response.content), by_alias=True))
    assert again == response.json()


def test_every_journal_and_diary_route_is_declared(app: Starlette) -> None:
    mine = [r for r in api_routes(app.routes) if r.endpoint.__module__ in MODULES]
    assert len(mine) == 18
    missing = set(undocumented(app.routes))
    assert not [f"{m} {r.path}" for r in mine for m in r.methods if f"{m} {r.path}" in missing]


async def test_journal_answers_conform(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, people: DemoPeople
) -> None:
    teacher = await as_user("teacher")
    pupil = gradebook.pupil("pupil")
    slot = gradebook.past_slot(gradebook.math_7a)
    course, term = gradebook.math_7a, gradebook.term_id

    async def check(response: httpx.Response, status: int = 200) -> httpx.Response:
        assert response.status_code == status, response.text
        assert_conforms(app, response)
        return response

    mark = {"pupil_id": pupil.id, "slot_id": slot.id, "value": 4, "comment": "устно"}
    created = await check(await client.post("/api/v1/marks", json=mark, headers=teacher), 201)
    mark_id = created.json()["id"]
    assert created.json()["created_at"].endswith("Z")
    change = {"value": 5, "reason": "пересдал"}
    await check(await client.patch(f"/api/v1/marks/{mark_id}", json=change, headers=teacher))
    await check(await client.get(f"/api/v1/marks/{mark_id}/history", headers=teacher))
    place = {"pupil_id": pupil.id, "slot_id": slot.id}
    await check(
        await client.put("/api/v1/attendance", json={**place, "status": "late"}, headers=teacher)
    )
    await check(await client.get("/api/v1/attendance/history", params=place, headers=teacher))
    given = {"pupil_id": pupil.id, "course_id": course, "term_id": term}
    await check(await client.put("/api/v1/term-marks", json={**given, "value": 5}, headers=teacher))
    await check(await client.get("/api/v1/term-marks/history", params=given, headers=teacher))
    summary = {"class": people.classes["7A"].id, "term": term}
    await check(await client.get("/api/v1/attendance/summary", params=summary, headers=teacher))
    await check(
        await client.get("/api/v1/my-day", params={"date": slot.date.isoformat()}, headers=teacher)
    )

    journal = await check(await client.get(f"/api/v1/courses/{course}/journal", headers=teacher))
    _exactly(JournalPublic, journal)
    assert journal.json()["marks"][0]["id"] == mark_id
    again = {**teacher, "If-None-Match": journal.headers["etag"]}
    await check(await client.get(f"/api/v1/courses/{course}/journal", headers=again), 304)
    params = {"term": term, "delimiter": ";"}
    await check(
        await client.get(f"/api/v1/courses/{course}/journal.csv", params=params, headers=teacher)
    )
    await check(await client.get(f"/api/v1/courses/{course}/journal.xlsx", headers=teacher))
    deleted = await check(await client.delete(f"/api/v1/marks/{mark_id}", headers=teacher))
    assert deleted.json()["deleted"] is True
    bad = await client.get("/api/v1/attendance/history", params={"pupil_id": 1}, headers=teacher)
    assert bad.status_code == 400
    assert_conforms(app, bad)


async def test_diary_answers_conform(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    slot = gradebook.past_slot(gradebook.math_7a)
    mark = {"pupil_id": pupil.id, "slot_id": slot.id, "value": 5, "work_type": "test"}
    given = await client.post("/api/v1/marks", json=mark, headers=await as_user("teacher"))
    assert given.status_code == 201
    parent = await as_user("parent")
    base = f"/api/v1/diary/{pupil.id}"

    async def check(response: httpx.Response, status: int = 200) -> httpx.Response:
        assert response.status_code == status, response.text
        assert_conforms(app, response)
        return response

    start = {"from": slot.date.isoformat()}
    week = await check(await client.get(base, params=start, headers=parent))
    _exactly(DiaryWeekPublic, week)
    assert any(day["lessons"] for day in week.json()["days"])
    again = {**parent, "If-None-Match": week.headers["etag"]}
    await check(await client.get(base, params=start, headers=again), 304)
    _exactly(DiarySummaryPublic, await check(await client.get(f"{base}/summary", headers=parent)))
    news = await check(await client.get(f"{base}/news", headers=parent))
    _exactly(DiaryNewsPublic, news)
    assert news.json()["marks"][0]["value"] == "5"
    seen = {"at": news.json()["since"]}
    await check(await client.post(f"{base}/seen", params=seen, headers=parent), 204)
    await check(await client.get(f"{base}/feed", headers=parent))
    link = await check(await client.post(f"{base}/feed", headers=parent), 201)
    assert link.json()["webcal"].startswith("webcal://")
    status = await check(await client.get(f"{base}/feed", headers=parent))
    assert status.json()["active"] is True
    await check(await client.delete(f"{base}/feed", headers=parent), 204)
    feed = await check(await client.get(f"{base}.ics", headers=await as_user("pupil")))
    again = {**await as_user("pupil"), "If-None-Match": feed.headers["etag"]}
    await check(await client.get(f"{base}.ics", headers=again), 304)
    refused = await client.post(f"{base}/feed", headers=await as_user("admin"))
    assert refused.status_code == 403
    assert_conforms(app, refused)
