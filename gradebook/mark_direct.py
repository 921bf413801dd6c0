"""A new mark written straight on the driver (:mod:`eschool.driver_tx`): the journal's most
frequent write, ``POST /api/v1/marks``, in one transaction of the same statements as
:func:`gradebook.services.mark_give`'s way through the session — the slot with the pupil's
marks, the family to tell, their notifications, the mark and its history — and the same
checks, answer and delivery after the commit. Refused checks raise the same domain errors
(nothing is stored); when the driver refuses (SQLite busy, a constraint, a lost connection)
it answers None and the caller takes the session's way, which says why as it always did.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, bindparam, insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.driver_tx import DriverFailed, DriverWrites
from eschool.models import User
from eschool.notifications.models import Notification
from eschool.notifications.pending import Committed
from eschool.notifications.queries import FAMILY_RECIPIENTS, family_from_rows
from eschool.notifications.services import INSERT_NOTIFICATION, family_notice, notice_rows
from eschool.timeutil import utcnow
from gradebook.journal_checks import history_row, known_work_type, normalize, require_writable
from gradebook.models import HistoryEntry, Mark
from gradebook.notices import mark_notice
from gradebook.pupil_slot import (
    PUPIL_MARKS,
    PUPIL_SLOT_TERM_MARK,
    marks_params,
    pupil_slot_from_rows,
    pupil_slot_params,
    with_marks_read,
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


@dataclass(frozen=True)
class MarkWritten:
    """A mark committed on the driver: the mark, the slot as read (with the pupil's marks
    before it) and the notifications to deliver."""

    mark: Mark
    slot: Any  # gradebook.pupil_slot.PupilSlot
    notifications: list[Committed]


INSERT_MARK = insert(Mark).returning(Mark.__table__.c.id)  # type: ignore[attr-defined]
INSERT_HISTORY = insert(HistoryEntry)
_COLUMNS = tuple(column.key for column in INSERT_NOTIFICATION.table.c if column.key != "id")


async def mark_on_driver(
    writes: DriverWrites, asked: MarkAsked, *, session: AsyncSession, receiver: object
) -> MarkWritten | None:
    """Write the mark on the driver (see the module; on PostgreSQL on ``session``'s
    connection); None: take the session's way."""
    try:
        async with writes.transaction(session) as transaction:
            if transaction is None:
                return None
            actor = asked.actor
            params = pupil_slot_params(
                actor=actor,
                slot_id=asked.slot_id,
                pupil_id=asked.pupil_id,
                work_type=asked.work_type,
            )
            found = pupil_slot_from_rows(
                await transaction.rows(PUPIL_SLOT_TERM_MARK, params),
                actor=actor,
                slot_id=asked.slot_id,
                work_type=asked.work_type,
                with_marks=True,
            )
            require_writable(found, actor=actor, reason=asked.reason)
            marks = await transaction.rows(PUPIL_MARKS, marks_params(found, asked.pupil_id))
            found = with_marks_read(found, marks)
            stored = normalize(found.scale, asked.value)
            code, weight = known_work_type(found.work_type, asked.work_type)
            family = family_from_rows(
                await transaction.rows(
                    FAMILY_RECIPIENTS,
                    {"pupil_id": asked.pupil_id, "school_id": found.school_id, "kind": "mark"},
                )
            )
            title, values, url = mark_notice(
                slot=found, pupil_id=asked.pupil_id, value=stored, changed=False
            )
            notice = family_notice(
                family, pupil_id=asked.pupil_id, title=title, params=values, url=url
            )
            rows: list[dict[str, object]] = []
            if notice is not None:
                rows = notice_rows(
                    school_id=found.school_id,
                    kind="mark",
                    notices=[notice],
                    to=family[1:],
                    receiver=receiver,
                )
            notifications = [
                Committed(int(id_), int(user_id), email_state)
                for id_, user_id, email_state in (
                    await transaction.rows(*_notifications_insert(rows)) if rows else []
                )
            ]
            now = utcnow()
            row = mark_row(actor, asked, stored=stored, code=code, weight=weight, now=now)
            ((mark_id,),) = await transaction.rows(INSERT_MARK, row)
            entry = history_row(
                actor=actor,
                entity="mark",
                entity_id=mark_id,
                pupil_id=asked.pupil_id,
                action="create",
                old=None,
                new=stored,
                reason=asked.reason,
            )
            await transaction.rows(INSERT_HISTORY, entry)
    except DriverFailed:
        return None
    # As a mark loaded and left its session: changed and added later, it is updated.
    mark = Mark(id=mark_id, **row)
    make_transient_to_detached(mark)
    return MarkWritten(mark, found, notifications)


@functools.lru_cache(maxsize=16)
def _insert_of(count: int) -> Insert:
    """One INSERT of ``count`` notification rows, their columns named ``<column>_<n>``."""
    table = Notification.__table__  # type: ignore[attr-defined]
    rows = [
        {name: bindparam(f"{name}_{n}", type_=table.c[name].type) for name in _COLUMNS}
        for n in range(count)
    ]
    return insert(table).values(rows).returning(table.c.id, table.c.user_id, table.c.email_state)


def _notifications_insert(rows: list[dict[str, object]]) -> tuple[Insert, dict[str, object]]:
    """The family's notification rows as one statement and its values (a family is one to a
    few people: a statement per size, compiled once)."""
    values = {f"{name}_{n}": row[name] for n, row in enumerate(rows) for name in _COLUMNS}
    return _insert_of(len(rows)), values


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
