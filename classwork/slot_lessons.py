"""A journal slot and the library lesson it teaches: linking one (pinned to its published
version) and showing it to everyone who may see the slot — pupils and parents included,
without answer keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from classwork.queries import blocks_shown, course_for
from eschool.errors import Invalid, NotFound
from eschool.i18n import gettext as _
from eschool.models import User
from eschool.uploads.queries import FileAudience, upload_for
from gradebook import slot_services
from gradebook.models import Slot
from gradebook.public import slot_public
from gradebook.queries import slot_get
from lessons.queries import lesson_in_school, may_read_versions, version_row


async def pinned_lesson(session: AsyncSession, *, actor: User, lesson_id: int) -> dict[str, Any]:
    """The latest published version of a library lesson the actor may use:
    ``{"lesson_id","version","title"}``; 404 when there is none for them."""
    lesson = await lesson_in_school(session, actor=actor, lesson_id=lesson_id)
    if lesson.version is None or not may_read_versions(actor, lesson):
        raise NotFound(_("No such published lesson in the library."))
    row = await version_row(session, lesson_id=lesson_id, number=lesson.version)
    return {"lesson_id": lesson.id, "version": row.number, "title": row.title}


async def _check_attachments(
    session: AsyncSession,
    *,
    actor: User,
    slot_id: int,
    wanted: list[str],
    audiences: Iterable[FileAudience],
) -> None:
    """A file newly attached to homework must be one the teacher may fetch themselves
    (their upload, or one they may see in use): knowing a colleague's file id is not enough."""
    view = await slot_get(session, actor=actor, slot_id=slot_id)
    for sha in set(wanted) - set(view.slot.attachments or []):
        if await upload_for(session, actor=actor, sha256=sha, audiences=audiences) is None:
            raise Invalid(
                _("Upload the file before attaching it: {name} is not one of yours.", name=sha),
                code="unknown_attachment",
            )


async def slot_update(
    session: AsyncSession,
    *,
    actor: User,
    slot_id: int,
    changes: dict[str, Any],
    audiences: Iterable[FileAudience] = (),
) -> dict[str, Any]:
    """Change a slot's topic, homework, attachments and library lesson (teacher of the
    course); a lesson is pinned to its current published version, a new attachment must be
    a file the teacher may fetch (``audiences``: the app's file audiences). The slot's wire
    form."""
    if changes.get("attachments"):
        await _check_attachments(
            session,
            actor=actor,
            slot_id=slot_id,
            wanted=list(changes["attachments"]),
            audiences=audiences,
        )
    lesson = None
    if changes.get("lesson_id") is not None:
        lesson = await pinned_lesson(session, actor=actor, lesson_id=int(changes["lesson_id"]))
    slot = await slot_services.slot_update(
        session, actor=actor, slot_id=slot_id, changes=changes, lesson=lesson
    )
    return slot_public(slot)


async def slot_lesson(session: AsyncSession, *, actor: User, slot_id: int) -> dict[str, Any]:
    """The lesson version a slot pinned, for whoever may see the slot's course (staff with
    keys; pupils of the class and their parents without); 404 otherwise."""
    slot = await session.get(Slot, slot_id)
    if slot is None or slot.school_id != actor.school_id or slot.lesson_id is None:
        raise NotFound(_("This lesson has no library lesson."))
    course = await course_for(session, actor=actor, course_id=slot.course_id)
    row = await version_row(session, lesson_id=slot.lesson_id, number=slot.lesson_version or 0)
    return {
        "slot": slot,
        "course": course,
        "lesson": row,
        "blocks": blocks_shown(list(row.blocks), with_keys=course.access is not None),
    }
