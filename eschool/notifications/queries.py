"""Reads of notifications: a person's list, unread count and settings; a pupil's family."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, func, true
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.db import flushed_connection
from eschool.models import Guardianship, Role, User
from eschool.notifications.models import (
    CHANNELS,
    DEFAULT_CHANNEL,
    KINDS,
    Notification,
    NotificationSetting,
)


async def family_of(session: AsyncSession, *, pupil_id: int) -> list[int]:
    """The pupil and each linked parent (never anyone else); [] when there is no such pupil."""
    pupil = await session.get(User, pupil_id)
    if pupil is None or pupil.role != Role.pupil:
        return []
    parents = await session.exec(
        select(Guardianship.parent_id)
        .where(Guardianship.child_id == pupil_id)
        .order_by(col(Guardianship.parent_id))
    )
    return [pupil_id, *parents.all()]


# The pupil's name and role, and each of their family (the pupil and their linked parents)
# who is an active person of the school, with their address and channel for the kind. Built
# once with parameters (building a statement costs more than running it). The family is a
# table of its own, found by id (the pupil's and the parents'), so that the database looks the
# few of them up by key rather than going through the school's people.
_PUPIL = aliased(User)
_PUPIL_ID = bindparam("pupil_id", type_=Integer)
_FAMILY = (
    select(User.id, User.email)
    .where(
        col(User.id).in_(
            select(_PUPIL_ID).union_all(
                select(Guardianship.parent_id).where(col(Guardianship.child_id) == _PUPIL_ID)
            )
        ),
        col(User.school_id) == bindparam("school_id"),
        col(User.active).is_(True),
    )
    .subquery("family")
)
_FAMILY_RECIPIENTS = (
    select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
        _PUPIL.name, _PUPIL.role, _FAMILY.c.id, _FAMILY.c.email, NotificationSetting.channel
    )
    .select_from(_PUPIL)
    .outerjoin(_FAMILY, true())
    .outerjoin(
        NotificationSetting,
        (col(NotificationSetting.user_id) == _FAMILY.c.id)
        & (col(NotificationSetting.kind) == bindparam("kind")),
    )
    .where(col(_PUPIL.id) == _PUPIL_ID)
)


async def family_recipients(
    session: AsyncSession, *, pupil_id: int, school_id: int, kind: str
) -> tuple[str, dict[int, str | None], dict[int, str]]:
    """The pupil's name and, of :func:`family_of`, what :func:`recipients_of` tells — in one
    query (``""`` and nobody: no such person; a name and nobody: not a pupil)."""
    params = {"pupil_id": pupil_id, "school_id": school_id, "kind": kind}
    connection = await flushed_connection(session)
    return family_from_rows((await connection.execute(_FAMILY_RECIPIENTS, params)).all())


# Public for writes made straight on the driver (gradebook.mark_direct), which run it
# themselves and read its rows with :func:`family_from_rows`.
FAMILY_RECIPIENTS = _FAMILY_RECIPIENTS


def family_from_rows(
    rows: Sequence[Sequence[Any]],
) -> tuple[str, dict[int, str | None], dict[int, str]]:
    """What :func:`family_recipients` answers, from the rows of its statement."""
    if not rows:
        return "", {}, {}
    name, role = rows[0][0], rows[0][1]
    addresses: dict[int, str | None] = {}
    channels: dict[int, str] = {}
    if role != Role.pupil:
        return name, addresses, channels
    for _name, _role, user_id, email, channel in rows:
        if user_id is None:
            continue
        addresses[user_id] = email
        if channel in CHANNELS:
            channels[user_id] = channel
    return name, addresses, channels


async def families_of(session: AsyncSession, *, pupil_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each pupil's family — the pupil and their linked parents, as :func:`family_of` — in one
    query; ids that are not pupils are left out."""
    wanted = sorted({int(pupil_id) for pupil_id in pupil_ids})
    if not wanted:
        return {}
    rows = await session.exec(
        select(User.id, Guardianship.parent_id)
        .outerjoin(Guardianship, col(Guardianship.child_id) == User.id)
        .where(col(User.id).in_(wanted), User.role == Role.pupil)
        .order_by(col(User.id), col(Guardianship.parent_id))
    )
    families: dict[int, list[int]] = {}
    for pupil_id, parent_id in rows.all():
        assert pupil_id is not None  # a selected row's primary key
        family = families.setdefault(pupil_id, [pupil_id])
        if parent_id is not None:
            family.append(parent_id)
    return families


async def recipients_of(
    session: AsyncSession, *, user_ids: Iterable[int], school_id: int, kind: str
) -> tuple[dict[int, str | None], dict[int, str]]:
    """Of ``user_ids``, the active people of the school with their e-mail address, and each
    one's chosen channel for ``kind`` (only those who chose one) — in one query."""
    rows = await session.exec(
        select(User.id, User.email, NotificationSetting.channel)
        .outerjoin(
            NotificationSetting,
            (col(NotificationSetting.user_id) == User.id) & (NotificationSetting.kind == kind),
        )
        .where(col(User.id).in_(list(user_ids)), User.school_id == school_id)
        .where(col(User.active).is_(True))
    )
    addresses: dict[int, str | None] = {}
    channels: dict[int, str] = {}
    for user_id, email, channel in rows.all():
        assert user_id is not None  # a selected row's primary key
        addresses[user_id] = email
        if channel in CHANNELS:
            channels[user_id] = channel
    return addresses, channels


async def settings_of(session: AsyncSession, *, user_id: int) -> dict[str, str]:
    """Every kind's channel for a person (the default where they chose none)."""
    rows = await session.exec(
        select(NotificationSetting.kind, NotificationSetting.channel).where(
            NotificationSetting.user_id == user_id
        )
    )
    chosen = dict(rows.all())
    return {kind: chosen.get(kind, DEFAULT_CHANNEL) for kind in KINDS}


async def unread_count(session: AsyncSession, *, user_id: int) -> int:
    """How many of a person's notifications are unread."""
    result = await session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
    )
    return int(result.one())


async def notifications_of(
    session: AsyncSession, *, user_id: int, unread_only: bool, page: int, per_page: int
) -> tuple[list[Notification], int]:
    """A page of a person's notifications, newest first, and how many there are in all."""
    where: list[ColumnElement[bool]] = [col(Notification.user_id) == user_id]
    if unread_only:
        where.append(col(Notification.read_at).is_(None))
    total = await session.exec(select(func.count()).select_from(Notification).where(*where))
    rows = await session.exec(
        select(Notification)
        .where(*where)
        .order_by(col(Notification.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows.all()), int(total.one())


async def notifications_by_id(
    session: AsyncSession, *, user_id: int, ids: Iterable[int]
) -> list[Notification]:
    """A person's notifications among ``ids`` (another person's are never returned)."""
    rows = await session.exec(
        select(Notification)
        .where(Notification.user_id == user_id, col(Notification.id).in_(list(ids)))
        .order_by(col(Notification.id))
    )
    return list(rows.all())
