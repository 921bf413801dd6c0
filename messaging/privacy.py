"""Messaging's personal data: conversations (who takes part, who wrote what, which child a
family's thread is about), class broadcasts and news (see :mod:`eschool.privacy.registry`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import User
from eschool.privacy.queries import people_by_id
from eschool.privacy.registry import Erasure, PackageExport, PersonalTable
from eschool.settings import Settings
from eschool.timeutil import iso
from messaging.models import Message, Thread, ThreadParticipant

ERASED_TEXT = "—"

TABLES = (
    PersonalTable(
        "threads",
        {
            "created_by": "who started the conversation",
            "pupil_id": "the child a family's conversation is about",
            "subject": "the subject (free text)",
        },
        purpose="Private conversations between families and staff, and among staff.",
        erasure=Erasure.anonymise,
        erasure_note="The link to the child is removed; the conversation stays for the others "
        "in it.",
    ),
    PersonalTable(
        "thread_participants",
        {"user_id": "who takes part", "last_read_id": "how far they have read"},
        purpose="Who may read a conversation, and its unread count.",
        erasure=Erasure.delete,
        erasure_note="The pupil leaves their conversations.",
    ),
    PersonalTable(
        "messages",
        {"author_id": "who wrote it", "text": "what they wrote (free text)"},
        purpose="What was said in a conversation.",
        erasure=Erasure.anonymise,
        erasure_note="The text of the pupil's own messages is cleared; the others' stay.",
    ),
    PersonalTable(
        "broadcasts",
        {"created_by": "the teacher who wrote to all parents of a class"},
        purpose="Groups the family conversations of one message to a class's parents.",
        erasure=Erasure.keep,
        erasure_note="Staff only: a pupil sends no broadcasts.",
    ),
    PersonalTable(
        "news",
        {"author_id": "who published it"},
        purpose="School and class announcements.",
        erasure=Erasure.keep,
        erasure_note="Staff only: a pupil publishes no news.",
    ),
)


def _about(pupil: User) -> ColumnElement[bool]:
    """Threads the pupil takes part in, or that are about them."""
    mine = select(ThreadParticipant.thread_id).where(ThreadParticipant.user_id == pupil.id)
    return or_(col(Thread.id).in_(mine), col(Thread.pupil_id) == pupil.id)


async def export_pupil(session: AsyncSession, *, pupil: User, settings: Settings) -> PackageExport:
    """The conversations the pupil takes part in or that are about them, with every message."""
    threads = list(
        (
            await session.exec(
                select(Thread)
                .where(Thread.school_id == pupil.school_id, _about(pupil))
                .order_by(col(Thread.id))
            )
        ).all()
    )
    messages: dict[int, list[Message]] = {}
    if threads:
        rows = await session.exec(
            select(Message)
            .where(col(Message.thread_id).in_([t.id for t in threads]))
            .order_by(col(Message.id))
        )
        for message in rows.all():
            messages.setdefault(message.thread_id, []).append(message)
    people = await people_by_id(
        session, {m.author_id for found in messages.values() for m in found}
    )
    return PackageExport(
        data={
            "conversations": [
                {
                    "id": thread.id,
                    "subject": thread.subject,
                    "about_pupil": thread.pupil_id == pupil.id,
                    "messages": [
                        {"from": people.get(m.author_id), "text": m.text, "at": iso(m.created_at)}
                        for m in messages.get(thread.id or 0, [])
                    ],
                }
                for thread in threads
            ]
        }
    )


async def erase_pupil(session: AsyncSession, *, pupil: User, label: str) -> dict[str, int]:
    """Clear the text of the pupil's messages, take them out of their conversations and
    unlink the family conversations about them (in the caller's transaction)."""
    counts = {"messages": 0, "thread_participants": 0, "threads": 0}
    for message in (await session.exec(select(Message).where(Message.author_id == pupil.id))).all():
        if message.text != ERASED_TEXT:
            message.text = ERASED_TEXT
            session.add(message)
            counts["messages"] += 1
    for thread in (await session.exec(select(Thread).where(Thread.pupil_id == pupil.id))).all():
        thread.pupil_id = None
        session.add(thread)
        counts["threads"] += 1
    result = await session.exec(
        delete(ThreadParticipant).where(col(ThreadParticipant.user_id) == pupil.id)
    )
    counts["thread_participants"] = result.rowcount or 0
    await session.flush()
    return counts
