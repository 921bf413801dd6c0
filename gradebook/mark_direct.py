"""A new mark written straight on the driver (:mod:`eschool.driver_tx`): the journal's most
frequent write, ``POST /api/v1/marks``, with the same statements as
:func:`gradebook.services.mark_give`'s way through the session — the slot with the pupil's
marks, the family to tell, their notifications, the mark and its history — and the same
checks, answer and delivery after the commit. Refused checks raise the same domain errors
(nothing is stored); when the driver refuses (SQLite busy, a constraint, a lost connection)
it answers None and the caller takes the session's way, which says why as it always did.

On SQLite it runs in one transaction, statement by statement. On PostgreSQL, where each
statement is a round trip, the three reads run on their own and the three inserts in one
statement (:func:`mark_write`: the notifications and the mark as CTEs, the history entry
taking the mark's new id), committed alone: all of it is stored or none, with no ``BEGIN``
and ``COMMIT`` around it (at READ COMMITTED a read sees the same inside a transaction as
outside one).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Insert, Select, bindparam, insert, select, true
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.driver_tx import DriverFailed, DriverTransaction, DriverWrites
from eschool.models import User
from eschool.notifications.models import Notification
from eschool.notifications.pending import Committed
from eschool.notifications.queries import FAMILY_RECIPIENTS, family_from_rows
from eschool.notifications.services import INSERT_NOTIFICATION, family_notice, notice_rows
from eschool.timeutil import utcnow
from gradebook.journal_checks import history_row, known_work_type, normalize, require_writable
from gradebook.mark_tally import PUPIL_TALLIES
from gradebook.models import HistoryEntry, Mark
from gradebook.notices import mark_notice
from gradebook.pupil_slot import (
    PUPIL_SLOT_TERM_MARK,
    PupilSlot,
    marks_params,
    marks_weighed,
    pupil_slot_from_rows,
    pupil_slot_params,
)


@dataclass(frozen=True)
class MarkAsked:
    """A new mark as asked for: who gives it to whom in which slot, and what."""

    actor: User
    pupil_id: int
    slot_id: int
    value: str | int | float
    work_type: str
    comment: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class NewMark:
    """A mark as written on the driver, for the answer: a mark's columns, with none of a
    model's instrumentation (making a detached :class:`Mark` cost more than its INSERT)."""

    id: int
    school_id: int
    slot_id: int
    pupil_id: int
    value: str
    work_type: str
    weight: float
    comment: str | None
    created_by: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    deleted_by: int | None


@dataclass(frozen=True, slots=True)
class MarkWritten:
    """A mark committed on the driver: the mark, the slot as read, the pupil's marks before
    it (value, weight: see :func:`gradebook.pupil_slot.marks_weighed`) and the notifications
    to deliver."""

    mark: NewMark
    slot: PupilSlot
    marks: tuple[tuple[str, float], ...]
    notifications: list[Committed]


INSERT_MARK = insert(Mark).returning(Mark.__table__.c.id)  # type: ignore[attr-defined]
INSERT_HISTORY = insert(HistoryEntry)
_NOTIFICATIONS = Notification.__table__  # type: ignore[attr-defined]
_MARKS = Mark.__table__  # type: ignore[attr-defined]
_HISTORY = HistoryEntry.__table__  # type: ignore[attr-defined]
_COLUMNS = tuple(column.key for column in INSERT_NOTIFICATION.table.c if column.key != "id")
_MARK_COLUMNS = tuple(column.key for column in _MARKS.c if column.key != "id")
# A history entry's columns but its id and the mark's id (the statement's own).
_HISTORY_COLUMNS = tuple(
    column.key for column in _HISTORY.c if column.key not in ("id", "entity_id")
)


@dataclass(frozen=True, slots=True)
class _Planned:
    """What the reads and checks decided: the slot and the pupil's marks as read, the mark's
    columns, its history entry's (but the mark's id) and the notifications' rows."""

    slot: PupilSlot
    marks: tuple[tuple[str, float], ...]
    mark: dict[str, Any]
    entry: dict[str, Any]
    notifications: list[dict[str, object]]


async def mark_on_driver(
    writes: DriverWrites, asked: MarkAsked, *, session: AsyncSession, receiver: object
) -> MarkWritten | None:
    """Write the mark on the driver (see the module; on PostgreSQL on a connection of
    ``writes``' own); None: take the session's way."""
    try:
        if writes.postgres:
            async with writes.statements() as statements:
                if statements is None:
                    return None
                planned = await _planned(statements, asked, receiver)
                mark_id, notifications = await _written_at_once(statements, planned)
        else:
            async with writes.transaction(session) as transaction:
                if transaction is None:
                    return None
                planned = await _planned(transaction, asked, receiver)
                mark_id, notifications = await _written_in_turn(transaction, planned)
    except DriverFailed:
        return None
    mark = NewMark(id=mark_id, **planned.mark)
    return MarkWritten(mark, planned.slot, planned.marks, notifications)


async def _planned(driver: DriverTransaction, asked: MarkAsked, receiver: object) -> _Planned:
    """The reads and checks of a new mark (a refused check raises its domain error), and the
    rows to write."""
    actor = asked.actor
    params = pupil_slot_params(
        actor=actor, slot_id=asked.slot_id, pupil_id=asked.pupil_id, work_type=asked.work_type
    )
    found = pupil_slot_from_rows(
        await driver.rows(PUPIL_SLOT_TERM_MARK, params),
        actor=actor,
        slot_id=asked.slot_id,
        work_type=asked.work_type,
        with_marks=True,
    )
    require_writable(found, actor=actor, reason=asked.reason)
    marks = marks_weighed(await driver.rows(PUPIL_TALLIES, marks_params(found, asked.pupil_id)))
    stored = normalize(found.scale, asked.value)
    code, weight = known_work_type(found.work_type, asked.work_type)
    family = family_from_rows(
        await driver.rows(
            FAMILY_RECIPIENTS,
            {"pupil_id": asked.pupil_id, "school_id": found.school_id, "kind": "mark"},
        )
    )
    title, values, url = mark_notice(
        slot=found, pupil_id=asked.pupil_id, value=stored, changed=False
    )
    notice = family_notice(family, pupil_id=asked.pupil_id, title=title, params=values, url=url)
    rows: list[dict[str, object]] = []
    if notice is not None:
        rows = notice_rows(
            school_id=found.school_id,
            kind="mark",
            notices=[notice],
            to=family[1:],
            receiver=receiver,
        )
    entry = history_row(
        actor=actor,
        entity="mark",
        entity_id=0,  # the mark's, once it has one
        pupil_id=asked.pupil_id,
        action="create",
        old=None,
        new=stored,
        reason=asked.reason,
    )
    row = mark_row(actor, asked, stored=stored, code=code, weight=weight, now=utcnow())
    return _Planned(found, marks, row, entry, rows)


async def _written_in_turn(
    transaction: DriverTransaction, planned: _Planned
) -> tuple[int, list[Committed]]:
    """The notifications, the mark and its history, a statement each (in ``transaction``):
    the mark's id and the notifications to deliver."""
    notifications = [
        Committed(int(id_), int(user_id), email_state)
        for id_, user_id, email_state in (
            await transaction.rows(*_notifications_insert(planned.notifications))
            if planned.notifications
            else []
        )
    ]
    ((mark_id,),) = await transaction.rows(INSERT_MARK, planned.mark)
    await transaction.rows(INSERT_HISTORY, {**planned.entry, "entity_id": mark_id})
    return mark_id, notifications


async def _written_at_once(
    statements: DriverTransaction, planned: _Planned
) -> tuple[int, list[Committed]]:
    """The notifications, the mark and its history in one statement (:func:`mark_write`),
    atomic on its own: the mark's id and the notifications to deliver."""
    values: dict[str, object] = {f"mark_{name}": planned.mark[name] for name in _MARK_COLUMNS}
    values.update((f"history_{name}", planned.entry[name]) for name in _HISTORY_COLUMNS)
    values.update(_numbered(planned.notifications))
    rows = await statements.rows(mark_write(len(planned.notifications)), values)
    notifications = [
        Committed(int(id_), int(user_id), email_state)
        for _mark_id, id_, user_id, email_state in (rows if planned.notifications else [])
    ]
    return rows[0][0], notifications


@functools.lru_cache(maxsize=16)
def mark_write(count: int) -> Select[Any]:
    """One statement writing a new mark, its history entry and ``count`` notifications
    (PostgreSQL: INSERTs as CTEs): a row per notification, of the mark's id and the
    notification's id, recipient and e-mail state (with no notification, one row of the
    mark's id alone). Its values are named ``mark_<column>``, ``history_<column>`` and, as
    :func:`_insert_of`'s, ``<column>_<n>``."""
    mark = (
        insert(_MARKS)
        .values({name: _value(_MARKS, name, "mark_") for name in _MARK_COLUMNS})
        .returning(_MARKS.c.id)
        .cte("new_mark")
    )
    entry = insert(_HISTORY).from_select(
        [*_HISTORY_COLUMNS, "entity_id"],
        select(*(_value(_HISTORY, name, "history_") for name in _HISTORY_COLUMNS), mark.c.id),
    )
    if not count:
        return select(mark.c.id).add_cte(entry.cte("new_entry"))
    notified = _insert_of(count).cte("new_notifications")
    return (
        select(mark.c.id, notified.c.id, notified.c.user_id, notified.c.email_state)
        .select_from(mark.join(notified, true()))
        .add_cte(entry.cte("new_entry"))
    )


def _value(table: Any, name: str, prefix: str = "", suffix: str = "") -> BindParameter[Any]:
    """The value of ``table``'s column ``name``, bound as ``<prefix><name><suffix>`` in the
    column's type."""
    return bindparam(prefix + name + suffix, type_=table.c[name].type)


@functools.lru_cache(maxsize=16)
def _insert_of(count: int) -> Insert:
    """One INSERT of ``count`` notification rows, their columns named ``<column>_<n>``."""
    table = _NOTIFICATIONS
    rows = [{name: _value(table, name, suffix=f"_{n}") for name in _COLUMNS} for n in range(count)]
    return insert(table).values(rows).returning(table.c.id, table.c.user_id, table.c.email_state)


def _notifications_insert(rows: list[dict[str, object]]) -> tuple[Insert, dict[str, object]]:
    """The family's notification rows as one statement and its values (a family is one to a
    few people: a statement per size, compiled once)."""
    return _insert_of(len(rows)), _numbered(rows)


def _numbered(rows: list[dict[str, object]]) -> dict[str, object]:
    """The values of ``rows`` as :func:`_insert_of`'s statement names them."""
    keys = _numbered_keys(len(rows))
    return {key: rows[n][name] for key, n, name in keys}


@functools.lru_cache(maxsize=16)
def _numbered_keys(count: int) -> tuple[tuple[str, int, str], ...]:
    return tuple((f"{name}_{n}", n, name) for n in range(count) for name in _COLUMNS)


def mark_row(
    actor: User, asked: MarkAsked, *, stored: str, code: str, weight: float, now: Any
) -> dict[str, Any]:
    """The columns of a new mark."""
    return {
        "school_id": actor.school_id,
        "slot_id": asked.slot_id,
        "pupil_id": asked.pupil_id,
        "value": stored,
        "work_type": code,
        "weight": weight,
        "comment": (asked.comment or "").strip() or None,
        "created_by": actor.id or 0,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
        "deleted_by": None,
    }
