"""Routes of the gradebook: the journal, marks, attendance and term marks over the API, their
history, the exports and the teacher's day; the journal's pages (journal_pages.py), the
structure API (structure_routes.py) and the diary (diary_routes.py) are joined into one
table here.

Thin: read the input, call one query or service, shape the answer. Each API endpoint
declares its operations (``eschool.api_schema``); the answers' models are in
gradebook/journal_models.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import Body, operation
from eschool.conditional import make_etag, not_modified, with_etag
from eschool.privacy.services import access_record
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    json_ok,
    path_int,
    read_json,
    read_query,
)
from gradebook import (
    absence_queries,
    absence_routes,
    history_queries,
    journal_grid,
    public,
    queries,
    services,
    timetable_pages,
)
from gradebook.diary_routes import routes as diary_routes
from gradebook.diary_versions import KeptVersions
from gradebook.exports import journal_csv, journal_xlsx
from gradebook.journal_models import (
    AttendanceHistoryQuery,
    AttendanceRecord,
    ClassAttendancePublic,
    ClassAttendanceQuery,
    HistoryEntryPublic,
    JournalCsvQuery,
    JournalPublic,
    MarkAnswer,
    MarkDeleteQuery,
    MyDayPublic,
    MyDayQuery,
    TermMarkAnswer,
    TermMarkHistoryQuery,
    TermQuery,
)
from gradebook.journal_pages import journal_rendered_of, journal_version_of
from gradebook.journal_pages import routes as journal_page_routes
from gradebook.mark_direct import NewMark
from gradebook.models import (
    AttendanceSet,
    Mark,
    MarkCreate,
    MarkUpdate,
    TermMarkSet,
    clean_reason,
)
from gradebook.rosters.routes import routes as roster_routes
from gradebook.route_helpers import STAFF, today_of
from gradebook.setup.routes import routes as setup_routes
from gradebook.structure_routes import routes as structure_routes
from gradebook.today import teacher_day

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = Body(
    "text/csv",
    "The journal as CSV (UTF-8 with a byte order mark, CRLF rows): a header block, then a row "
    "per pupil with a column per lesson and the average. Layout: docs/exports.md.",
    {"type": "string"},
)
XLSX = Body(XLSX_TYPE, "The journal as an XLSX workbook, laid out as the CSV (docs/exports.md).")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Register the gradebook's answers to the shell's questions."""
    # The shell serves a homework attachment to those who may see the slot.
    app.state.file_audiences.append(queries.attachment_visible)
    app.state.file_audiences.append(absence_queries.absence_document_visible)
    # The diary's versions, kept by the process on PostgreSQL (gradebook.diary_versions).
    kept = KeptVersions.for_engine(
        app.state.engine, max_age=app.state.settings.sign_in_keep_seconds
    )
    app.state.diary_versions = kept
    if kept is not None:
        kept.start()
    try:
        yield
    finally:
        if kept is not None:
            await kept.close()


async def _result_for(
    request: Request, *, course_id: int, term_id: int, pupil_id: int
) -> dict[str, Any]:
    """The pupil's average, suggested and given term mark after a change."""
    actor = acting_user(request)
    view = await queries.course_get(db(request), actor=actor, course_id=course_id)
    return await journal_grid.pupil_term_result(
        db(request),
        course_id=course_id,
        scale=view.course.scale,
        term_id=term_id,
        pupil_id=pupil_id,
        school_id=actor.school_id,
    )


async def _mark_answer(request: Request, mark_id: int) -> MarkAnswer:
    """A mark as the API returns it: with the pupil's average and (suggested) term mark."""
    session = db(request)
    actor = acting_user(request)
    mark = await session.get(Mark, mark_id)
    assert mark is not None  # the service has just written it
    view = await queries.slot_get(session, actor=actor, slot_id=mark.slot_id)
    result = await journal_grid.pupil_term_result(
        session,
        course_id=view.course.course.id or 0,
        scale=view.course.course.scale,
        term_id=view.term.id or 0,
        pupil_id=mark.pupil_id,
        school_id=actor.school_id,
    )
    return _mark_body(mark, result)


def _mark_body(mark: Mark | NewMark, result: dict[str, Any]) -> MarkAnswer:
    body = public.mark_public(mark)
    body["deleted"] = mark.deleted_at is not None
    body.update({key: result[key] for key in ("average", "suggested", "term_mark")})
    return MarkAnswer.model_validate(body)


async def _journal(request: Request, what: str, term_id: int | None) -> dict[str, Any]:
    """The journal built whole (for the exports), its read recorded."""
    journal = await journal_grid.journal_get(
        db(request),
        actor=acting_user(request),
        course_id=path_int(request, "id"),
        term_id=term_id,
        today=today_of(request),
    )
    await access_record(
        db(request),
        actor=acting_user(request),
        what=what,
        class_id=journal["course"]["class"]["id"],
        target_id=journal["course"]["id"],
        detail=f"term {journal['term']['id']}",
    )
    return journal


@api_endpoint(*STAFF)
@operation(
    "GET",
    "The journal of a course for a term",
    query=TermQuery,
    responses={200: JournalPublic, 304: None},
    roles=STAFF,
)
async def api_journal(request: Request) -> Response:
    """The journal of a course for `?term=` (default: the term containing today); 304 when
    the caller's `If-None-Match` names its current version."""
    version = await journal_version_of(request, read_query(request, TermQuery).term)
    etag = make_etag(*version.tag_parts(acting_user(request), "json"))
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    # Served as rendered once (gradebook.journal_cache), never rebuilt per request.
    rendered = await journal_rendered_of(request, version)
    return with_etag(Response(rendered.body, media_type="application/json"), etag)


def _export_name(journal: dict[str, Any], extension: str) -> str:
    # ASCII only: a class name may be Cyrillic, and header values are Latin-1
    return f"journal-{journal['course']['id']}-term-{journal['term']['number']}.{extension}"


@api_endpoint(*STAFF)
@operation("GET", "The journal as CSV", query=JournalCsvQuery, responses={200: CSV}, roles=STAFF)
async def api_journal_csv(request: Request) -> Response:
    """The journal as CSV (UTF-8 with BOM; `?delimiter=;` for semicolon spreadsheets)."""
    query = read_query(request, JournalCsvQuery)
    journal = await _journal(request, "journal.csv", query.term)
    return Response(
        journal_csv(journal, delimiter=query.delimiter or ","),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_export_name(journal, "csv")}"'},
    )


@api_endpoint(*STAFF)
@operation("GET", "The journal as XLSX", query=TermQuery, responses={200: XLSX}, roles=STAFF)
async def api_journal_xlsx(request: Request) -> Response:
    """The journal as an XLSX workbook."""
    journal = await _journal(request, "journal.xlsx", read_query(request, TermQuery).term)
    return Response(
        journal_xlsx(journal),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{_export_name(journal, "xlsx")}"'},
    )


@api_endpoint(*STAFF)
@operation("POST", "Give a mark", body=MarkCreate, responses={201: MarkAnswer}, roles=STAFF)
async def api_marks(request: Request) -> Response:
    """POST `{"pupil_id","slot_id","value","work_type","comment","reason"?}` → 201. A value
    outside the course's scale → 422; a closed term takes the administrator and a reason."""
    data = await read_json(request, MarkCreate)
    given = await services.mark_give(
        db(request),
        actor=acting_user(request),
        pupil_id=data.pupil_id,
        slot_id=data.slot_id,
        value=data.value,
        work_type=data.work_type,
        comment=data.comment,
        reason=data.reason,
        # The request's session wrote nothing yet: the mark may go straight on the driver.
        writes=getattr(request.app.state, "driver_writes", None),
        receiver=services.delivery_of(request.app.state.sessionmaker),
    )
    return json_ok(_mark_body(given.mark, given.result), status=201)


@api_endpoint(*STAFF)
@operation("PATCH", "Change a mark", body=MarkUpdate, responses={200: MarkAnswer}, roles=STAFF)
@operation(
    "DELETE",
    "Delete a mark (kept in its history)",
    query=MarkDeleteQuery,
    responses={200: MarkAnswer},
    roles=STAFF,
)
async def api_mark(request: Request) -> Response:
    """PATCH `{"value","work_type","comment","reason"}`; DELETE `?reason=` (soft: the answer
    is the mark with `deleted: true`)."""
    mark_id = path_int(request, "id")
    if request.method == "DELETE":
        await services.mark_delete(
            db(request),
            actor=acting_user(request),
            mark_id=mark_id,
            reason=clean_reason(read_query(request, MarkDeleteQuery).reason),
        )
        return json_ok(await _mark_answer(request, mark_id))
    data = await read_json(request, MarkUpdate)
    await services.mark_change(
        db(request),
        actor=acting_user(request),
        mark_id=mark_id,
        value=data.value,
        work_type=data.work_type,
        comment=data.comment,
        reason=data.reason,
        today=today_of(request),
    )
    return json_ok(await _mark_answer(request, mark_id))


@api_endpoint()
@operation(
    "GET",
    "A mark's history",
    responses={200: list[HistoryEntryPublic]},
    roles=STAFF,
    errors=(403,),
)
async def api_mark_history(request: Request) -> Response:
    """`[{"at","by","action","field","old","new","reason"}]` (teachers of the course, admin)."""
    history = await history_queries.mark_history(
        db(request), actor=acting_user(request), mark_id=path_int(request, "id")
    )
    return json_ok(history)


@api_endpoint(*STAFF)
@operation(
    "PUT",
    "Take a pupil's attendance at a lesson",
    body=AttendanceSet,
    responses={200: AttendanceRecord},
    roles=STAFF,
)
async def api_attendance(request: Request) -> Response:
    """PUT `{"pupil_id","slot_id","status","reason"?}`."""
    data = await read_json(request, AttendanceSet)
    record = await services.attendance_take(
        db(request),
        actor=acting_user(request),
        pupil_id=data.pupil_id,
        slot_id=data.slot_id,
        status=data.status,
        reason=data.reason,
    )
    return json_ok(public.attendance_public(record))


@api_endpoint()
@operation(
    "GET",
    "The history of a pupil's attendance at a lesson",
    query=AttendanceHistoryQuery,
    responses={200: list[HistoryEntryPublic]},
    roles=STAFF,
    errors=(403,),
)
async def api_attendance_history(request: Request) -> Response:
    """`?pupil_id=&slot_id=` → the history of that attendance record."""
    query = read_query(request, AttendanceHistoryQuery)
    history = await history_queries.attendance_history(
        db(request), actor=acting_user(request), pupil_id=query.pupil_id, slot_id=query.slot_id
    )
    return json_ok(history)


@api_endpoint()
@operation(
    "GET",
    "A class's attendance in a term",
    query=ClassAttendanceQuery,
    responses={200: ClassAttendancePublic},
    roles=STAFF,
)
async def api_attendance_summary(request: Request) -> Response:
    """`?class=&term=` → attendance over every course of a class, per pupil and in total
    (the admin, the form tutor and the class's teachers)."""
    query = read_query(request, ClassAttendanceQuery)
    summary = await history_queries.class_attendance(
        db(request),
        actor=acting_user(request),
        class_id=query.class_id,
        term_id=query.term,
        today=today_of(request),
    )
    return json_ok(summary)


@api_endpoint(*STAFF)
@operation(
    "PUT",
    "Give (or clear) a term mark",
    body=TermMarkSet,
    responses={200: TermMarkAnswer},
    roles=STAFF,
)
async def api_term_marks(request: Request) -> Response:
    """PUT `{"pupil_id","course_id","term_id","value","reason"?}` (`value: null` clears)."""
    data = await read_json(request, TermMarkSet)
    await services.term_mark_set(
        db(request),
        actor=acting_user(request),
        pupil_id=data.pupil_id,
        course_id=data.course_id,
        term_id=data.term_id,
        value=data.value,
        reason=data.reason,
    )
    result = await _result_for(
        request, course_id=data.course_id, term_id=data.term_id, pupil_id=data.pupil_id
    )
    return json_ok(TermMarkAnswer.model_validate({**result, "value": result["term_mark"]}))


@api_endpoint()
@operation(
    "GET",
    "The history of a pupil's term mark",
    query=TermMarkHistoryQuery,
    responses={200: list[HistoryEntryPublic]},
    roles=STAFF,
    errors=(403,),
)
async def api_term_mark_history(request: Request) -> Response:
    """`?pupil_id=&course_id=&term_id=` → the history of that term mark."""
    query = read_query(request, TermMarkHistoryQuery)
    history = await history_queries.term_mark_history(
        db(request),
        actor=acting_user(request),
        pupil_id=query.pupil_id,
        course_id=query.course_id,
        term_id=query.term_id,
    )
    return json_ok(history)


@api_endpoint(*STAFF)
@operation(
    "GET",
    "The caller's lessons of a day",
    query=MyDayQuery,
    responses={200: MyDayPublic},
    roles=STAFF,
)
async def api_my_day(request: Request) -> Response:
    """``GET /my-day?date=`` (default today): the caller's lessons that day, with their class,
    subject, topic, homework and linked library lesson, and the week's earlier lessons that
    still have no topic (the teacher's home page shows them)."""
    day = read_query(request, MyDayQuery).date or today_of(request)
    return json_ok(await teacher_day(db(request), actor=acting_user(request), day=day))


routes: list[BaseRoute] = [
    *journal_page_routes,  # /journal, /journal/setup, /journal/{id}
    Route("/api/v1/courses/{id:int}/journal", api_journal),
    Route("/api/v1/courses/{id:int}/journal.csv", api_journal_csv),
    Route("/api/v1/courses/{id:int}/journal.xlsx", api_journal_xlsx),
    Route("/api/v1/marks", api_marks, methods=["POST"]),
    Route("/api/v1/marks/{id:int}", api_mark, methods=["PATCH", "DELETE"]),
    Route("/api/v1/marks/{id:int}/history", api_mark_history),
    Route("/api/v1/attendance", api_attendance, methods=["PUT"]),
    Route("/api/v1/attendance/history", api_attendance_history),
    Route("/api/v1/attendance/summary", api_attendance_summary),
    Route("/api/v1/term-marks", api_term_marks, methods=["PUT"]),
    Route("/api/v1/term-marks/history", api_term_mark_history),
    Route("/api/v1/my-day", api_my_day),
    *structure_routes,  # subjects, courses, timetable, holidays, slots
    *diary_routes,  # the diary, its feeds and its page
    *roster_routes,
    *setup_routes,  # the set-up pages and their API pieces: gradebook/setup/
    *timetable_pages.routes,
    *absence_routes.routes,
]
