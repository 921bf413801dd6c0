"""Live lessons' personal data: the rooms' event logs (who joined, answered, voted, wrote in
the chat), the reports and the recordings (see :mod:`eschool.privacy.registry` for the
contract)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import User
from eschool.privacy.queries import people_by_id
from eschool.privacy.registry import Erasure, PackageExport, PersonalTable
from eschool.settings import Settings
from eschool.timeutil import iso
from live.models import LiveEvent, LiveNote, LiveSession, SessionStatus

TABLES = (
    PersonalTable(
        "live_sessions",
        {
            "teacher_id": "the teacher who ran the lesson",
            "journal_by": "who wrote its marks into the journal",
            "report": "who came, each pupil's name and quiz score",
        },
        purpose="Live lessons and their reports (attendance and quiz results).",
        erasure=Erasure.anonymise,
        erasure_note="The pupil's name in reports becomes “Former pupil #N”; scores stay.",
    ),
    PersonalTable(
        "live_events",
        {
            "body": "each event of the room with its actor's id and name: joins, answers, "
            "votes, raised hands, strokes and chat messages",
        },
        purpose="The room's log: the lesson's state is rebuilt from it; replay and timeline.",
        erasure=Erasure.anonymise,
        erasure_note="In the pupil's events the name becomes “Former pupil #N”, chat "
        "messages and free-text answers are blanked.",
        retention="live_events",
    ),
    PersonalTable(
        "live_notes",
        {
            "author_id": "the member of staff who wrote the note (empty for a visitor)",
            "author_key": "the observer's id in the room (a visitor's pass id or a user id)",
            "author_name": "the observer's name as they joined",
            "text": "the observer's note on the lesson (may mention what happened in class)",
        },
        purpose="Visiting observers' notes and rubric scores on an open lesson (feedback).",
        erasure=Erasure.keep,
        erasure_note="Observers' notes are written by adults about the lesson, not a pupil's "
        "data; erasing a pupil leaves them.",
        retention="live_events",
    ),
)

RECORDINGS = "recordings"  # under the data dir: <code>/<file> (live.route_helpers.recordings_dir)


def _mentions(text: Any, pupil_id: int) -> Any:
    """A cheap SQL pre-filter: the JSON text names ``pupil_id`` (compact or spaced)."""
    return or_(
        *(
            text.like(f'%"{key}":{space}{pupil_id}%')
            for key in ("id", "pupil_id")
            for space in ("", " ")
        )
    )


def _is(value: Any, pupil_id: int) -> bool:
    return type(value) is int and value == pupil_id


def _by_pupil(event: dict[str, Any], pupil_id: int) -> bool:
    actor = event.get("actor")
    return isinstance(actor, dict) and _is(actor.get("id"), pupil_id)


async def _pupil_events(
    session: AsyncSession, *, pupil: User
) -> list[tuple[LiveEvent, dict[str, Any]]]:
    """The pupil's own events, in every live lesson of their school."""
    pupil_id = pupil.id or 0
    rows = await session.exec(
        select(LiveEvent)
        .join(LiveSession, col(LiveSession.id) == LiveEvent.session_id)
        .where(LiveSession.school_id == pupil.school_id, _mentions(col(LiveEvent.body), pupil_id))
        .order_by(col(LiveEvent.session_id), col(LiveEvent.seq))
    )
    found = []
    for row in rows.all():
        try:
            event = json.loads(row.body)
        except ValueError:
            continue
        if isinstance(event, dict) and _by_pupil(event, pupil_id):
            found.append((row, event))
    return found


async def _reported_sessions(session: AsyncSession, *, pupil: User) -> list[LiveSession]:
    """The live lessons of the school whose report may name the pupil."""
    rows = await session.exec(
        select(LiveSession).where(
            LiveSession.school_id == pupil.school_id,
            _mentions(cast(LiveSession.report, String), pupil.id or 0),
        )
    )
    return list(rows.all())


def _report_part(report: dict[str, Any] | None, pupil_id: int) -> dict[str, Any] | None:
    """What a report says about one pupil (nobody else)."""
    if not isinstance(report, dict):
        return None
    participant = next(
        (p for p in report.get("participants", []) if _is(p.get("id"), pupil_id)), None
    )
    attendance = next((a for a in report.get("attendance", []) if _is(a.get("id"), pupil_id)), None)
    quiz = [
        {"block_id": run.get("block_id"), "title": run.get("title"), "result": result}
        for run in report.get("quiz", [])
        for result in run.get("results", [])
        if _is(result.get("pupil_id"), pupil_id)
    ]
    proposed = next(
        (p for p in report.get("proposed", []) if _is(p.get("pupil_id"), pupil_id)), None
    )
    if participant is None and attendance is None and not quiz and proposed is None:
        return None
    return {
        "participant": participant,
        "attendance": attendance,
        "quiz": quiz,
        "proposed": proposed,
    }


async def export_pupil(session: AsyncSession, *, pupil: User, settings: Settings) -> PackageExport:
    """Every live lesson the pupil took part in: their own events (joins, answers, votes, chat
    messages…) and what the report says about them."""
    pupil_id = pupil.id or 0
    events: dict[int, list[dict[str, Any]]] = {}
    for row, event in await _pupil_events(session, pupil=pupil):
        events.setdefault(row.session_id, []).append(
            {
                "seq": row.seq,
                "type": event.get("type"),
                "at": event.get("at"),
                "data": event.get("data"),
            }
        )
    reports = {live.id or 0: live for live in await _reported_sessions(session, pupil=pupil)}
    ids = set(events) | set(reports)
    lives = list(
        (
            await session.exec(
                select(LiveSession)
                .where(col(LiveSession.id).in_(ids))
                .order_by(col(LiveSession.started_at), col(LiveSession.id))
            )
        ).all()
    )
    teachers = await people_by_id(session, {live.teacher_id for live in lives})
    sessions = []
    for live in lives:
        part = _report_part(live.report, pupil_id)
        if part is None and not events.get(live.id or 0):
            continue
        sessions.append(
            {
                "session_id": live.id,
                "code": live.code,
                "title": live.title,
                "teacher": teachers.get(live.teacher_id),
                "started_at": iso(live.started_at),
                "ended_at": iso(live.ended_at),
                "events": events.get(live.id or 0, []),
                "report": part,
            }
        )
    return PackageExport(data={"sessions": sessions})


def _anonymised_event(event: dict[str, Any], label: str) -> dict[str, Any]:
    """The pupil's event without their name, chat text or free-text answers."""
    event = {**event, "actor": {**event["actor"], "name": label}}
    data = event.get("data")
    if isinstance(data, dict):
        if event.get("type") == "chat.post" and "text" in data:
            data = {**data, "text": ""}  # an empty message: the room skips it on replay
        if event.get("type") == "quiz.answer" and isinstance(data.get("answers"), list):
            data = {
                **data,
                "answers": [None if isinstance(a, str) else a for a in data["answers"]],
            }
        event["data"] = data
    return event


def _anonymised_report(report: dict[str, Any], pupil_id: int, label: str) -> dict[str, Any]:
    def rename(entry: Any, key: str) -> Any:
        if isinstance(entry, dict) and _is(entry.get(key), pupil_id):
            return {**entry, "name": label}
        return entry

    report = dict(report)
    for section, key in (("participants", "id"), ("attendance", "id"), ("proposed", "pupil_id")):
        if isinstance(report.get(section), list):
            report[section] = [rename(entry, key) for entry in report[section]]
    if isinstance(report.get("quiz"), list):
        report["quiz"] = [
            {**run, "results": [rename(r, "pupil_id") for r in run.get("results", [])]}
            if isinstance(run, dict)
            else run
            for run in report["quiz"]
        ]
    return report


async def erase_pupil(session: AsyncSession, *, pupil: User, label: str) -> dict[str, int]:
    """Anonymise the pupil's events and their lines in reports; scores stay."""
    pupil_id = pupil.id or 0
    counts = {"live_events": 0, "live_sessions": 0}
    for row, event in await _pupil_events(session, pupil=pupil):
        row.body = json.dumps(
            _anonymised_event(event, label), ensure_ascii=False, separators=(",", ":")
        )
        session.add(row)
        counts["live_events"] += 1
    for live in await _reported_sessions(session, pupil=pupil):
        if isinstance(live.report, dict) and _report_part(live.report, pupil_id) is not None:
            live.report = _anonymised_report(live.report, pupil_id, label)
            session.add(live)
            counts["live_sessions"] += 1
    await session.flush()
    return counts


def _old_recordings(folders: list[Path], cutoff: datetime) -> int:
    """Delete the recordings in ``folders`` last written before ``cutoff`` (blocking I/O)."""
    removed = 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
                removed += 1
        if not any(folder.iterdir()):
            folder.rmdir()
    return removed


async def purge(
    session: AsyncSession, *, school_id: int, cutoffs: dict[str, datetime], settings: Settings
) -> dict[str, int]:
    """Delete the event logs (and observers' notes) of the school's lessons that ended before
    the cutoff, and recordings last written before theirs; reports stay."""
    counts: dict[str, int] = {}
    cutoff = cutoffs.get("live_events")
    if cutoff is not None:
        ended = select(LiveSession.id).where(
            LiveSession.school_id == school_id,
            LiveSession.status == SessionStatus.ended,
            col(LiveSession.ended_at) < cutoff,
        )
        result = await session.exec(delete(LiveEvent).where(col(LiveEvent.session_id).in_(ended)))
        counts["live_events"] = result.rowcount
        notes = await session.exec(delete(LiveNote).where(col(LiveNote.session_id).in_(ended)))
        counts["live_notes"] = notes.rowcount
    cutoff = cutoffs.get("recordings")
    root = settings.data_dir / RECORDINGS
    if cutoff is not None and root.is_dir():
        codes = [path.name for path in await asyncio.to_thread(lambda: list(root.iterdir()))]
        ours = await session.exec(
            select(LiveSession.code).where(
                LiveSession.school_id == school_id, col(LiveSession.code).in_(codes)
            )
        )
        folders = [root / code for code in ours.all()]
        counts["recordings"] = await asyncio.to_thread(_old_recordings, folders, cutoff)
    return counts
