"""Observers' notes and scores: storing one, reading back one's own, and the lesson's feedback
for its teacher and the school's admins (docs/open-lessons.md).

A note is stamped with the time and the room's seq and slide when it arrived. Levels are
indexes into the criterion's levels (lowest first, 0-based); a score is ``level + 1`` and an
observer's score for a criterion is the latest level they gave it. Notes are never events of
the room: nothing here touches the log or the hub.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Forbidden, NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, User
from eschool.timeutil import iso, utcnow
from live.models import LiveNote, LiveSession
from live.public_models import (
    CriterionScorePublic,
    FeedbackPublic,
    NoteAuthorPublic,
    NotePublic,
    ObserverScorePublic,
    OwnNotesPublic,
    RubricSnapshotPublic,
    ScorerPublic,
)
from live.room import Actor
from live.rubrics import session_rubric

NOTES_PER_MINUTE = 20


class NoteRefused(Exception):
    """A note that cannot be stored: ``code`` is ``invalid`` or ``rate_limited``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class NoteInput:
    """What an observer sent, and where the room was when it arrived."""

    mid: str
    text: str
    criterion: str | None
    level: int | None
    seq: int
    slide: int


def author_key(actor: Actor) -> str:
    """An observer's key among a lesson's notes: a visitor's pass id or a user's id."""
    return str(actor.id)


def _seconds_between(start: datetime | None, moment: datetime) -> int | None:
    if start is None:
        return None
    if start.tzinfo is None:  # SQLite may hand back naive UTC
        start = start.replace(tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, int((moment - start).total_seconds()))


def note_public(note: LiveNote, *, started: datetime | None = None) -> NotePublic:
    """``{"id","at","offset","seq","slide","text","criterion","level","by"}``; ``offset``:
    seconds since the lesson started (``None`` when ``started`` is not given)."""
    return NotePublic(
        id=note.id or 0,
        at=iso(note.at) or "",
        offset=_seconds_between(started, note.at),
        seq=note.seq,
        slide=note.slide,
        text=note.text,
        criterion=note.criterion,
        level=note.level,
        by=NoteAuthorPublic(
            id=note.author_key,
            name=note.author_name,
            kind="staff" if note.author_id is not None else "guest",
        ),
    )


def rubric_snapshot(rubric: dict[str, Any] | None) -> RubricSnapshotPublic | None:
    """A lesson's rubric (:func:`live.rubrics.session_rubric`) as the API shows it."""
    return RubricSnapshotPublic.model_validate(rubric) if rubric is not None else None


def _check_against(rubric: dict[str, Any] | None, note: NoteInput) -> None:
    if note.criterion is None:
        return
    criteria = {c.get("id"): c for c in (rubric or {}).get("criteria", [])}
    criterion = criteria.get(note.criterion)
    if criterion is None:
        raise NoteRefused("invalid", _("This lesson's rubric has no such criterion."))
    if note.level is not None and note.level >= len(criterion.get("levels", [])):
        raise NoteRefused("invalid", _("This criterion has no such level."))


async def _stored(session: AsyncSession, *, live_id: int, key: str, mid: str) -> LiveNote | None:
    query = select(LiveNote).where(
        LiveNote.session_id == live_id, LiveNote.author_key == key, LiveNote.mid == mid
    )
    return (await session.exec(query)).first()


async def note_store(
    session: AsyncSession, *, live_id: int, actor: Actor, note: NoteInput
) -> LiveNote:
    """Store an observer's note (observers only; the same message id twice is stored once).

    Raises :class:`NoteRefused`: ``invalid`` for a criterion or level the lesson's rubric does
    not have, ``rate_limited`` past :data:`NOTES_PER_MINUTE` notes a minute by one author.
    """
    key = author_key(actor)
    earlier = await _stored(session, live_id=live_id, key=key, mid=note.mid)
    if earlier is not None:
        return earlier
    live = await session.get(LiveSession, live_id)
    if live is None:
        raise NoteRefused("invalid", _("No live lesson has this code."))
    _check_against(await session_rubric(session, live=live), note)
    since = utcnow() - timedelta(minutes=1)
    recent = (
        await session.exec(
            select(func.count())
            .select_from(LiveNote)
            .where(
                LiveNote.session_id == live_id,
                LiveNote.author_key == key,
                col(LiveNote.at) > since,
            )
        )
    ).one()
    if recent >= NOTES_PER_MINUTE:
        raise NoteRefused(
            "rate_limited",
            _("At most {count} notes a minute: wait a moment.", count=NOTES_PER_MINUTE),
        )
    row = LiveNote(
        session_id=live_id,
        author_key=key,
        author_id=actor.id if type(actor.id) is int else None,
        author_name=actor.name[:200],
        mid=note.mid,
        seq=note.seq,
        slide=note.slide,
        text=note.text.strip(),
        criterion=note.criterion,
        level=note.level,
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:  # the same message from a second connection, at the same moment
        await session.rollback()
        earlier = await _stored(session, live_id=live_id, key=key, mid=note.mid)
        if earlier is None:
            raise
        return earlier
    await session.refresh(row)
    return row


async def notes_of(
    session: AsyncSession, *, live_id: int, author: str | None = None
) -> list[LiveNote]:
    """A lesson's notes in the order they were written; only ``author``'s when given."""
    query = select(LiveNote).where(LiveNote.session_id == live_id)
    if author is not None:
        query = query.where(LiveNote.author_key == author)
    rows = await session.exec(query.order_by(col(LiveNote.at), col(LiveNote.id)))
    return list(rows.all())


def require_feedback_reader(actor: User, live: LiveSession) -> None:
    """The lesson's teacher and the school's admins read its feedback (404 across schools)."""
    if actor.school_id != live.school_id:
        raise NotFound(_("No live lesson has this code."), code="unknown_code")
    if actor.id != live.teacher_id and actor.role != Role.admin:
        raise Forbidden(_("Only the lesson's teacher and administrators read its feedback."))


def _scores(rubric: dict[str, Any] | None, notes: list[LiveNote]) -> list[CriterionScorePublic]:
    latest: dict[tuple[str, str], LiveNote] = {}
    for note in notes:  # in time order: a later level replaces an earlier one
        if note.criterion is not None and note.level is not None:
            latest[(note.criterion, note.author_key)] = note
    scores = []
    for criterion in (rubric or {}).get("criteria", []):
        levels = criterion.get("levels", [])
        given = [note for (cid, _key), note in latest.items() if cid == criterion.get("id")]
        by_observer = [
            ObserverScorePublic(
                by=ScorerPublic(id=note.author_key, name=note.author_name),
                level=note.level or 0,
                score=(note.level or 0) + 1,
                descriptor=levels[note.level]
                if note.level is not None and note.level < len(levels)
                else "",
            )
            for note in given
        ]
        values = [entry.score for entry in by_observer]
        scores.append(
            CriterionScorePublic(
                criterion=criterion.get("id"),
                title=criterion.get("title", ""),
                levels=len(levels),
                by_observer=by_observer,
                average=round(sum(values) / len(values), 2) if values else None,
            )
        )
    return scores


async def feedback_summary(session: AsyncSession, *, live: LiveSession) -> FeedbackPublic:
    """``{"rubric","scores","notes"}`` of a lesson, for a reader already allowed (the report
    page renders it with ``live/_feedback_summary.html``)."""
    rubric = await session_rubric(session, live=live)
    notes = await notes_of(session, live_id=live.id or 0)
    return FeedbackPublic(
        rubric=rubric_snapshot(rubric),
        scores=_scores(rubric, notes),
        notes=[note_public(note, started=live.started_at) for note in notes],
    )


async def feedback_get(session: AsyncSession, *, actor: User, live: LiveSession) -> FeedbackPublic:
    """``GET /api/v1/live/{code}/feedback``: the teacher's and the admins' read."""
    require_feedback_reader(actor, live)
    return await feedback_summary(session, live=live)


async def own_notes(session: AsyncSession, *, live: LiveSession, actor: Actor) -> OwnNotesPublic:
    """An observer's own notes and the lesson's rubric: ``{"rubric","items","total"}``."""
    if actor.role != "observer":
        raise Forbidden(_("Only observers keep notes here; the teacher reads the feedback."))
    notes = await notes_of(session, live_id=live.id or 0, author=author_key(actor))
    items = [note_public(note, started=live.started_at) for note in notes]
    rubric = rubric_snapshot(await session_rubric(session, live=live))
    return OwnNotesPublic(rubric=rubric, items=items, total=len(items))


def _criterion_line(rubric: RubricSnapshotPublic | None, note: NotePublic) -> tuple[str, str]:
    criteria = {c.id: c for c in (rubric.criteria if rubric is not None else [])}
    criterion = criteria.get(note.criterion or "")
    title = criterion.title if criterion is not None else note.criterion or ""
    levels = criterion.levels if criterion is not None else []
    level = note.level
    if level is None:
        return title, ""
    descriptor = levels[level] if level < len(levels) else ""
    return title, f"{level + 1}/{len(levels)} {descriptor}".strip()


def notes_csv(notes: OwnNotesPublic) -> str:
    """An observer's notes as CSV: time, seq, slide, criterion, level, text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "seq", "slide", "criterion", "level", "text"])
    for note in notes.items:
        title, level = _criterion_line(notes.rubric, note)
        writer.writerow([note.at, note.seq, note.slide + 1, title, level, note.text])
    return out.getvalue()


def notes_text(notes: OwnNotesPublic, *, title: str) -> str:
    """An observer's notes as plain text, one paragraph each."""
    lines = [title, ""]
    for note in notes.items:
        criterion, level = _criterion_line(notes.rubric, note)
        head = f"{note.at} · {_('Slide')} {note.slide + 1}"
        if criterion:
            head += f" · {criterion}" + (f": {level}" if level else "")
        lines.append(head)
        if note.text:
            lines.append(note.text)
        lines.append("")
    return "\n".join(lines)
