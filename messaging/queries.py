"""Reads of messaging: whom one may write to, one's threads with unread counts, a thread,
and the file audience of attachments. Never commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import children_ids, classes_taught, pupil_class_ids
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import ClassTeaching, Enrolment, Guardianship, Role, SchoolClass, User
from eschool.timeutil import iso
from eschool.uploads.queries import uploads_info
from messaging.models import (
    PREVIEW,
    AttachmentPublic,
    Broadcast,
    BroadcastSummaryPublic,
    ClassRefPublic,
    LastMessagePublic,
    Message,
    MessageAttachment,
    MessagePublic,
    PersonPublic,
    PupilRefPublic,
    RecipientGroupPublic,
    RecipientsPublic,
    Thread,
    ThreadDetailPublic,
    ThreadEntry,
    ThreadListPublic,
    ThreadParticipant,
    ThreadSummaryPublic,
)

STAFF_ROLES = (Role.admin, Role.teacher)
MAX_MESSAGES_SHOWN = 500


def person(user: User) -> PersonPublic:
    """A participant on the wire."""
    return PersonPublic.model_validate(user)


def _pupil_ref(pupil: User | None) -> PupilRefPublic | None:
    return PupilRefPublic(id=pupil.id or 0, name=pupil.name) if pupil else None


async def users_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, User]:
    """Users by id (any school: callers pass ids they already scoped)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = await session.exec(select(User).where(col(User.id).in_(wanted)))
    return {user.id or 0: user for user in rows.all()}


# --- who may write to whom -------------------------------------------------------------------


async def family_classes(session: AsyncSession, user: User) -> set[int]:
    """The classes of a pupil, or of a parent's children."""
    if user.role == Role.pupil:
        return await pupil_class_ids(session, user.id or 0)
    if user.role == Role.parent:
        kids = await children_ids(session, user.id or 0)
        if not kids:
            return set()
        rows = await session.exec(
            select(Enrolment.class_id).where(col(Enrolment.pupil_id).in_(kids))
        )
        return set(rows.all())
    return set()


async def family_of(session: AsyncSession, user: User) -> set[int]:
    """The children a family member stands for: a pupil themself, a parent's children."""
    if user.role == Role.pupil:
        return {user.id or 0}
    if user.role == Role.parent:
        return await children_ids(session, user.id or 0)
    return set()


async def _teachers_of_classes(session: AsyncSession, class_ids: set[int]) -> set[int]:
    if not class_ids:
        return set()
    teaching = await session.exec(
        select(ClassTeaching.teacher_id).where(col(ClassTeaching.class_id).in_(class_ids))
    )
    tutors = await session.exec(
        select(SchoolClass.form_tutor_id).where(col(SchoolClass.id).in_(class_ids))
    )
    return set(teaching.all()) | {t for t in tutors.all() if t}


async def _families_of_classes(session: AsyncSession, class_ids: set[int]) -> set[int]:
    """Pupils of the classes and their parents."""
    if not class_ids:
        return set()
    pupils = set(
        (
            await session.exec(
                select(Enrolment.pupil_id).where(col(Enrolment.class_id).in_(class_ids))
            )
        ).all()
    )
    if not pupils:
        return set()
    parents = await session.exec(
        select(Guardianship.parent_id).where(col(Guardianship.child_id).in_(pupils))
    )
    return pupils | set(parents.all())


async def allowed_recipient_ids(session: AsyncSession, actor: User) -> set[int]:
    """Whom the actor may write to (active people of their own school, never themself):

    - a parent or a pupil: the teachers who teach in the child's class and its form tutor;
    - a teacher: every member of staff, and the pupils and parents of the classes they teach
      or tutor;
    - an administrator: every member of staff.
    """
    ids: set[int] = set()
    if actor.role in (Role.parent, Role.pupil):
        ids = await _teachers_of_classes(session, await family_classes(session, actor))
    elif actor.role in STAFF_ROLES:
        staff = await session.exec(
            select(User.id).where(
                User.school_id == actor.school_id, col(User.role).in_(list(STAFF_ROLES))
            )
        )
        ids = {i for i in staff.all() if i}
        if actor.role == Role.teacher:
            ids |= await _families_of_classes(session, await classes_taught(session, actor))
    ids.discard(actor.id or 0)
    if not ids:
        return set()
    rows = await session.exec(
        select(User.id).where(
            col(User.id).in_(ids), User.school_id == actor.school_id, col(User.active).is_(True)
        )
    )
    return {i for i in rows.all() if i}


async def broadcast_classes(session: AsyncSession, actor: User) -> list[SchoolClass]:
    """The classes whose parents the actor may write to at once (the teachers who teach or
    tutor them)."""
    if actor.role != Role.teacher:
        return []
    ids = await classes_taught(session, actor)
    if not ids:
        return []
    rows = await session.exec(
        select(SchoolClass).where(col(SchoolClass.id).in_(ids)).order_by(SchoolClass.name)
    )
    return list(rows.all())


async def recipients(session: AsyncSession, actor: User) -> RecipientsPublic:
    """``GET /threads/recipients``: the people one may write to, grouped for a picker
    (staff, then each class's pupils and parents, or the teachers of one's children), and the
    classes whose parents one may write to at once."""
    allowed = await users_by_id(session, await allowed_recipient_ids(session, actor))
    groups: list[RecipientGroupPublic] = []
    placed: set[int] = set()

    def group(key: str, title: str, people: Iterable[User]) -> None:
        members = sorted((p for p in people if p.id not in placed), key=lambda p: p.name)
        if members:
            placed.update(p.id or 0 for p in members)
            shown = [person(p) for p in members]
            groups.append(RecipientGroupPublic(key=key, title=title, people=shown))

    if actor.role in (Role.parent, Role.pupil):
        class_ids = await family_classes(session, actor)
        classes = await _classes(session, class_ids)
        for school_class in classes:
            teachers = await _teachers_of_classes(session, {school_class.id or 0})
            group(
                f"class-{school_class.id}",
                _("Teachers of class {name}", name=school_class.name),
                (allowed[i] for i in teachers if i in allowed),
            )
    else:
        group("staff", _("Staff"), (u for u in allowed.values() if u.role in STAFF_ROLES))
        for school_class in await broadcast_classes(session, actor):
            members = await _families_of_classes(session, {school_class.id or 0})
            people = [allowed[i] for i in members if i in allowed]
            group(
                f"pupils-{school_class.id}",
                _("Pupils of {name}", name=school_class.name),
                (p for p in people if p.role == Role.pupil),
            )
            group(
                f"parents-{school_class.id}",
                _("Parents of {name}", name=school_class.name),
                (p for p in people if p.role == Role.parent),
            )
    to_parents = [
        ClassRefPublic(id=c.id or 0, name=c.name) for c in await broadcast_classes(session, actor)
    ]
    return RecipientsPublic(groups=groups, class_parents=to_parents)


async def _classes(session: AsyncSession, ids: set[int]) -> list[SchoolClass]:
    if not ids:
        return []
    rows = await session.exec(
        select(SchoolClass).where(col(SchoolClass.id).in_(ids)).order_by(SchoolClass.name)
    )
    return list(rows.all())


# --- threads ---------------------------------------------------------------------------------


@dataclass
class ThreadView:
    """A thread the actor takes part in."""

    thread: Thread
    me: ThreadParticipant
    participants: list[User] = field(default_factory=list)


async def thread_view(session: AsyncSession, *, actor: User, thread_id: int) -> ThreadView:
    """The thread, if the actor takes part in it; 404 otherwise (whoever asks)."""
    row = (
        await session.exec(
            select(Thread, ThreadParticipant)
            .join(ThreadParticipant, col(ThreadParticipant.thread_id) == Thread.id)
            .where(
                Thread.id == thread_id,
                Thread.school_id == actor.school_id,
                ThreadParticipant.user_id == actor.id,
            )
        )
    ).first()
    if row is None:
        raise NotFound(_("No such conversation."))
    thread, me = row
    people = await session.exec(
        select(User)
        .join(ThreadParticipant, col(ThreadParticipant.user_id) == User.id)
        .where(ThreadParticipant.thread_id == thread_id)
        .order_by(User.name)
    )
    return ThreadView(thread=thread, me=me, participants=list(people.all()))


async def unread_by_thread(
    session: AsyncSession, *, user_id: int, thread_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Unread messages (by others, after the last one read) per thread of the user."""
    query = (
        select(Message.thread_id, func.count(col(Message.id)))
        .join(
            ThreadParticipant,
            and_(
                col(ThreadParticipant.thread_id) == Message.thread_id,
                col(ThreadParticipant.user_id) == user_id,
            ),
        )
        .where(
            col(Message.id) > ThreadParticipant.last_read_id,
            col(Message.author_id) != user_id,
        )
        .group_by(col(Message.thread_id))
    )
    if thread_ids is not None:
        query = query.where(col(Message.thread_id).in_(list(thread_ids)))
    rows = await session.exec(query)
    return {thread_id: count for thread_id, count in rows.all()}


async def unread_total(session: AsyncSession, *, user: User) -> int:
    """All unread messages of the user."""
    return sum((await unread_by_thread(session, user_id=user.id or 0)).values())


async def _last_messages(session: AsyncSession, thread_ids: list[int]) -> dict[int, Message]:
    if not thread_ids:
        return {}
    latest = (
        select(func.max(col(Message.id)))
        .where(col(Message.thread_id).in_(thread_ids))
        .group_by(col(Message.thread_id))
    )
    rows = await session.exec(select(Message).where(col(Message.id).in_(latest)))
    return {m.thread_id: m for m in rows.all()}


async def _participants(session: AsyncSession, thread_ids: list[int]) -> dict[int, list[User]]:
    found: dict[int, list[User]] = {}
    if not thread_ids:
        return found
    rows = await session.exec(
        select(ThreadParticipant.thread_id, User)
        .join(User, col(User.id) == ThreadParticipant.user_id)
        .where(col(ThreadParticipant.thread_id).in_(thread_ids))
        .order_by(User.name)
    )
    for thread_id, user in rows.all():
        found.setdefault(thread_id, []).append(user)
    return found


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW else flat[: PREVIEW - 1] + "…"


async def threads_list(
    session: AsyncSession,
    *,
    actor: User,
    page: int = 1,
    per_page: int = 20,
    broadcast_id: int | None = None,
) -> ThreadListPublic:
    """The actor's threads, latest first, with unread counts. The family threads of the
    actor's own class broadcasts are grouped into one entry per broadcast (``kind``
    ``broadcast``); ``broadcast_id`` lists the threads of one of them instead."""
    query = (
        select(Thread)
        .join(ThreadParticipant, col(ThreadParticipant.thread_id) == Thread.id)
        .where(ThreadParticipant.user_id == actor.id, Thread.school_id == actor.school_id)
    )
    mine_sent: dict[int, Broadcast] = {}
    if broadcast_id is not None:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None or broadcast.created_by != actor.id:
            raise NotFound(_("No such conversation."))
        query = query.where(Thread.broadcast_id == broadcast_id)
    else:
        sent = await session.exec(select(Broadcast).where(Broadcast.created_by == actor.id))
        mine_sent = {b.id or 0: b for b in sent.all()}
    threads = list((await session.exec(query)).all())
    unread = await unread_by_thread(session, user_id=actor.id or 0)
    entries: list[dict[str, Any]] = []
    grouped: dict[int, dict[str, Any]] = {}
    for thread in threads:
        if thread.broadcast_id in mine_sent:
            entry = grouped.get(thread.broadcast_id or 0)
            if entry is None:
                entry = grouped[thread.broadcast_id or 0] = {
                    "kind": "broadcast",
                    "id": thread.broadcast_id,
                    "subject": thread.subject,
                    "threads": 0,
                    "unread": 0,
                    "last_at": thread.last_message_at,
                }
                entries.append(entry)
            entry["threads"] += 1
            entry["unread"] += unread.get(thread.id or 0, 0)
            entry["last_at"] = max(entry["last_at"], thread.last_message_at)
        else:
            entries.append({"kind": "thread", "thread": thread, "last_at": thread.last_message_at})
    entries.sort(key=lambda e: (e["last_at"], e["id"] if "id" in e else e["thread"].id))
    entries.reverse()
    total = len(entries)
    shown = entries[(page - 1) * per_page : page * per_page]
    ids = [e["thread"].id for e in shown if e["kind"] == "thread"]
    lasts = await _last_messages(session, ids)
    people = await _participants(session, ids)
    authors = await users_by_id(session, {m.author_id for m in lasts.values()})
    classes = {c.id: c for c in await _classes(session, {b.class_id for b in mine_sent.values()})}
    pupils = await users_by_id(session, {e["thread"].pupil_id for e in shown if "thread" in e})
    items: list[ThreadEntry] = []
    for entry in shown:
        if entry["kind"] == "broadcast":
            broadcast = mine_sent[entry["id"]]
            school_class = classes.get(broadcast.class_id)
            ref = (
                ClassRefPublic(id=broadcast.class_id, name=school_class.name)
                if school_class
                else None
            )
            summary = {**entry, "last_at": iso(entry["last_at"]), "class": ref}
            items.append(BroadcastSummaryPublic.model_validate(summary))
            continue
        thread = entry["thread"]
        last = lasts.get(thread.id or 0)
        author = authors.get(last.author_id) if last else None
        items.append(
            ThreadSummaryPublic(
                kind="thread",
                id=thread.id or 0,
                subject=thread.subject,
                participants=[person(u) for u in people.get(thread.id or 0, [])],
                pupil=_pupil_ref(pupils.get(thread.pupil_id or 0)),
                broadcast_id=thread.broadcast_id,
                unread=unread.get(thread.id or 0, 0),
                last_at=iso(thread.last_message_at) or "",
                last_message=LastMessagePublic(
                    author=person(author) if author else None,
                    text=_preview(last.text),
                    at=iso(last.created_at) or "",
                )
                if last
                else None,
            )
        )
    return ThreadListPublic(
        items=items, total=total, page=page, per_page=per_page, unread=sum(unread.values())
    )


async def thread_detail(session: AsyncSession, *, view: ThreadView) -> ThreadDetailPublic:
    """``GET /threads/{id}``: the thread with its messages (oldest first) and attachments;
    ``unread`` counts what was new to the actor before this read."""
    thread = view.thread
    messages = list(
        (
            await session.exec(
                select(Message)
                .where(Message.thread_id == thread.id)
                .order_by(col(Message.id).desc())
                .limit(MAX_MESSAGES_SHOWN)
            )
        ).all()
    )
    messages.reverse()
    attached: dict[int, list[str]] = {}
    if messages:
        rows = await session.exec(
            select(MessageAttachment)
            .where(col(MessageAttachment.message_id).in_([m.id for m in messages]))
            .order_by(col(MessageAttachment.id))
        )
        for row in rows.all():
            attached.setdefault(row.message_id, []).append(row.sha256)
    files = await uploads_info(
        session,
        school_id=thread.school_id,
        shas={sha for shas in attached.values() for sha in shas},
    )
    people = {u.id: u for u in view.participants if u.id is not None}
    missing = {m.author_id for m in messages} - set(people)
    people.update(await users_by_id(session, missing))
    pupil = await session.get(User, thread.pupil_id) if thread.pupil_id else None
    me = view.me
    return ThreadDetailPublic(
        id=thread.id or 0,
        subject=thread.subject,
        participants=[person(u) for u in view.participants],
        pupil=_pupil_ref(pupil),
        broadcast_id=thread.broadcast_id,
        created_by=thread.created_by,
        unread=sum(
            1 for m in messages if (m.id or 0) > me.last_read_id and m.author_id != me.user_id
        ),
        messages=[
            MessagePublic(
                id=m.id or 0,
                author=person(people[m.author_id]) if m.author_id in people else None,
                mine=m.author_id == me.user_id,
                text=m.text,
                at=iso(m.created_at) or "",
                attachments=[
                    AttachmentPublic(id=sha, url=f"/assets/{sha}", **files.get(sha, {}))
                    for sha in attached.get(m.id or 0, [])
                ],
            )
            for m in messages
        ],
    )


async def attachment_audience(session: AsyncSession, actor: User, sha256: str) -> bool:
    """File audience: the participants of a thread one of whose messages attaches the file."""
    row = (
        await session.exec(
            select(MessageAttachment.id)
            .join(Message, col(Message.id) == MessageAttachment.message_id)
            .join(Thread, col(Thread.id) == Message.thread_id)
            .join(ThreadParticipant, col(ThreadParticipant.thread_id) == Thread.id)
            .where(
                MessageAttachment.sha256 == sha256,
                ThreadParticipant.user_id == actor.id,
                Thread.school_id == actor.school_id,
            )
            .limit(1)
        )
    ).first()
    return row is not None
