"""Writes of notifications: storing them for their recipients, marking them read, a person's
channel per kind."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Invalid
from eschool.i18n import gettext as _
from eschool.models import User
from eschool.notifications.models import (
    CHANNELS,
    DEFAULT_CHANNEL,
    EMAIL_DIGEST,
    EMAIL_PENDING,
    KINDS,
    Notification,
    NotificationSetting,
)
from eschool.notifications.pending import DELIVERY_KEY, Committed, remember
from eschool.notifications.queries import family_recipients, recipients_of, settings_of
from eschool.timeutil import utcnow

MAX_PARAM_TEXT = 200


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification to store for its ``recipients`` (see :func:`notify`)."""

    recipients: Sequence[int]
    title: str
    url: str
    params: Mapping[str, str | int] | None = None
    pupil_id: int | None = None


async def notify(
    session: AsyncSession,
    *,
    school_id: int,
    kind: str,
    recipients: Iterable[int],
    title: str,
    params: Mapping[str, str | int] | None = None,
    url: str,
    pupil_id: int | None = None,
) -> None:
    """Store one notification per recipient in the caller's transaction (not committed here);
    after the caller commits, they are pushed live and e-mailed per each recipient's setting.

    Recipients outside ``school_id``, inactive ones and those who turned ``kind`` off get
    nothing. ``title`` is an English message id (marked for extraction by the caller) whose
    ``{placeholders}`` are filled from ``params`` in the reader's language when shown.
    """
    notice = Notice(list(recipients), title, url, params, pupil_id)
    await notify_many(session, school_id=school_id, kind=kind, notices=[notice])


async def notify_many(
    session: AsyncSession, *, school_id: int, kind: str, notices: Iterable[Notice]
) -> None:
    """:func:`notify` for many notices of one kind (e.g. one per pupil of a class, each to
    that pupil's family) in a fixed number of queries, however many there are."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    chosen = [notice for notice in notices if notice.recipients]
    wanted = sorted({int(user_id) for notice in chosen for user_id in notice.recipients})
    if not wanted:
        return
    addresses, channels = await recipients_of(
        session, user_ids=wanted, school_id=school_id, kind=kind
    )
    await _store(session, school_id=school_id, kind=kind, notices=chosen, to=(addresses, channels))


async def notify_family(
    session: AsyncSession,
    *,
    school_id: int,
    kind: str,
    pupil_id: int,
    title: str,
    params: Mapping[str, str | int],
    url: str,
) -> None:
    """:func:`notify` to the pupil and their linked parents (:func:`family_of`), the pupil's
    name given to the title as ``{pupil}``; in two statements (who, and the rows)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    family = await family_recipients(session, pupil_id=pupil_id, school_id=school_id, kind=kind)
    notice = family_notice(family, pupil_id=pupil_id, title=title, params=params, url=url)
    if notice is not None:
        await _store(session, school_id=school_id, kind=kind, notices=[notice], to=family[1:])


def family_notice(
    family: tuple[str, Mapping[int, str | None], Mapping[int, str]],
    *,
    pupil_id: int,
    title: str,
    params: Mapping[str, str | int],
    url: str,
) -> Notice | None:
    """The notice :func:`notify_family` stores for ``family`` (what
    :func:`eschool.notifications.queries.family_recipients` answers); None: nobody to tell."""
    name, addresses, _channels = family
    if not addresses:
        return None
    return Notice(list(addresses), title, url, {"pupil": name, **params}, pupil_id)


INSERT_NOTIFICATION = insert(Notification.__table__).returning(  # type: ignore[attr-defined]
    Notification.__table__.c.id,  # type: ignore[attr-defined]
    Notification.__table__.c.user_id,  # type: ignore[attr-defined]
    Notification.__table__.c.email_state,  # type: ignore[attr-defined]
)


async def _store(
    session: AsyncSession,
    *,
    school_id: int,
    kind: str,
    notices: Iterable[Notice],
    to: tuple[Mapping[int, str | None], Mapping[int, str]],
) -> None:
    """The rows of ``notices`` for those of their recipients in ``to`` (addresses, channels:
    see :func:`recipients_of`), inserted; delivered after the commit (see ``pending``)."""
    rows = notice_rows(
        school_id=school_id,
        kind=kind,
        notices=notices,
        to=to,
        receiver=session.sync_session.info.get(DELIVERY_KEY),
    )
    if not rows:
        return
    # One INSERT … RETURNING for all of them (batched by the driver), not one per row.
    connection = await session.connection()
    inserted = await connection.execute(INSERT_NOTIFICATION, rows)
    remember(session, [Committed(int(i), int(u), e) for i, u, e in inserted.all()])


def notice_rows(
    *,
    school_id: int,
    kind: str,
    notices: Iterable[Notice],
    to: tuple[Mapping[int, str | None], Mapping[int, str]],
    receiver: object,
) -> list[dict[str, object]]:
    """The ``notifications`` rows of ``notices`` for those of their recipients in ``to``
    (addresses, channels); ``receiver`` is the app's delivery (None outside the app)."""
    addresses, channels = to
    # A server without SMTP sends no e-mail: its rows wait in no outbox (a session made
    # outside the app — CLI, seed — cannot tell, and leaves the e-mail to the outbox).
    mail_on = receiver is None or getattr(receiver, "outbox", None) is not None
    now = utcnow()
    rows: list[dict[str, object]] = []
    for notice in notices:
        values = {
            str(name): value if isinstance(value, int) else str(value)[:MAX_PARAM_TEXT]
            for name, value in (notice.params or {}).items()
        }
        for user_id in sorted({int(user_id) for user_id in notice.recipients}):
            channel = channels.get(user_id, DEFAULT_CHANNEL)
            if user_id not in addresses or channel == "off":
                continue
            email_state = None
            if addresses[user_id] and mail_on:
                email_state = {"email": EMAIL_PENDING, "digest": EMAIL_DIGEST}.get(channel)
            rows.append(
                {
                    "school_id": school_id,
                    "user_id": user_id,
                    "kind": kind,
                    "title": notice.title[:300],
                    "params": values,
                    "url": notice.url[:500],
                    "pupil_id": notice.pupil_id,
                    "created_at": now,
                    "read_at": None,
                    "email_state": email_state,
                    "email_attempts": 0,
                    "email_next_at": now if email_state == EMAIL_PENDING else None,
                }
            )
    return rows


async def notifications_mark_read(
    session: AsyncSession, *, actor: User, ids: Iterable[int] = (), every: bool = False
) -> int:
    """Mark the actor's notifications read (``ids``, or ``every`` unread one); returns how many
    changed. Ids of another person's notifications are ignored."""
    where: list[ColumnElement[bool]] = [
        col(Notification.user_id) == actor.id,
        col(Notification.read_at).is_(None),
    ]
    if not every:
        chosen = list(ids)
        if not chosen:
            return 0
        where.append(col(Notification.id).in_(chosen))
    result = await session.exec(update(Notification).where(*where).values(read_at=utcnow()))
    await session.commit()
    return int(result.rowcount or 0)


async def notification_settings_set(
    session: AsyncSession, *, actor: User, chosen: Mapping[str, str]
) -> dict[str, str]:
    """Set the actor's channel for the kinds given (others keep theirs); returns them all.

    An unknown kind or channel is refused (:class:`Invalid`) and nothing changes.
    """
    for kind, channel in chosen.items():
        if kind not in KINDS:
            raise Invalid(_("There is no notification kind “{kind}”.", kind=kind[:40]))
        if channel not in CHANNELS:
            raise Invalid(_("A channel is one of: app, email, digest, off."))
    existing = await session.exec(
        select(NotificationSetting).where(NotificationSetting.user_id == actor.id)
    )
    by_kind = {row.kind: row for row in existing.all()}
    for kind, channel in chosen.items():
        row = by_kind.get(kind)
        if row is None:
            session.add(
                NotificationSetting(
                    school_id=actor.school_id, user_id=actor.id or 0, kind=kind, channel=channel
                )
            )
        else:
            row.channel = channel
            session.add(row)
    await session.commit()
    return await settings_of(session, user_id=actor.id or 0)


async def notifications_purge(session: AsyncSession, *, before: datetime) -> int:
    """Delete every notification made before ``before`` (the daily work keeps a year)."""
    result = await session.exec(delete(Notification).where(col(Notification.created_at) < before))
    await session.commit()
    return int(result.rowcount or 0)
