"""The pupils' mark tallies (gradebook.mark_tally) stay what counting their marks gives, through
every kind of write: marks given, changed in value and in work type, deleted; a slot moved to
another term by a writer that knows nothing of tallies; and the migration that builds them
from the marks stored."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from alembic import command
from sqlalchemy import Connection, text
from starlette.applications import Starlette

from eschool.migrate import alembic_config
from tests.gradebook.conftest import Gradebook

_COUNTED = text(
    "SELECT m.pupil_id, s.course_id, s.term_id, m.value, m.weight, count(*) "
    "FROM marks m JOIN slots s ON s.id = m.slot_id WHERE m.deleted_at IS NULL "
    "GROUP BY m.pupil_id, s.course_id, s.term_id, m.value, m.weight"
)
_KEPT = text(
    "SELECT pupil_id, course_id, term_id, value, weight, marks FROM mark_tallies WHERE marks <> 0"
)


async def _tallies(app: Starlette) -> tuple[Counter[Any], Counter[Any]]:
    """(what counting the marks gives, what the tallies hold), each as a Counter by key."""
    async with app.state.engine.connect() as connection:
        counted = (await connection.execute(_COUNTED)).all()
        kept = (await connection.execute(_KEPT)).all()
    return (
        Counter({tuple(row[:5]): row[5] for row in counted}),
        Counter({tuple(row[:5]): row[5] for row in kept}),
    )


async def _give(client: httpx.AsyncClient, headers: dict, **body: object) -> int:
    response = await client.post("/api/v1/marks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_tallies_follow_every_write_to_marks_and_slots(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher, teacher2 = await as_user("teacher"), await as_user("teacher2")
    pupil, classmate = gradebook.pupil("pupil"), gradebook.classmate()
    first, second = gradebook.recent_slots(gradebook.math_7a, 2)
    russian = gradebook.past_slot(gradebook.russian_7a)
    ids = [
        await _give(client, teacher, pupil_id=pupil.id, slot_id=first.id, value="5"),
        await _give(client, teacher, pupil_id=pupil.id, slot_id=first.id, value="5"),
        await _give(
            client, teacher, pupil_id=pupil.id, slot_id=second.id, value="4", work_type="test"
        ),
        await _give(client, teacher, pupil_id=classmate.id, slot_id=second.id, value="3"),
        await _give(client, teacher2, pupil_id=pupil.id, slot_id=russian.id, value="2"),
    ]
    counted, kept = await _tallies(app)
    assert kept == counted and sum(kept.values()) == 5

    changed = await client.patch(
        f"/api/v1/marks/{ids[0]}",
        json={"value": "3", "work_type": "test", "reason": "retaken"},
        headers=teacher,
    )
    assert changed.status_code == 200, changed.text
    deleted = await client.delete(f"/api/v1/marks/{ids[3]}?reason=mistake", headers=teacher)
    assert deleted.status_code == 200, deleted.text
    counted, kept = await _tallies(app)
    assert kept == counted and sum(kept.values()) == 4
    # The changed mark weighs as a test now (the default weight 2): its tally moved.
    assert (pupil.id, gradebook.math_7a, gradebook.term_id, "3", 2.0) in kept

    # A slot moved to another term by any writer (here plain SQL) takes its marks along.
    async with app.state.engine.begin() as connection:
        other_term = await connection.scalar(
            text("SELECT id FROM terms WHERE school_id = :school AND id <> :term LIMIT 1"),
            {"school": pupil.school_id, "term": gradebook.term_id},
        )
        assert other_term is not None
        await connection.execute(
            text("UPDATE slots SET term_id = :term WHERE id = :slot"),
            {"term": other_term, "slot": second.id},
        )
    counted, kept = await _tallies(app)
    assert kept == counted
    assert (pupil.id, gradebook.math_7a, other_term, "4", 2.0) in kept

    # The answer of the next mark counts exactly the marks left in the course's term.
    answer = await client.post(
        "/api/v1/marks",
        json={"pupil_id": pupil.id, "slot_id": first.id, "value": "4"},
        headers=teacher,
    )
    assert answer.status_code == 201, answer.text
    journal = await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=teacher)
    assert answer.json()["average"] == journal.json()["averages"][str(pupil.id)]


def _rebuild(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "gradebook_0007")
    command.upgrade(config, "heads")


async def test_the_migration_counts_the_marks_already_stored(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    slot = gradebook.past_slot(gradebook.math_7a)
    for pupil, value in ((gradebook.pupil("pupil"), "5"), (gradebook.classmate(), "2")):
        await _give(client, teacher, pupil_id=pupil.id, slot_id=slot.id, value=value)
        await _give(client, teacher, pupil_id=pupil.id, slot_id=slot.id, value=value)
    before = await _tallies(app)

    async with app.state.engine.begin() as connection:
        await connection.run_sync(_rebuild)

    counted, kept = await _tallies(app)
    assert kept == counted == before[0] and sum(kept.values()) == 4
    # The triggers are back: a mark given after the rebuild is counted.
    await _give(client, teacher, pupil_id=gradebook.classmate().id, slot_id=slot.id, value="2")
    counted, kept = await _tallies(app)
    assert kept == counted and sum(kept.values()) == 5
