"""A new mark written straight on the driver (:mod:`gradebook.mark_direct`): the same rows as
the session's way (the mark, its history, the family's notifications, delivered after the
commit; on PostgreSQL written by one statement), nothing stored when a check refuses, and
exactly one mark when the driver is busy or the database refuses the write half-way and the
session's way takes over."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import httpx
import pytest
from sqlmodel import col, func, select
from starlette.applications import Starlette

from eschool import driver_tx
from eschool.notifications.models import Notification
from eschool.notifications.queries import FAMILY_RECIPIENTS
from eschool.sqlite_direct import sqlite_file
from gradebook import mark_direct
from gradebook.journal_checks import history_row
from gradebook.mark_direct import INSERT_HISTORY, INSERT_MARK, mark_write
from gradebook.mark_tally import PUPIL_TALLIES
from gradebook.models import HistoryEntry, Mark
from gradebook.pupil_slot import PUPIL_SLOT_TERM_MARK
from tests.gradebook.conftest import Gradebook, close_term


async def _counts(app: Starlette, pupil_id: int) -> tuple[int, int, int]:
    """Marks of the pupil, their history entries, and mark notifications about the pupil."""
    async with app.state.sessionmaker() as session:
        marks = (await session.exec(select(func.count()).where(Mark.pupil_id == pupil_id))).one()
        history = (
            await session.exec(
                select(func.count()).where(
                    HistoryEntry.entity == "mark", HistoryEntry.pupil_id == pupil_id
                )
            )
        ).one()
        notes = (
            await session.exec(
                select(func.count()).where(
                    Notification.kind == "mark", col(Notification.pupil_id) == pupil_id
                )
            )
        ).one()
    return marks, history, notes


def _mark(gradebook: Gradebook, pupil_id: int, value: str = "5") -> dict[str, Any]:
    slot = gradebook.past_slot(gradebook.math_7a)
    return {"pupil_id": pupil_id, "slot_id": slot.id, "value": value, "work_type": "classwork"}


def _statements_run(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The statements the driver's way runs from here on, in order."""
    run: list[Any] = []
    real_rows = driver_tx._Transaction.rows

    async def spied(self: Any, statement: Any, values: Any) -> Any:
        run.append(statement)
        return await real_rows(self, statement, values)

    monkeypatch.setattr(driver_tx._Transaction, "rows", spied)
    return run


async def test_a_mark_on_the_driver_is_whole_and_told_to_the_family(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, monkeypatch
) -> None:
    run = _statements_run(monkeypatch)
    pupil = gradebook.pupil("pupil")
    before = await _counts(app, pupil.id)
    answer = await client.post(
        "/api/v1/marks", json=_mark(gradebook, pupil.id, "4"), headers=await as_user("teacher")
    )
    assert answer.status_code == 201, answer.text
    reads = [PUPIL_SLOT_TERM_MARK, PUPIL_TALLIES, FAMILY_RECIPIENTS]
    if app.state.engine.dialect.name == "postgresql":  # the writes in one statement
        assert run == [*reads, mark_write(2)]
    else:
        assert run[:3] == reads and run[-2:] == [INSERT_MARK, INSERT_HISTORY]
    assert await _counts(app, pupil.id) == (before[0] + 1, before[1] + 1, before[2] + 2)
    history = await client.get(
        f"/api/v1/marks/{answer.json()['id']}/history", headers=await as_user("teacher")
    )
    assert [(e["action"], e["new"]) for e in history.json()] == [("create", "4")]
    parent_notes = await client.get("/api/v1/notifications", headers=await as_user("parent"))
    titles = [item["title"] for item in parent_notes.json()["items"]]
    assert any("4" in title and pupil.name in title for title in titles), titles


async def test_a_mark_nobody_is_told_of_is_written_alone(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, monkeypatch
) -> None:
    for login in ("pupil", "parent"):
        off = await client.put(
            "/api/v1/notification-settings", json={"mark": "off"}, headers=await as_user(login)
        )
        assert off.status_code == 200, off.text
    run = _statements_run(monkeypatch)
    pupil = gradebook.pupil("pupil")
    before = await _counts(app, pupil.id)
    answer = await client.post(
        "/api/v1/marks", json=_mark(gradebook, pupil.id), headers=await as_user("teacher")
    )
    assert answer.status_code == 201, answer.text
    last = mark_write(0) if app.state.engine.dialect.name == "postgresql" else INSERT_HISTORY
    assert run[-1] is last
    assert await _counts(app, pupil.id) == (before[0] + 1, before[1] + 1, before[2])


async def test_a_refused_mark_stores_nothing(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    before = await _counts(app, pupil.id)
    teacher = await as_user("teacher")
    off_scale = await client.post(
        "/api/v1/marks", json=_mark(gradebook, pupil.id, "9"), headers=teacher
    )
    assert off_scale.status_code == 422 and off_scale.json()["error"]["code"] == "out_of_scale"
    await close_term(app, gradebook.term_id)
    closed = await client.post("/api/v1/marks", json=_mark(gradebook, pupil.id), headers=teacher)
    assert closed.status_code == 403 and closed.json()["error"]["code"] == "term_closed"
    assert await _counts(app, pupil.id) == before


async def test_a_write_refused_half_way_leaves_one_mark(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, monkeypatch
) -> None:
    def no_action(**columns: Any) -> dict[str, Any]:
        return {**history_row(**columns), "action": None}  # NOT NULL: the database refuses

    # The driver's history entry only: written after (SQLite) or with (PostgreSQL) the
    # notifications and the mark, then refused.
    monkeypatch.setattr(mark_direct, "history_row", no_action)
    pupil = gradebook.pupil("pupil")
    before = await _counts(app, pupil.id)
    answer = await client.post(
        "/api/v1/marks", json=_mark(gradebook, pupil.id), headers=await as_user("teacher")
    )
    assert answer.status_code == 201, answer.text
    # Nothing of the driver's write kept; written once the session's way.
    assert await _counts(app, pupil.id) == (before[0] + 1, before[1] + 1, before[2] + 2)
    history = await client.get(
        f"/api/v1/marks/{answer.json()['id']}/history", headers=await as_user("teacher")
    )
    assert [e["action"] for e in history.json()] == ["create"]


async def test_a_busy_sqlite_database_is_waited_for(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    path = sqlite_file(app.state.settings.database_url)
    if path is None:
        pytest.skip("SQLite only: another process holding the database")
    pupil = gradebook.pupil("pupil")
    teacher = await as_user("teacher")
    before = await _counts(app, pupil.id)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        posting = asyncio.ensure_future(
            client.post("/api/v1/marks", json=_mark(gradebook, pupil.id), headers=teacher)
        )
        await asyncio.wait({posting}, timeout=0.3)
        assert not posting.done()  # the session's way waits for the other writer
        holder.execute("COMMIT")
        answer = await asyncio.wait_for(posting, timeout=30)
    finally:
        holder.close()
    assert answer.status_code == 201, answer.text
    assert await _counts(app, pupil.id) == (before[0] + 1, before[1] + 1, before[2] + 2)
