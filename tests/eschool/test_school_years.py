"""Academic years and terms through the API: created and edited inside their bounds, never
overlapping, refused next to the field that is wrong; admin only; scoped to the school."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
from starlette.applications import Starlette

from eschool.models import Role, User
from eschool.seed import DemoPeople
from eschool.services import api_token_create, school_create


def _field(response: httpx.Response) -> str:
    return response.json()["error"]["details"][0]["loc"][-1]


async def test_years_and_terms(
    app: Starlette, client: httpx.AsyncClient, as_user, people: DemoPeople
) -> None:
    admin, teacher = await as_user("admin"), await as_user("teacher")
    years = (await client.get("/api/v1/years", headers=teacher)).json()
    assert years["total"] == 1
    current = years["items"][0]
    assert current["id"] == people.year.id and len(current["terms"]) >= 2
    assert current["gaps"] == []  # the demo year's terms cover it

    start = people.year.ends + timedelta(days=93)  # a September after the demo year
    end = date(start.year + 1, 5, 31)

    async def add_year(**body) -> httpx.Response:
        return await client.post("/api/v1/years", json=body, headers=admin)

    overlap = await add_year(name="X", starts=people.year.ends.isoformat(), ends=end.isoformat())
    assert overlap.status_code == 422 and _field(overlap) == "starts"
    backwards = await add_year(name="X", starts=end.isoformat(), ends=start.isoformat())
    assert backwards.status_code == 422 and _field(backwards) == "ends"
    too_long = await add_year(
        name="X", starts=start.isoformat(), ends=(start + timedelta(days=500)).isoformat()
    )
    assert too_long.status_code == 422 and _field(too_long) == "ends"
    taken = await add_year(name=people.year.name, starts=start.isoformat(), ends=end.isoformat())
    assert taken.status_code == 409 and _field(taken) == "name"
    bad_split = await add_year(
        name="X", starts=start.isoformat(), ends=end.isoformat(), split="weeks"
    )
    assert bad_split.status_code == 422 and _field(bad_split) == "split"
    forbidden = await client.post(
        "/api/v1/years",
        json={"name": "X", "starts": start.isoformat(), "ends": end.isoformat()},
        headers=teacher,
    )
    assert forbidden.status_code == 403

    name = f"{start.year}/{str(start.year + 1)[2:]}"
    created = await add_year(
        name=name, starts=start.isoformat(), ends=end.isoformat(), split="none"
    )
    assert created.status_code == 201, created.text
    year = created.json()
    assert year["terms"] == [] and year["gaps"] == [
        {"start": start.isoformat(), "end": end.isoformat()}
    ]

    async def add_term(name: str, first: date, last: date) -> httpx.Response:
        body = {
            "year_id": year["id"],
            "name": name,
            "starts": first.isoformat(),
            "ends": last.isoformat(),
        }
        return await client.post("/api/v1/terms", json=body, headers=admin)

    middle = start + timedelta(days=120)
    second = await add_term("Полугодие 2", middle, end)
    assert second.status_code == 201 and second.json()["number"] == 1
    first = await add_term("Полугодие 1", start, middle - timedelta(days=10))
    assert first.status_code == 201 and first.json()["number"] == 1
    outside = await add_term("Лето", end, end + timedelta(days=10))
    assert outside.status_code == 422 and _field(outside) == "ends"
    before = await add_term("Август", start - timedelta(days=5), start)
    assert before.status_code == 422 and _field(before) == "starts"
    clash = await add_term("Ещё", middle - timedelta(days=12), middle)
    assert clash.status_code == 422 and _field(clash) == "starts"
    terms = {
        t["name"]: t for t in (await client.get("/api/v1/terms", headers=admin)).json()["items"]
    }
    assert terms["Полугодие 2"]["number"] == 2  # numbered by their dates
    listed = next(
        y
        for y in (await client.get("/api/v1/years", headers=admin)).json()["items"]
        if y["id"] == year["id"]
    )
    gap_start = (middle - timedelta(days=9)).isoformat()
    assert listed["gaps"] == [{"start": gap_start, "end": (middle - timedelta(days=1)).isoformat()}]

    # Edit a term: close the gap; overlapping its neighbour is refused; close and reopen.
    term_one = f"/api/v1/terms/{first.json()['id']}"
    moved = await client.patch(
        term_one, json={"ends": (middle - timedelta(days=1)).isoformat()}, headers=admin
    )
    assert (
        moved.status_code == 200 and moved.json()["end"] == (middle - timedelta(days=1)).isoformat()
    )
    over = await client.patch(term_one, json={"end": middle.isoformat()}, headers=admin)
    assert over.status_code == 422 and _field(over) == "starts"
    closed = await client.patch(term_one, json={"closed": True, "name": "Первое"}, headers=admin)
    assert closed.json()["closed"] is True and closed.json()["name"] == "Первое"
    assert (
        await client.patch(term_one, json={"closed": False}, headers=teacher)
    ).status_code == 403

    # Edit the year: its terms must stay inside.
    year_path = f"/api/v1/years/{year['id']}"
    shrink = await client.patch(
        year_path, json={"ends": (end - timedelta(days=1)).isoformat()}, headers=admin
    )
    assert shrink.status_code == 422 and _field(shrink) == "ends"
    renamed = await client.patch(year_path, json={"name": "Следующий"}, headers=admin)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Следующий"

    # Another school's admin reaches none of it.
    async with app.state.sessionmaker() as session:
        school = await school_create(session, name="Другая", slug="other-years")
        other = User(
            school_id=school.id or 0, login="o.years", name="O", role=Role.admin, password_hash="-"
        )
        session.add(other)
        await session.commit()
        token = await api_token_create(session, user=other, label="tests")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/years", headers=headers)).json()["total"] == 0
    assert (await client.patch(year_path, json={"name": "Z"}, headers=headers)).status_code == 404
    assert (await client.patch(term_one, json={"closed": True}, headers=headers)).status_code == 404
    stray = {
        "year_id": year["id"],
        "name": "Z",
        "starts": start.isoformat(),
        "ends": start.isoformat(),
    }
    assert (await client.post("/api/v1/terms", json=stray, headers=headers)).status_code == 404
