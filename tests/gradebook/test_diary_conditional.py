"""Conditional GETs of the diary and its calendar feed (ETag, 304), the feed's host-independent
UIDs, its window (the whole current term) and its webcal:// link."""

from __future__ import annotations

from datetime import timedelta

import httpx
import icalendar
import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from starlette.applications import Starlette

from eschool.models import Role, Term
from gradebook import diary, diary_cache
from tests.gradebook.conftest import Gradebook


def _lessons(diary: dict) -> dict[int, dict]:
    return {lesson["slot_id"]: lesson for day in diary["days"] for lesson in day["lessons"]}


def _uids(calendar_text: str) -> set[str]:
    return {str(e["UID"]) for e in icalendar.Calendar.from_ical(calendar_text).walk("VEVENT")}


async def _feed_path(client: httpx.AsyncClient, pupil_id: int, parent: dict) -> str:
    created = await client.post(f"/api/v1/diary/{pupil_id}/feed", headers=parent)
    assert created.status_code == 201
    return "/feeds/" + created.json()["url"].rsplit("/feeds/", 1)[1]


async def test_diary_answers_304_until_a_new_mark(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    slot = gradebook.past_slot(gradebook.math_7a)
    parent, teacher = await as_user("parent"), await as_user("teacher")
    week = {"from": slot.date.isoformat(), "to": (slot.date + timedelta(days=6)).isoformat()}
    path = f"/api/v1/diary/{pupil.id}"
    first = await client.get(path, params=week, headers=parent)
    assert first.status_code == 200
    etag = first.headers["etag"]
    again = await client.get(path, params=week, headers={**parent, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    created = await client.post(
        "/api/v1/marks",
        json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 4, "work_type": "oral"},
        headers=teacher,
    )
    assert created.status_code == 201
    changed = await client.get(path, params=week, headers={**parent, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    marks = _lessons(changed.json())[slot.id]["marks"]
    assert [(m["value"], m["work_type_name"]) for m in marks] == [("4", "Oral answer")]


async def test_feed_answers_304_until_homework_changes(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    parent = await as_user("parent")
    path = await _feed_path(client, pupil.id, parent)
    first = await client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert (await client.get(path, headers={"If-None-Match": etag})).status_code == 304
    # The signed-in calendar is tagged the same way.
    signed_in = f"/api/v1/diary/{pupil.id}.ics"
    own = (await client.get(signed_in, headers=parent)).headers["etag"]
    assert (
        await client.get(signed_in, headers={**parent, "If-None-Match": own})
    ).status_code == 304
    slot = gradebook.past_slot(gradebook.math_7a)
    patched = await client.patch(
        f"/api/v1/slots/{slot.id}", json={"homework": "№ 512"}, headers=await as_user("teacher")
    )
    assert patched.status_code == 200
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "№ 512" in changed.text


async def test_feed_is_the_same_under_any_host(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    path = await _feed_path(client, pupil.id, await as_user("parent"))
    here = await client.get(path)
    elsewhere = await client.get(path, headers={"Host": "new-domain.example.org"})
    assert here.status_code == elsewhere.status_code == 200
    uids = _uids(here.text)
    assert uids and uids == _uids(elsewhere.text)
    assert all(uid.startswith("slot-") and uid.endswith("@eschool") for uid in uids)
    assert here.content == elsewhere.content


async def test_feed_covers_the_whole_current_term(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    async with app.state.sessionmaker() as session:
        term = (await session.exec(select(Term).where(Term.id == gradebook.term_id))).one()
    first_week = [
        slot
        for course in (gradebook.math_7a, gradebook.russian_7a)
        for slot in gradebook.slots[course]
        if term.starts <= slot.date < term.starts + timedelta(days=7)
    ]
    last = [gradebook.slots[gradebook.math_7a][-1]]
    assert first_week
    pupil = gradebook.pupil("pupil")
    path = await _feed_path(client, pupil.id, await as_user("parent"))
    uids = _uids((await client.get(path)).text)
    assert {f"slot-{slot.id}@eschool" for slot in first_week + last} <= uids
    # Only the pupil's lessons: none of 7B's.
    assert not {f"slot-{slot.id}@eschool" for slot in gradebook.slots[gradebook.math_7b]} & uids


async def test_new_link_comes_with_its_webcal_form(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    parent = await as_user("parent")
    link = (await client.post(f"/api/v1/diary/{pupil.id}/feed", headers=parent)).json()
    assert set(link) >= {"url", "webcal", "active"}
    assert link["url"].startswith("http://testserver/feeds/")
    assert link["webcal"] == "webcal://" + link["url"].removeprefix("http://")
    # The webcal address answers like the https one (calendar apps fetch it over http(s)).
    assert (await client.get(link["webcal"].removeprefix("webcal://testserver"))).status_code == 200
    page = await client.get("/diary", params={"pupil": pupil.id}, headers=parent)
    assert page.status_code == 200
    assert 'id="feed-webcal"' in page.text


async def test_feed_window_starts_with_the_term_whatever_the_day(
    app: Starlette, gradebook: Gradebook
) -> None:
    async with app.state.sessionmaker() as session:
        term = (await session.exec(select(Term).where(Term.id == gradebook.term_id))).one()
        later = min(term.starts + timedelta(days=45), term.ends)  # past the old 28 days
        for today in (term.starts, later, term.ends):
            start, end = await diary.feed_window(session, school_id=term.school_id, today=today)
            assert start == term.starts and end >= term.ends


_PLANNED = {
    "week": (diary.WEEK_BY_ROLE, ("slots", "marks", "attendance", "enrolments", "guardianships")),
    "version": (
        diary_cache.VERSION_BY_ROLE,
        ("enrolments", "courses", "journal_revisions", "guardianships"),
    ),
}


@pytest.mark.parametrize("query", sorted(_PLANNED))
async def test_week_query_uses_indexes(
    app: Starlette, gradebook: Gradebook, settings, query: str
) -> None:
    """The diary week, and the version read before it, read every table through an index,
    on both databases."""
    by_role, tables = _PLANNED[query]
    pupil = gradebook.pupil("pupil")
    statement = by_role[Role.parent].params(
        pupil_id=pupil.id,
        actor_id=pupil.id,
        school_id=pupil.school_id,
        start=gradebook.today,
        end=gradebook.today + timedelta(days=6),
    )
    on_postgres = settings.database_url.startswith("postgresql")
    dialect = postgresql.dialect() if on_postgres else sqlite.dialect()
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    async with app.state.engine.connect() as connection:
        if on_postgres:
            # With sequential scans priced out, a table without an index matching the query
            # still shows "Seq Scan": the plan tells whether the indexes exist, whatever the
            # data size.
            await connection.exec_driver_sql("SET enable_seqscan = off")
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        rows = (await connection.exec_driver_sql(explain + sql)).all()
    plan = "\n".join(str(row[-1]) for row in rows)
    for table in tables:
        if on_postgres:
            assert f"Seq Scan on {table}" not in plan, plan
        else:  # SQLite says SCAN for a full read, SEARCH … USING INDEX for an index
            assert f"SCAN {table}" not in plan and f"SEARCH {table} USING" in plan, plan
