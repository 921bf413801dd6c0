"""Absence notes: a family reports that a pupil will be (or was) away; the class tutor
accepts the note — the covered lessons become *excused* in the journal — or declines it.

Who may do what with a note (always within the actor's school; anything else is 404):
- a parent of the pupil reports, withdraws a ``reported`` note and reads;
- the form tutor of the note's class (the pupil's class when reported) and an admin report
  on the family's behalf, accept or decline, and read;
- a teacher of the pupil's class reads (a decision is 403); the pupil reads their own.

Accepting writes ``excused`` through :func:`gradebook.services.attendance_take` (with its
history, reason "absence note #id") for every existing slot the note covers whose pupil has
no record yet or is recorded ``absent``; ``present``, ``late``, ``ill`` and ``excused``
stay — the teacher saw the pupil, or wrote something more precise. Slots made later show
the note's cover in the journal (see :mod:`gradebook.absence_cover`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Conflict, Forbidden, Invalid, NotFound
from eschool.i18n import N_
from eschool.i18n import gettext as _
from eschool.models import Enrolment, Role, SchoolClass, Term, User
from eschool.notifications import family_of, notify
from eschool.timeutil import utcnow
from eschool.uploads.queries import upload_for
from gradebook import services
from gradebook.absence_cover import covers
from gradebook.absence_queries import DECIDE, Viewer, viewer_of
from gradebook.models import AbsenceNote, Attendance, Course, Slot

SPAN_DAYS = 30  # a note covers at most this many days
PAST_DAYS = 14  # and starts at most this many days ago
AHEAD_DAYS = 366  # and at most a year ahead
# Attendance an accepted note turns into `excused` (anything else was seen or said better).
EXCUSABLE = (None, "absent")
# One title per state, so that each is translated whole (eschool.notifications fills {name}).
TITLES = {
    "reported": N_("Absence note for {name}: reported"),
    "accepted": N_("Absence note for {name}: accepted"),
    "declined": N_("Absence note for {name}: declined"),
}
URL = "/absence-notes"


async def _school_pupil(session: AsyncSession, *, actor: User, pupil_id: int) -> User:
    pupil = await session.get(User, pupil_id)
    if pupil is None or pupil.school_id != actor.school_id or pupil.role != Role.pupil:
        raise NotFound(_("No such pupil."))
    return pupil


async def _pupil_classes(session: AsyncSession, pupil: User) -> list[SchoolClass]:
    """The pupil's classes, newest first."""
    rows = await session.exec(
        select(SchoolClass)
        .join(Enrolment, col(Enrolment.class_id) == SchoolClass.id)
        .where(Enrolment.pupil_id == pupil.id, SchoolClass.school_id == pupil.school_id)
        .order_by(col(SchoolClass.id).desc())
    )
    return list(rows.all())


async def _reporting_class(session: AsyncSession, *, viewer: Viewer, pupil: User) -> SchoolClass:
    """The class whose tutor will decide, if the actor may report for the pupil."""
    actor = viewer.actor
    classes = await _pupil_classes(session, pupil)
    if actor.role == Role.parent and pupil.id not in viewer.children:
        raise NotFound(_("No such pupil."))
    if actor.role == Role.pupil:
        if pupil.id != actor.id:
            raise NotFound(_("No such pupil."))
        raise Forbidden(_("A parent or the class tutor reports an absence."))
    if actor.role == Role.teacher:
        tutored = [c for c in classes if c.id in viewer.tutor_of]
        if tutored:
            return tutored[0]
        if {c.id for c in classes} & viewer.teaches:
            raise Forbidden(_("Only the class tutor reports an absence for the family."))
        raise NotFound(_("No such pupil."))
    if not classes:
        raise Invalid(_("The pupil is in no class."), code="no_class")
    return classes[0]


def check_dates(starts: date, ends: date, *, today: date) -> None:
    """Refuse a note's dates (422 ``invalid_dates``) unless from ≤ to, at most
    ``SPAN_DAYS`` days, from no more than ``PAST_DAYS`` days ago and within a year."""
    if starts > ends:
        message = _("The first day must not be after the last.")
    elif (ends - starts).days >= SPAN_DAYS:
        message = _("A note covers at most {days} days.", days=SPAN_DAYS)
    elif starts < today - timedelta(days=PAST_DAYS):
        message = _("A note may start at most {days} days ago.", days=PAST_DAYS)
    elif ends > today + timedelta(days=AHEAD_DAYS):
        message = _("A note may reach at most a year ahead.")
    else:
        return
    raise Invalid(message, code="invalid_dates")


# --- writes ---------------------------------------------------------------------------------


async def absence_note_report(
    session: AsyncSession,
    *,
    actor: User,
    pupil_id: int,
    starts: date,
    ends: date,
    periods: Sequence[int] | None,
    reason: str,
    upload_sha256: str | None,
    today: date,
) -> AbsenceNote:
    """Report an absence (a parent of the pupil, the class tutor or an admin) → ``reported``;
    the class tutor is notified. The document, if any, must be the actor's own upload."""
    viewer = await viewer_of(session, actor)
    pupil = await _school_pupil(session, actor=actor, pupil_id=pupil_id)
    school_class = await _reporting_class(session, viewer=viewer, pupil=pupil)
    check_dates(starts, ends, today=today)
    if upload_sha256 is not None:
        own = await upload_for(session, actor=actor, sha256=upload_sha256, audiences=())
        if own is None:
            raise Invalid(_("Upload the document first."), code="unknown_upload")
    note = AbsenceNote(
        school_id=actor.school_id,
        pupil_id=pupil_id,
        class_id=school_class.id or 0,
        starts=starts,
        ends=ends,
        periods=list(periods) if periods else None,
        reason=reason.strip(),
        upload_sha256=upload_sha256,
        reported_by=actor.id or 0,
    )
    session.add(note)
    await session.flush()
    tutor = school_class.form_tutor_id
    if tutor is not None and tutor != actor.id:
        await _notify(session, note=note, pupil=pupil, recipients=[tutor])
    await session.commit()
    return note


async def absence_note_decide(
    session: AsyncSession, *, actor: User, note_id: int, status: str, reason: str | None
) -> AbsenceNote:
    """Accept (→ the covered slots become ``excused``) or decline (with a reason) a reported
    note — the class tutor or an admin; or withdraw it — the family or its reporter. The
    family is told of a decision. 409 ``not_reported`` once the note is decided."""
    viewer = await viewer_of(session, actor)
    note = await session.get(AbsenceNote, note_id)
    access = viewer.access(note) if note is not None else None
    if note is None or access is None:
        raise NotFound(_("No such absence note."))
    if status in ("accepted", "declined"):
        if access != DECIDE:
            raise Forbidden(_("Only the class tutor or an administrator decides on a note."))
        if status == "declined" and not reason:
            raise Invalid(_("Say why the note is declined."), code="reason_required")
    elif status == "withdrawn":
        if not viewer.may_withdraw(note):
            raise Forbidden(_("Only the family withdraws its note."))
    else:
        raise Invalid(_("Unknown state {status}.", status=status[:20]))
    if note.status != "reported":
        raise Conflict(_("This note has been decided already."), code="not_reported")
    if status == "accepted":
        await _excuse(session, actor=actor, note=note)
    note.status = status
    note.decided_by, note.decided_at = actor.id, utcnow()
    note.decision_reason = reason
    session.add(note)
    await session.flush()
    if status in TITLES:
        pupil = await session.get(User, note.pupil_id)
        family = await family_of(session, pupil_id=note.pupil_id)
        await _notify(session, note=note, pupil=pupil, recipients=family)
    await session.commit()
    return note


async def _excuse(session: AsyncSession, *, actor: User, note: AbsenceNote) -> int:
    """Write ``excused`` for the note's covered slots (see the module docstring); returns how
    many. A closed term's slots are left to the admin, as everywhere in the journal."""
    rows = (
        await session.exec(
            select(Slot, Term.closed)
            .join(Course, col(Course.id) == Slot.course_id)
            .join(Term, col(Term.id) == Slot.term_id)
            .where(
                Course.class_id == note.class_id,
                Slot.school_id == note.school_id,
                col(Slot.date) >= note.starts,
                col(Slot.date) <= note.ends,
            )
            .order_by(col(Slot.date), col(Slot.period), col(Slot.id))
        )
    ).all()
    slots = [(s, closed) for s, closed in rows if covers(note, day=s.date, period=s.period)]
    recorded = dict(
        (
            await session.exec(
                select(Attendance.slot_id, Attendance.status).where(
                    Attendance.pupil_id == note.pupil_id,
                    col(Attendance.slot_id).in_([s.id for s, _c in slots]),
                )
            )
        ).all()
    )
    written = 0
    for slot, closed in slots:
        if (closed and actor.role != Role.admin) or recorded.get(slot.id or 0) not in EXCUSABLE:
            continue
        await services.attendance_take(
            session,
            actor=actor,
            pupil_id=note.pupil_id,
            slot_id=slot.id or 0,
            status="excused",
            reason=f"absence note #{note.id}",
            commit=False,
            tutor_excuses=True,  # the tutor's reach over the class comes from the note
        )
        written += 1
    return written


async def _notify(
    session: AsyncSession, *, note: AbsenceNote, pupil: User | None, recipients: Sequence[int]
) -> None:
    """Store the notifications in the note's transaction; they go out after its commit."""
    await notify(
        session,
        school_id=note.school_id,
        kind="absence_note",
        recipients=recipients,
        title=TITLES[note.status],
        params={"name": pupil.name if pupil else "", "note_id": note.id or 0},
        url=URL,
        pupil_id=note.pupil_id,
    )
