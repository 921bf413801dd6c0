"""Writes of messaging's threads: starting a thread (with people, or with every family of a
class at once), posting a message, reading a thread.

Every function checks who may do it, validates before writing (a refused request changes
nothing), notifies the other participants in the same transaction and commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Forbidden, Invalid, NotFound
from eschool.i18n import gettext as _
from eschool.models import Enrolment, Guardianship, Role, SchoolClass, User
from eschool.notifications import notify
from eschool.uploads.models import Upload
from messaging.models import (
    Broadcast,
    Message,
    MessageAttachment,
    MessageCreate,
    Thread,
    ThreadCreate,
    ThreadParticipant,
)
from messaging.queries import (
    ThreadView,
    allowed_recipient_ids,
    broadcast_classes,
    family_of,
    thread_view,
    users_by_id,
)

NEW_MESSAGE = "New message from {name}"  # the notification's title (translated when shown)


@dataclass
class Started:
    """What ``thread_create`` made: one thread, or a broadcast's family threads."""

    thread_ids: list[int]
    broadcast_id: int | None = None


async def _attachments(session: AsyncSession, *, actor: User, shas: list[str]) -> list[str]:
    """The attachments, each a file the actor uploaded in their school; 422 otherwise."""
    if not shas:
        return []
    rows = await session.exec(
        select(Upload.sha256).where(
            col(Upload.sha256).in_(shas),
            Upload.uploaded_by == actor.id,
            Upload.school_id == actor.school_id,
        )
    )
    if set(rows.all()) != set(shas):
        raise Invalid(_("An attachment must be a file you uploaded."), code="unknown_attachment")
    return shas


def _message(
    session: AsyncSession, *, thread: Thread, actor: User, text: str, shas: list[str]
) -> Message:
    message = Message(thread_id=thread.id or 0, author_id=actor.id or 0, text=text)
    session.add(message)
    thread.last_message_at = message.created_at
    session.add(thread)
    return message


async def _attach(session: AsyncSession, message: Message, shas: list[str]) -> None:
    await session.flush()
    session.add_all(MessageAttachment(message_id=message.id or 0, sha256=sha) for sha in shas)


async def _notify(
    session: AsyncSession, *, actor: User, thread_id: int, recipients: Iterable[int]
) -> None:
    await notify(
        session,
        school_id=actor.school_id,
        kind="message",
        recipients=[r for r in recipients if r != actor.id],
        title=NEW_MESSAGE,
        params={"name": actor.name},
        url=f"/messages/{thread_id}",
    )


async def _common_child(session: AsyncSession, people: Iterable[User]) -> int | bool | None:
    """The child every family member among ``people`` shares (``None`` when there are no
    family members or they share several; ``False`` when two families would meet)."""
    common: set[int] | None = None
    for member in people:
        if member.role not in (Role.parent, Role.pupil):
            continue
        family = await family_of(session, member)
        common = family if common is None else common & family
        if not common:
            return False
    if common is None or len(common) != 1:
        return None
    return next(iter(common))


async def _start(
    session: AsyncSession,
    *,
    actor: User,
    subject: str,
    text: str,
    shas: list[str],
    members: Iterable[int],
    pupil_id: int | None,
    broadcast_id: int | None = None,
) -> Thread:
    thread = Thread(
        school_id=actor.school_id,
        subject=subject,
        created_by=actor.id or 0,
        pupil_id=pupil_id,
        broadcast_id=broadcast_id,
    )
    session.add(thread)
    await session.flush()
    message = _message(session, thread=thread, actor=actor, text=text, shas=shas)
    await _attach(session, message, shas)
    for user_id in sorted(set(members) | {actor.id or 0}):
        read = (message.id or 0) if user_id == actor.id else 0
        session.add(ThreadParticipant(thread_id=thread.id or 0, user_id=user_id, last_read_id=read))
    await _notify(session, actor=actor, thread_id=thread.id or 0, recipients=members)
    return thread


async def thread_create(session: AsyncSession, *, actor: User, data: ThreadCreate) -> Started:
    """Start a thread with people one may write to (see ``allowed_recipient_ids``), or —
    ``class_parents``, for a teacher who teaches or tutors the class — one private thread per
    family of the class, grouped as a broadcast. Parents and pupils of two families never
    share a thread (403)."""
    shas = await _attachments(session, actor=actor, shas=data.attachments)
    if data.class_parents is not None:
        return await _broadcast(session, actor=actor, data=data, shas=shas)
    wanted = set(data.to or ())
    wanted.discard(actor.id or 0)
    if not wanted:
        raise Invalid(_("Choose whom to write to."), code="no_recipients")
    if wanted - await allowed_recipient_ids(session, actor):
        raise Forbidden(_("You may not write to some of these people."), code="not_allowed")
    people = await users_by_id(session, wanted)
    child = await _common_child(session, [actor, *people.values()])
    if child is False:
        raise Forbidden(
            _("Families get separate conversations: write to one family at a time."),
            code="families_apart",
        )
    thread = await _start(
        session,
        actor=actor,
        subject=data.subject,
        text=data.text,
        shas=shas,
        members=wanted,
        pupil_id=child or None,
    )
    await session.commit()
    return Started(thread_ids=[thread.id or 0])


async def _broadcast(
    session: AsyncSession, *, actor: User, data: ThreadCreate, shas: list[str]
) -> Started:
    class_id = data.class_parents or 0
    school_class = await session.get(SchoolClass, class_id)
    if school_class is None or school_class.school_id != actor.school_id:
        raise NotFound(_("No such class."))
    if class_id not in {c.id for c in await broadcast_classes(session, actor)}:
        raise Forbidden(
            _("Only the class's teachers write to all its parents."), code="not_allowed"
        )
    rows = await session.exec(
        select(Enrolment.pupil_id, Guardianship.parent_id)
        .join(Guardianship, col(Guardianship.child_id) == Enrolment.pupil_id)
        .join(User, col(User.id) == Guardianship.parent_id)
        .where(Enrolment.class_id == class_id, col(User.active).is_(True))
        .order_by(col(Enrolment.pupil_id), col(Guardianship.parent_id))
    )
    families: dict[int, set[int]] = {}
    for pupil_id, parent_id in rows.all():
        families.setdefault(pupil_id, set()).add(parent_id)
    if not families:
        raise Invalid(_("No parents are linked to the pupils of this class."), code="no_recipients")
    broadcast = Broadcast(
        school_id=actor.school_id,
        class_id=class_id,
        created_by=actor.id or 0,
        subject=data.subject,
    )
    session.add(broadcast)
    await session.flush()
    seen: set[frozenset[int]] = set()
    thread_ids = []
    for pupil_id, parents in families.items():
        key = frozenset(parents)
        if key in seen:  # twins: one thread for their parents
            continue
        seen.add(key)
        thread = await _start(
            session,
            actor=actor,
            subject=data.subject,
            text=data.text,
            shas=shas,
            members=parents,
            pupil_id=pupil_id,
            broadcast_id=broadcast.id,
        )
        thread_ids.append(thread.id or 0)
    await session.commit()
    return Started(thread_ids=thread_ids, broadcast_id=broadcast.id)


async def message_post(
    session: AsyncSession, *, actor: User, thread_id: int, data: MessageCreate
) -> Message:
    """Answer in a thread one takes part in (404 for anyone else)."""
    view = await thread_view(session, actor=actor, thread_id=thread_id)
    shas = await _attachments(session, actor=actor, shas=data.attachments)
    message = _message(session, thread=view.thread, actor=actor, text=data.text, shas=shas)
    await _attach(session, message, shas)
    view.me.last_read_id = message.id or 0
    session.add(view.me)
    await _notify(
        session,
        actor=actor,
        thread_id=thread_id,
        recipients=[u.id or 0 for u in view.participants],
    )
    await session.commit()
    return message


async def thread_mark_read(session: AsyncSession, *, view: ThreadView) -> None:
    """Everything in the thread is now read by the viewer."""
    latest = (
        await session.exec(
            select(Message.id)
            .where(Message.thread_id == view.thread.id)
            .order_by(col(Message.id).desc())
            .limit(1)
        )
    ).first()
    if latest is not None and latest > view.me.last_read_id:
        view.me.last_read_id = latest
        session.add(view.me)
        await session.commit()
