"""A school's bell times: when each period of the day starts and ends.

A school without its own bell times uses `timetable.DEFAULT_BELLS`. A timetable entry
takes its times from the bells when it is saved (`structure_services.timetable_set`), and a slot
from its entry when the slots are generated; so a change of the bells moves the entries
that followed the old bells, and the next generation of slots moves the lessons.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from pydantic import Field as WireField
from pydantic import field_validator
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import require_role
from eschool.errors import Invalid
from eschool.i18n import gettext as _
from eschool.models import Role, User, WireModel
from gradebook.models import BellTime, TimetableEntryRow
from gradebook.structure_models import BellTimePublic, BellTimesPublic
from gradebook.timetable import DEFAULT_BELLS
from gradebook.wire_fields import PERIOD_MAX, Period

__all__ = [
    "BellTimeIn",
    "BellTimesIn",
    "bell_times_public",
    "bell_times_set",
    "bells_effective",
    "bells_of_school",
]

Bells = dict[int, tuple[time, time]]


class BellTimeIn(WireModel):
    period: Period
    starts: time
    ends: time

    @field_validator("starts", "ends")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a time of day without a time zone, e.g. 08:30")
        return value.replace(second=0, microsecond=0)


class BellTimesIn(WireModel):
    periods: list[BellTimeIn] = WireField(max_length=PERIOD_MAX + 1)


async def bells_of_school(session: AsyncSession, *, school_id: int) -> Bells:
    """The school's own bell times, period → (starts, ends); empty when it has none."""
    rows = await session.exec(
        select(BellTime).where(BellTime.school_id == school_id).order_by(col(BellTime.period))
    )
    return {row.period: (row.starts, row.ends) for row in rows.all()}


async def bells_effective(session: AsyncSession, *, school_id: int) -> Bells:
    """The school's bell times, or the default ones when it has set none."""
    return await bells_of_school(session, school_id=school_id) or dict(DEFAULT_BELLS)


def bell_times_public(bells: Bells, *, default: bool) -> BellTimesPublic:
    """`{"periods":[{"period","starts","ends"}],"default"}` ("HH:MM" times)."""
    return BellTimesPublic(
        periods=[
            BellTimePublic(period=period, starts=f"{starts:%H:%M}", ends=f"{ends:%H:%M}")
            for period, (starts, ends) in sorted(bells.items())
        ],
        default=default,
    )


def _check(periods: Sequence[BellTimeIn]) -> None:
    """Rows in increasing period order, each ending after it starts and starting no earlier
    than the previous one ends; an Invalid names the first wrong row (1-based)."""
    previous: BellTimeIn | None = None
    for row, bell in enumerate(periods, start=1):
        where = {"row": row, "period": bell.period}
        if bell.starts >= bell.ends:
            raise Invalid(
                _(
                    "Row {row} (period {n}): a lesson must end after it starts.",
                    row=row,
                    n=bell.period,
                ),
                details={**where, "field": "ends"},
            )
        if previous is not None and bell.period <= previous.period:
            raise Invalid(
                _(
                    "Row {row}: periods go in increasing order, and period {n} comes after "
                    "period {prev}.",
                    row=row,
                    n=bell.period,
                    prev=previous.period,
                ),
                details={**where, "field": "period"},
            )
        if previous is not None and bell.starts < previous.ends:
            raise Invalid(
                _(
                    "Row {row} (period {n}) starts at {starts}, before period {prev} ends at "
                    "{ends}.",
                    row=row,
                    n=bell.period,
                    starts=bell.starts.strftime("%H:%M"),
                    prev=previous.period,
                    ends=previous.ends.strftime("%H:%M"),
                ),
                details={**where, "field": "starts"},
            )
        previous = bell


async def bell_times_set(
    session: AsyncSession, *, actor: User, periods: Sequence[BellTimeIn]
) -> tuple[Bells, int]:
    """Replace the school's bell times (admin); an empty list goes back to the defaults.

    Timetable entries whose times were their period's old bell times get the new ones
    (entries given their own times keep them); returns the new bells and how many entries
    moved. Slots move when they are next generated.
    """
    require_role(actor, Role.admin)
    _check(periods)
    school_id = actor.school_id
    old = await bells_effective(session, school_id=school_id)
    await session.exec(delete(BellTime).where(col(BellTime.school_id) == school_id))
    session.add_all(
        BellTime(school_id=school_id, period=p.period, starts=p.starts, ends=p.ends)
        for p in periods
    )
    new = {p.period: (p.starts, p.ends) for p in periods} or dict(DEFAULT_BELLS)
    moved = 0
    entries = await session.exec(
        select(TimetableEntryRow).where(TimetableEntryRow.school_id == school_id)
    )
    for entry in entries.all():
        times = new.get(entry.period)
        if (
            times
            and old.get(entry.period) == (entry.starts, entry.ends)
            and times != old[entry.period]
        ):
            entry.starts, entry.ends = times
            session.add(entry)
            moved += 1
    await session.commit()
    return new, moved
