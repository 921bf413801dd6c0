"""The gradebook's personal data: marks, attendance, term marks, their history, diary visits
and calendar feeds (see :mod:`eschool.privacy.registry` for the contract)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import Term, User
from eschool.privacy.queries import people_by_id
from eschool.privacy.registry import Erasure, PackageExport, PersonalTable
from eschool.settings import Settings
from eschool.timeutil import iso, utcnow
from gradebook.absence_queries import absence_notes_export
from gradebook.models import (
    AbsenceNote,
    Attendance,
    Course,
    DiaryFeed,
    DiaryVisit,
    HistoryEntry,
    Mark,
    Slot,
    Subject,
    TermMark,
)

TABLES = (
    PersonalTable(
        "course_teachers",
        {"teacher_id": "a teacher of the course"},
        purpose="Who keeps a course's journal.",
        erasure=Erasure.keep,
        erasure_note="Staff only: a pupil has no rows here.",
    ),
    PersonalTable(
        "marks",
        {
            "pupil_id": "whose mark",
            "value": "the mark",
            "comment": "the teacher's comment",
            "created_by": "the teacher who gave it",
            "deleted_by": "the teacher who deleted it",
        },
        purpose="The journal: the pupil's marks, their averages and term marks.",
        erasure=Erasure.keep,
        erasure_note="Kept for class statistics, pointing at the anonymised account; "
        "comments (free text that may name the pupil) are cleared.",
    ),
    PersonalTable(
        "mark_tallies",
        {"pupil_id": "whose marks", "value": "a mark", "marks": "how many of it in a term"},
        purpose="The journal: the pupil's marks counted by course, term and kind, for the "
        "average a new mark answers with (kept by the database from the marks).",
        erasure=Erasure.keep,
        erasure_note="Follows the marks, which are kept.",
    ),
    PersonalTable(
        "attendance",
        {"pupil_id": "whose attendance", "status": "present, absent, late…", "set_by": "who"},
        purpose="The journal: who was at each lesson.",
        erasure=Erasure.keep,
        erasure_note="Kept for class statistics, pointing at the anonymised account.",
    ),
    PersonalTable(
        "term_marks",
        {"pupil_id": "whose term mark", "value": "the term mark", "set_by": "who"},
        purpose="The journal: marks for a term.",
        erasure=Erasure.keep,
        erasure_note="Kept for class statistics, pointing at the anonymised account.",
    ),
    PersonalTable(
        "gradebook_history",
        {
            "pupil_id": "whose mark, attendance or term mark changed",
            "old": "the value before",
            "new": "the value after",
            "reason": "why it changed (free text)",
            "by_id": "who changed it",
        },
        purpose="Every change to a mark or attendance: who, when, old, new, why.",
        erasure=Erasure.anonymise,
        erasure_note="Values are kept; reasons and changed comments (free text) are cleared.",
    ),
    PersonalTable(
        "diary_visits",
        {"viewer_id": "who opened the diary", "pupil_id": "whose diary", "seen_at": "when"},
        purpose="“New since your last visit” in the diary.",
        erasure=Erasure.delete,
    ),
    PersonalTable(
        "diary_feeds",
        {"pupil_id": "whose timetable", "owner_id": "who made the calendar link"},
        purpose="Secret calendar links to a pupil's timetable (only a digest of the secret).",
        erasure=Erasure.anonymise,
        erasure_note="Every link to the pupil's timetable is revoked.",
    ),
    PersonalTable(
        "roster_sources",
        {
            "local_id": "the person (kind user) an imported roster record became",
            "sourced_id": "the school information system's id of that record",
        },
        purpose="Roster imports (OneRoster): which local record each imported record is, so "
        "that importing again updates instead of duplicating.",
        erasure=Erasure.keep,
        erasure_note="Kept, pointing at the anonymised account; remove the person from the "
        "school information system too, or its next import brings their name back.",
    ),
    PersonalTable(
        "absence_notes",
        {
            "pupil_id": "who is away",
            "reason": "why (free text from the family)",
            "upload_sha256": "a document, such as a doctor's note",
            "reported_by": "who reported it",
            "decided_by": "who accepted or declined it",
            "decision_reason": "why it was declined (free text)",
        },
        purpose="Absence notes: a family reports an absence, the class tutor excuses it.",
        erasure=Erasure.anonymise,
        erasure_note="Dates and states stay (excused attendance refers to them); reasons "
        "and the link to the document are cleared.",
    ),
)


def _change(entry: HistoryEntry, people: dict[int, Any]) -> dict[str, Any]:
    return {
        "at": iso(entry.at),
        "by": people.get(entry.by_id),
        "action": entry.action,
        "field": entry.field,
        "old": entry.old,
        "new": entry.new,
        "reason": entry.reason,
    }


async def export_pupil(session: AsyncSession, *, pupil: User, settings: Settings) -> PackageExport:
    """The pupil's marks (deleted ones too) with history, attendance, term marks, diary
    visits and calendar links (never a link's secret or digest)."""
    pupil_id = pupil.id or 0
    marks = list(
        (
            await session.exec(
                select(Mark, Slot, Subject)
                .join(Slot, col(Slot.id) == Mark.slot_id)
                .join(Course, col(Course.id) == Slot.course_id)
                .join(Subject, col(Subject.id) == Course.subject_id)
                .where(Mark.pupil_id == pupil_id)
                .order_by(col(Slot.date), col(Mark.id))
            )
        ).all()
    )
    attendance = list(
        (
            await session.exec(
                select(Attendance, Slot, Subject)
                .join(Slot, col(Slot.id) == Attendance.slot_id)
                .join(Course, col(Course.id) == Slot.course_id)
                .join(Subject, col(Subject.id) == Course.subject_id)
                .where(Attendance.pupil_id == pupil_id)
                .order_by(col(Slot.date), col(Slot.period))
            )
        ).all()
    )
    term_marks = list(
        (
            await session.exec(
                select(TermMark, Term, Subject)
                .join(Term, col(Term.id) == TermMark.term_id)
                .join(Course, col(Course.id) == TermMark.course_id)
                .join(Subject, col(Subject.id) == Course.subject_id)
                .where(TermMark.pupil_id == pupil_id)
                .order_by(col(Term.starts), col(Subject.name))
            )
        ).all()
    )
    history = list(
        (
            await session.exec(
                select(HistoryEntry)
                .where(HistoryEntry.pupil_id == pupil_id)
                .order_by(col(HistoryEntry.at), col(HistoryEntry.id))
            )
        ).all()
    )
    visits = list(
        (
            await session.exec(
                select(DiaryVisit).where(
                    or_(col(DiaryVisit.pupil_id) == pupil_id, col(DiaryVisit.viewer_id) == pupil_id)
                )
            )
        ).all()
    )
    feeds = list(
        (
            await session.exec(
                select(DiaryFeed)
                .where(
                    or_(col(DiaryFeed.pupil_id) == pupil_id, col(DiaryFeed.owner_id) == pupil_id)
                )
                .order_by(col(DiaryFeed.id))
            )
        ).all()
    )
    named: set[int | None] = {
        *(m.created_by for m, _s, _j in marks),
        *(a.set_by for a, _s, _j in attendance),
        *(t.set_by for t, _r, _j in term_marks),
        *(h.by_id for h in history),
        *(v.viewer_id for v in visits),
        *(f.owner_id for f in feeds),
    }
    people = await people_by_id(session, named)
    changes: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for entry in history:
        changes[(entry.entity, entry.entity_id)].append(_change(entry, people))
    data = {
        "marks": [
            {
                "id": mark.id,
                "date": iso(slot.date),
                "subject": subject.name,
                "value": mark.value,
                "work_type": mark.work_type,
                "weight": mark.weight,
                "comment": mark.comment,
                "by": people.get(mark.created_by),
                "created_at": iso(mark.created_at),
                "deleted_at": iso(mark.deleted_at),
                "history": changes.get(("mark", mark.id or 0), []),
            }
            for mark, slot, subject in marks
        ],
        "attendance": [
            {
                "date": iso(slot.date),
                "period": slot.period,
                "subject": subject.name,
                "status": record.status,
                "by": people.get(record.set_by),
                "history": changes.get(("attendance", record.id or 0), []),
            }
            for record, slot, subject in attendance
        ],
        "term_marks": [
            {
                "term": term.name,
                "year_id": term.year_id,
                "subject": subject.name,
                "value": record.value,
                "by": people.get(record.set_by),
                "updated_at": iso(record.updated_at),
                "history": changes.get(("term_mark", record.id or 0), []),
            }
            for record, term, subject in term_marks
        ],
        "diary_visits": [
            {
                "viewer": people.get(visit.viewer_id),
                "diary_of": "self" if visit.pupil_id == pupil_id else visit.pupil_id,
                "seen_at": iso(visit.seen_at),
            }
            for visit in visits
        ],
        "calendar_feeds": [
            {
                "owner": people.get(feed.owner_id),
                "created_at": iso(feed.created_at),
                "revoked_at": iso(feed.revoked_at),
            }
            for feed in feeds
            if feed.pupil_id == pupil_id
        ],
        "absence_notes": await absence_notes_export(session, pupil_id=pupil_id),
    }
    return PackageExport(data=data)


async def erase_pupil(session: AsyncSession, *, pupil: User, label: str) -> dict[str, int]:
    """Clear mark comments and free text in the history, forget diary visits, revoke the
    calendar links; marks, attendance and term marks stay (for class statistics)."""
    pupil_id = pupil.id or 0
    counts: dict[str, int] = {}
    result = await session.exec(
        update(Mark)
        .where(col(Mark.pupil_id) == pupil_id, col(Mark.comment).is_not(None))
        .values(comment=None)
    )
    counts["marks"] = result.rowcount
    mine = col(HistoryEntry.pupil_id) == pupil_id
    result = await session.exec(
        update(HistoryEntry)
        .where(mine, col(HistoryEntry.field) == "comment")
        .values(old=None, new=None)
    )
    cleared = result.rowcount
    result = await session.exec(
        update(HistoryEntry).where(mine, col(HistoryEntry.reason).is_not(None)).values(reason=None)
    )
    counts["gradebook_history"] = cleared + result.rowcount
    result = await session.exec(
        delete(DiaryVisit).where(
            or_(col(DiaryVisit.pupil_id) == pupil_id, col(DiaryVisit.viewer_id) == pupil_id)
        )
    )
    counts["diary_visits"] = result.rowcount
    result = await session.exec(
        update(DiaryFeed)
        .where(
            or_(col(DiaryFeed.pupil_id) == pupil_id, col(DiaryFeed.owner_id) == pupil_id),
            col(DiaryFeed.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    counts["diary_feeds"] = result.rowcount
    result = await session.exec(
        update(AbsenceNote)
        .where(col(AbsenceNote.pupil_id) == pupil_id)
        .values(reason="", decision_reason=None, upload_sha256=None)
    )
    counts["absence_notes"] = result.rowcount
    return counts
