"""What a socket's admission reads of a running lesson, kept per process.

None of a lesson's row changes while it runs but its status, and a lesson that has ended is
refused by its room (its log is closed, in every process), so a copy read once serves every
join in this process; :func:`admission_forget` drops it when this process ends the lesson.
The lesson's content (``blocks``) and report are not kept: the room holds the content.
"""

from __future__ import annotations

import asyncio

from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.direct_read import DirectReads
from eschool.errors import NotFound
from live.models import LiveSession, SessionStatus
from live.queries import code_normalize, lesson_by_code

_ADMISSION: dict[str, LiveSession] = {}
_ADMISSION_MOST = 4_096
# A lesson being read for the joins that found no copy: the first reads it, those arriving
# meanwhile wait for its copy (a storm of joins to a new room reads the lesson once).
_READING: dict[str, asyncio.Lock] = {}


async def session_for_socket(
    session: AsyncSession,
    *,
    code: str,
    school_id: int | None = None,
    reads: DirectReads | None = None,
) -> LiveSession:
    """The running-or-ended session a socket asks for, as :func:`session_by_code` finds it
    (only ``school_id``'s with one), without its ``blocks`` and ``report``; a running one
    from this process's copy when it has one (see ``_ADMISSION``), else read straight on the
    driver with ``reads``. Read only: the object is shared by every join."""
    canonical = code_normalize(code)
    if canonical is None:
        raise NotFound("No live lesson has this code.", code="unknown_code")
    kept = _ADMISSION.get(canonical)
    if kept is None:
        kept = await _read_once(session, canonical, reads)
    if school_id is not None and kept.school_id != school_id:
        raise NotFound("No live lesson has this code.", code="unknown_code")
    return kept


async def _read_once(
    session: AsyncSession, canonical: str, reads: DirectReads | None
) -> LiveSession:
    """The lesson of a code, read by one join at a time; a running one is kept (a copy)."""
    lock = _READING.setdefault(canonical, asyncio.Lock())
    try:
        async with lock:
            kept = _ADMISSION.get(canonical)
            if kept is not None:  # read by the join before this one
                return kept
            live = await lesson_by_code(session, code=canonical, reads=reads)
            if live.status != SessionStatus.active:
                return live
            if len(_ADMISSION) >= _ADMISSION_MOST:
                _ADMISSION.clear()
            _ADMISSION[live.code] = live
            return live
    finally:
        if _READING.get(canonical) is lock and not lock.locked():
            del _READING[canonical]


def admission_forget(code: str) -> None:
    """Drop this process's copy of a lesson (it has ended)."""
    _ADMISSION.pop(code, None)
