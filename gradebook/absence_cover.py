"""Which lesson slots an absence note covers, and the journal's view of the notes.

Kept apart from :mod:`gradebook.absence_notes` so that the journal query
(:func:`gradebook.journal_grid.journal_get`) can use it without importing the services.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gradebook.models import AbsenceNote, Slot

# The states in which a note covers its slots (a declined or withdrawn one covers nothing).
COVERING = ("reported", "accepted")


def covers(note: AbsenceNote, *, day: date, period: int) -> bool:
    """Whether the note covers the lesson at `period` on `day`."""
    if not note.starts <= day <= note.ends:
        return False
    return note.periods is None or period in note.periods


def covered_slot_ids(note: AbsenceNote, slots: Iterable[Slot]) -> list[int]:
    """The ids of `slots` the note covers, in the order given."""
    return [slot.id or 0 for slot in slots if covers(note, day=slot.date, period=slot.period)]


async def journal_absence_notes(
    session: AsyncSession, school_id: int, pupil_ids: Iterable[int], slots: Sequence[Slot]
) -> list[dict[str, Any]]:
    """`[{"id","pupil_id","slot_ids","status"}]`: the reported and accepted notes of the
    journal's pupils that cover at least one of its slots — one SQL statement whatever the
    number of pupils. Computed when read, so a slot created after a note was accepted shows
    as covered too."""
    pupils = set(pupil_ids)
    if not slots or not pupils:
        return []
    first = min(slot.date for slot in slots)
    last = max(slot.date for slot in slots)
    notes = (
        await session.exec(
            select(AbsenceNote)
            .where(
                AbsenceNote.school_id == school_id,
                col(AbsenceNote.pupil_id).in_(pupils),
                col(AbsenceNote.status).in_(COVERING),
                col(AbsenceNote.starts) <= last,
                col(AbsenceNote.ends) >= first,
            )
            .order_by(col(AbsenceNote.id))
        )
    ).all()
    found = []
    for note in notes:
        slot_ids = covered_slot_ids(note, slots)
        if slot_ids:
            found.append(
                {
                    "id": note.id,
                    "pupil_id": note.pupil_id,
                    "slot_ids": slot_ids,
                    "status": note.status,
                }
            )
    return found
