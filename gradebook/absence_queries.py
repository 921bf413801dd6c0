"""Reads of absence notes (see :mod:`gradebook.absence_notes`): who may see which note,
the notes' wire form, the list and the file audience of their documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import children_ids, classes_taught
from eschool.errors import BadRequest, NotFound
from eschool.i18n import gettext as _
from eschool.models import Enrolment, Role, SchoolClass, User, id_from_text
from eschool.timeutil import iso
from eschool.uploads.queries import uploads_info
from gradebook.absence_models import AbsenceNotePublic, NoteActions, NoteUpload
from gradebook.models import ABSENCE_NOTE_STATUSES, AbsenceNote
from gradebook.ref_models import ClassRef, PersonRef

DECIDE, FAMILY, READ = "decide", "family", "read"

# --- who may do what ---------------------------------------------------------------------


@dataclass
class Viewer:
    """What the actor's relation to pupils and classes allows, looked up once."""

    actor: User
    tutor_of: set[int] = field(default_factory=set)  # classes the actor is form tutor of
    teaches: set[int] = field(default_factory=set)  # classes the actor teaches or tutors
    children: set[int] = field(default_factory=set)

    def access(self, note: AbsenceNote) -> str | None:
        """DECIDE, FAMILY, READ or None (the note does not exist for the actor)."""
        actor = self.actor
        if note.school_id != actor.school_id:
            return None
        if actor.role == Role.admin or note.class_id in self.tutor_of:
            return DECIDE
        if actor.role == Role.teacher:
            return READ if note.class_id in self.teaches else None
        if actor.role == Role.parent:
            return FAMILY if note.pupil_id in self.children else None
        if actor.role == Role.pupil and note.pupil_id == actor.id:
            return READ
        return None

    def may_withdraw(self, note: AbsenceNote) -> bool:
        """The family, or whoever reported the note, withdraws it while it waits."""
        return self.access(note) == FAMILY or note.reported_by == self.actor.id


async def viewer_of(session: AsyncSession, actor: User) -> Viewer:
    """The actor's tutorship, classes taught and children (as the role needs)."""
    viewer = Viewer(actor)
    if actor.role == Role.teacher:
        tutored = await session.exec(
            select(SchoolClass.id).where(
                SchoolClass.form_tutor_id == actor.id, SchoolClass.school_id == actor.school_id
            )
        )
        viewer.tutor_of = {row for row in tutored.all() if row is not None}
        viewer.teaches = await classes_taught(session, actor)
    elif actor.role == Role.parent:
        viewer.children = await children_ids(session, actor.id or 0)
    return viewer


# --- reads ---------------------------------------------------------------------------------


def _person(user: User | None) -> PersonRef | None:
    return None if user is None else PersonRef.model_validate(user)


def note_public(
    note: AbsenceNote,
    *,
    viewer: Viewer,
    people: dict[int, User],
    classes: dict[int, SchoolClass],
    files: dict[str, dict[str, Any]],
) -> AbsenceNotePublic:
    """The wire form of a note, with what the viewer may do with it (``can``)."""
    school_class = classes.get(note.class_id)
    sha = note.upload_sha256
    upload = None
    if sha:
        upload = NoteUpload(id=sha, url=f"/assets/{sha}", **files.get(sha, {}))
    waiting = note.status == "reported"
    return AbsenceNotePublic(
        id=note.id or 0,
        pupil_id=note.pupil_id,
        pupil=_person(people.get(note.pupil_id)),
        school_class=None if school_class is None else ClassRef.model_validate(school_class),
        starts=note.starts,
        ends=note.ends,
        periods=note.periods,
        reason=note.reason,
        upload=upload,
        status=note.status,
        reported_by=_person(people.get(note.reported_by)),
        reported_at=note.reported_at,
        decided_by=_person(people.get(note.decided_by or 0)),
        decided_at=note.decided_at,
        decision_reason=note.decision_reason,
        can=NoteActions(
            decide=waiting and viewer.access(note) == DECIDE,
            withdraw=waiting and viewer.may_withdraw(note),
        ),
    )


async def notes_public(
    session: AsyncSession, *, viewer: Viewer, notes: Sequence[AbsenceNote]
) -> list[AbsenceNotePublic]:
    """Wire forms of notes, with their people, classes and files in three statements."""
    ids = {n.pupil_id for n in notes} | {n.reported_by for n in notes}
    ids |= {n.decided_by for n in notes if n.decided_by}
    people = {}
    if ids:
        rows = await session.exec(select(User).where(col(User.id).in_(ids)))
        people = {u.id or 0: u for u in rows.all()}
    classes = {}
    if notes:
        rows_c = await session.exec(
            select(SchoolClass).where(col(SchoolClass.id).in_({n.class_id for n in notes}))
        )
        classes = {c.id or 0: c for c in rows_c.all()}
    files = await uploads_info(
        session,
        school_id=viewer.actor.school_id,
        shas=[n.upload_sha256 for n in notes if n.upload_sha256],
    )
    return [
        note_public(n, viewer=viewer, people=people, classes=classes, files=files) for n in notes
    ]


async def reportable_pupils(session: AsyncSession, *, viewer: Viewer) -> list[User]:
    """The pupils the page's form offers: a parent's children, the pupils a tutor tutors."""
    actor = viewer.actor
    if actor.role == Role.parent:
        ids = select(User.id).where(col(User.id).in_(viewer.children))
    elif viewer.tutor_of:
        ids = select(Enrolment.pupil_id).where(col(Enrolment.class_id).in_(viewer.tutor_of))
    else:
        return []
    rows = await session.exec(
        select(User)
        .where(col(User.id).in_(ids), User.school_id == actor.school_id, User.role == Role.pupil)
        .order_by(col(User.name), col(User.id))
    )
    return list(rows.all())


async def absence_note_get(
    session: AsyncSession, *, actor: User, note_id: int
) -> AbsenceNotePublic:
    """One note the actor may see (404 otherwise)."""
    viewer = await viewer_of(session, actor)
    note = await session.get(AbsenceNote, note_id)
    if note is None or viewer.access(note) is None:
        raise NotFound(_("No such absence note."))
    return (await notes_public(session, viewer=viewer, notes=[note]))[0]


async def absence_notes_list(
    session: AsyncSession,
    *,
    actor: User,
    pupil_id: int | None = None,
    status: str | None = None,
    class_ref: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[AbsenceNotePublic], int]:
    """The notes the actor may see, newest first: parents their children's, pupils their
    own, teachers those of the classes they teach or tutor, admins the school's.
    ``class_ref`` is a class id or name ("7A")."""
    if status is not None and status not in ABSENCE_NOTE_STATUSES:
        raise BadRequest(
            _("status is one of: {choices}.", choices=", ".join(ABSENCE_NOTE_STATUSES))
        )
    viewer = await viewer_of(session, actor)
    where: list[Any] = [AbsenceNote.school_id == actor.school_id]
    if actor.role == Role.teacher:
        where.append(col(AbsenceNote.class_id).in_(viewer.teaches))
    elif actor.role == Role.parent:
        where.append(col(AbsenceNote.pupil_id).in_(viewer.children))
    elif actor.role == Role.pupil:
        where.append(AbsenceNote.pupil_id == actor.id)
    elif actor.role != Role.admin:
        where.append(AbsenceNote.id == 0)
    if pupil_id is not None:
        where.append(AbsenceNote.pupil_id == pupil_id)
    if status is not None:
        where.append(AbsenceNote.status == status)
    if class_ref:
        ref = class_ref.strip()
        named = (
            SchoolClass.id == (id_from_text(ref) or 0)
            if ref.isdigit()
            else func.upper(SchoolClass.name) == ref.upper()
        )
        where.append(
            col(AbsenceNote.class_id).in_(
                select(SchoolClass.id).where(named, SchoolClass.school_id == actor.school_id)
            )
        )
    total = (await session.exec(select(func.count()).select_from(AbsenceNote).where(*where))).one()
    notes = (
        await session.exec(
            select(AbsenceNote)
            .where(*where)
            .order_by(col(AbsenceNote.starts).desc(), col(AbsenceNote.id).desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    ).all()
    return await notes_public(session, viewer=viewer, notes=list(notes)), int(total)


async def absence_document_visible(session: AsyncSession, actor: User, sha256: str) -> bool:
    """The file audience of notes: whoever may see a note may open its document."""
    notes = (
        await session.exec(
            select(AbsenceNote).where(
                AbsenceNote.upload_sha256 == sha256, AbsenceNote.school_id == actor.school_id
            )
        )
    ).all()
    if not notes:
        return False
    viewer = await viewer_of(session, actor)
    return any(viewer.access(note) is not None for note in notes)


async def absence_notes_export(session: AsyncSession, *, pupil_id: int) -> list[dict[str, Any]]:
    """The pupil's notes for the privacy export (who reported and decided, by name)."""
    notes = (
        await session.exec(
            select(AbsenceNote)
            .where(AbsenceNote.pupil_id == pupil_id)
            .order_by(col(AbsenceNote.starts), col(AbsenceNote.id))
        )
    ).all()
    ids = {n.reported_by for n in notes} | {n.decided_by for n in notes if n.decided_by}
    names = {}
    if ids:
        rows = await session.exec(select(User.id, User.name).where(col(User.id).in_(ids)))
        names = dict(rows.all())
    return [
        {
            "from": iso(note.starts),
            "to": iso(note.ends),
            "periods": note.periods,
            "reason": note.reason,
            "document": note.upload_sha256,
            "status": note.status,
            "reported_by": names.get(note.reported_by),
            "reported_at": iso(note.reported_at),
            "decided_by": names.get(note.decided_by or 0),
            "decided_at": iso(note.decided_at),
            "decision_reason": note.decision_reason,
        }
        for note in notes
    ]
