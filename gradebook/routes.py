"""Routes of the gradebook: the journal pages and set-up, the journal, marks, attendance and
term marks over the API, the exports; the structure API (structure_routes.py) and the diary
(diary_routes.py) are joined into one table here.

Thin: read the input, call one query or service, shape the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eschool.conditional import make_etag, not_modified, with_etag
from eschool.errors import BadRequest, DomainError
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.privacy.services import access_record
from eschool.queries import classes_visible, terms_of_school
from eschool.timeutil import parse_date
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    form_id,
    json_ok,
    page_endpoint,
    parse_model,
    path_int,
    query_int,
    read_form,
    read_json,
    render,
)
from gradebook import (
    absence_queries,
    absence_routes,
    history_queries,
    journal_cache,
    journal_grid,
    public,
    queries,
    services,
    slot_services,
    structure_services,
    timetable_pages,
)
from gradebook.diary_routes import routes as diary_routes
from gradebook.exports import journal_csv, journal_xlsx
from gradebook.legend import attendance_codes
from gradebook.models import (
    AttendanceSet,
    HolidayCreate,
    Mark,
    MarkCreate,
    MarkUpdate,
    SettingsUpdate,
    TermMarkSet,
    clean_reason,
)
from gradebook.rosters.routes import routes as roster_routes
from gradebook.route_helpers import STAFF, term_param, terms_of_year, today_of
from gradebook.setup import services as setup_services
from gradebook.setup.routes import routes as setup_routes
from gradebook.structure_routes import routes as structure_routes
from gradebook.today import teacher_day

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Register the gradebook's answers to the shell's questions."""
    # The shell serves a homework attachment to those who may see the slot.
    app.state.file_audiences.append(queries.attachment_visible)
    app.state.file_audiences.append(absence_queries.absence_document_visible)
    yield


async def _result_for(request: Request, *, course_id: int, term_id: int, pupil_id: int) -> dict:
    """The pupil's average, suggested and given term mark after a change."""
    actor = acting_user(request)
    view = await queries.course_get(db(request), actor=actor, course_id=course_id)
    return await journal_grid.pupil_term_result(
        db(request),
        course=view.course,
        term_id=term_id,
        pupil_id=pupil_id,
        school_id=actor.school_id,
    )


async def _mark_answer(request: Request, mark_id: int) -> dict[str, Any]:
    """A mark as the API returns it: with the pupil's average and (suggested) term mark."""
    session = db(request)
    actor = acting_user(request)
    mark = await session.get(Mark, mark_id)
    assert mark is not None  # the service has just written it
    view = await queries.slot_get(session, actor=actor, slot_id=mark.slot_id)
    result = await journal_grid.pupil_term_result(
        session,
        course=view.course.course,
        term_id=view.term.id or 0,
        pupil_id=mark.pupil_id,
        school_id=actor.school_id,
    )
    body = public.mark_public(mark)
    body["deleted"] = mark.deleted_at is not None
    body.update({key: result[key] for key in ("average", "suggested", "term_mark")})
    return body


async def _journal_read(request: Request, journal: dict[str, Any], what: str) -> None:
    """Record who read the journal of which course and class (the access record)."""
    await access_record(
        db(request),
        actor=acting_user(request),
        what=what,
        class_id=journal["course"]["class"]["id"],
        target_id=journal["course"]["id"],
        detail=f"term {journal['term']['id']}",
    )


async def _journal(request: Request, what: str = "journal") -> dict[str, Any]:
    journal = await journal_grid.journal_get(
        db(request),
        actor=acting_user(request),
        course_id=path_int(request, "id"),
        term_id=term_param(request),
        today=today_of(request),
    )
    await _journal_read(request, journal, what)
    return journal


async def _journal_version(request: Request) -> journal_cache.JournalVersion:
    """The asked journal's version for the caller, its read recorded (a 304's too)."""
    version = await journal_cache.journal_version(
        db(request),
        actor=acting_user(request),
        course_id=path_int(request, "id"),
        term_id=term_param(request),
        today=today_of(request),
    )
    await journal_cache.journal_record_read(
        db(request), actor=acting_user(request), version=version
    )
    return version


async def _journal_rendered(
    request: Request, version: journal_cache.JournalVersion
) -> journal_cache.RenderedJournal:
    return await journal_cache.journal_rendered(
        db(request),
        journal_cache.cache_of(request.app.state),
        actor=acting_user(request),
        version=version,
        today=today_of(request),
    )


@api_endpoint(*STAFF)
async def api_journal(request: Request) -> Response:
    """The journal of a course for `?term=` (default: the term containing today); 304 when
    the caller's `If-None-Match` names its current version."""
    version = await _journal_version(request)
    etag = make_etag(*version.tag_parts(acting_user(request), "json"))
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    rendered = await _journal_rendered(request, version)
    return with_etag(Response(rendered.body, media_type="application/json"), etag)


def _export_name(journal: dict[str, Any], extension: str) -> str:
    # ASCII only: a class name may be Cyrillic, and header values are Latin-1
    return f"journal-{journal['course']['id']}-term-{journal['term']['number']}.{extension}"


@api_endpoint(*STAFF)
async def api_journal_csv(request: Request) -> Response:
    """The journal as CSV (UTF-8 with BOM; `?delimiter=;` for semicolon spreadsheets)."""
    journal = await _journal(request, "journal.csv")
    delimiter = ";" if request.query_params.get("delimiter") == ";" else ","
    return Response(
        journal_csv(journal, delimiter=delimiter),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_export_name(journal, "csv")}"'},
    )


@api_endpoint(*STAFF)
async def api_journal_xlsx(request: Request) -> Response:
    """The journal as an XLSX workbook."""
    journal = await _journal(request, "journal.xlsx")
    return Response(
        journal_xlsx(journal),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{_export_name(journal, "xlsx")}"'},
    )


@api_endpoint(*STAFF)
async def api_marks(request: Request) -> Response:
    """POST `{"pupil_id","slot_id","value","work_type","comment","reason"?}` → 201."""
    data = await read_json(request, MarkCreate)
    mark = await services.mark_record(
        db(request),
        actor=acting_user(request),
        pupil_id=data.pupil_id,
        slot_id=data.slot_id,
        value=data.value,
        work_type=data.work_type,
        comment=data.comment,
        reason=data.reason,
    )
    return json_ok(await _mark_answer(request, mark.id or 0), status=201)


@api_endpoint(*STAFF)
async def api_mark(request: Request) -> Response:
    """PATCH `{"value","work_type","comment","reason"}`; DELETE `?reason=` (soft)."""
    mark_id = path_int(request, "id")
    if request.method == "DELETE":
        await services.mark_delete(
            db(request),
            actor=acting_user(request),
            mark_id=mark_id,
            reason=clean_reason(request.query_params.get("reason")),
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
async def api_mark_history(request: Request) -> Response:
    """`[{"at","by","action","field","old","new","reason"}]` (teachers of the course, admin)."""
    history = await history_queries.mark_history(
        db(request), actor=acting_user(request), mark_id=path_int(request, "id")
    )
    return json_ok(history)


@api_endpoint(*STAFF)
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


def _required_int(request: Request, name: str) -> int:
    value = query_int(request, name)
    if value is None:
        raise BadRequest(_("{name} is required.", name=name))
    return value


@api_endpoint()
async def api_attendance_history(request: Request) -> Response:
    """`?pupil_id=&slot_id=` → the history of that attendance record."""
    history = await history_queries.attendance_history(
        db(request),
        actor=acting_user(request),
        pupil_id=_required_int(request, "pupil_id"),
        slot_id=_required_int(request, "slot_id"),
    )
    return json_ok(history)


@api_endpoint()
async def api_attendance_summary(request: Request) -> Response:
    """`?class=&term=` → attendance over every course of a class, per pupil and in total."""
    summary = await history_queries.class_attendance(
        db(request),
        actor=acting_user(request),
        class_id=_required_int(request, "class"),
        term_id=term_param(request),
        today=today_of(request),
    )
    return json_ok(summary)


@api_endpoint(*STAFF)
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
    return json_ok({**result, "value": result["term_mark"]})


@api_endpoint()
async def api_term_mark_history(request: Request) -> Response:
    """`?pupil_id=&course_id=&term_id=` → the history of that term mark."""
    history = await history_queries.term_mark_history(
        db(request),
        actor=acting_user(request),
        pupil_id=_required_int(request, "pupil_id"),
        course_id=_required_int(request, "course_id"),
        term_id=_required_int(request, "term_id"),
    )
    return json_ok(history)


@api_endpoint(*STAFF)
async def api_my_day(request: Request) -> Response:
    """``GET /my-day?date=`` (default today): the caller's lessons that day, with their class,
    subject, topic, homework and linked library lesson, and the week's earlier lessons that
    still have no topic (the teacher's home page shows them)."""
    day = parse_date(request.query_params.get("date"), name="date") or today_of(request)
    return json_ok(await teacher_day(db(request), actor=acting_user(request), day=day))


@page_endpoint(*STAFF)
async def journal_index(request: Request) -> Response:
    """The courses whose journals the teacher (or admin) opens, by class."""
    actor = acting_user(request)
    views = await queries.courses_list(db(request), actor=actor)
    by_class: dict[str, list[queries.CourseView]] = {}
    # The courses one teaches first, then those read as form tutor.
    for view in sorted(views, key=lambda v: v.access != queries.WRITE):
        by_class.setdefault(view.school_class.name, []).append(view)
    return render(request, "gradebook/journal_index.html", by_class=by_class)


@page_endpoint(*STAFF)
async def journal_page(request: Request) -> Response:
    """The journal grid of a course (data inline, editing through the API)."""
    actor = acting_user(request)
    version = await _journal_version(request)
    # The page also shows who is signed in and carries their session's CSRF token.
    auth = getattr(request.state, "auth", None)
    etag = make_etag(*version.tag_parts(actor, "html", actor.name, auth.csrf_token if auth else ""))
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    rendered = await _journal_rendered(request, version)
    terms = await terms_of_year(db(request), school_id=actor.school_id, term_id=version.term.id)
    page = render(
        request,
        "gradebook/journal.html",
        journal=rendered.head,
        journal_json=rendered.script_json(),
        terms=terms,
        codes=attendance_codes(),
    )
    return with_etag(page, etag)


async def _setup_context(request: Request) -> dict[str, Any]:
    actor = acting_user(request)
    session = db(request)
    classes = await classes_visible(session, actor=actor)
    timetables = {}
    courses = {v.course.id: v for v in await queries.courses_list(session, actor=actor)}
    for school_class in classes:
        rows = await queries.timetable_of_class(
            session, school_id=actor.school_id, class_id=school_class.id or 0
        )
        timetables[school_class.name] = [(row, courses.get(row.course_id)) for row in rows]
    return {
        "holidays": await queries.holidays_of_school(session, school_id=actor.school_id),
        "terms": await terms_of_school(session, school_id=actor.school_id),
        "subjects": await queries.subjects_of_school(session, school_id=actor.school_id),
        "classes": classes,
        "courses": list(courses.values()),
        "timetables": timetables,
        "work_types": await queries.work_types_of_school(session, school_id=actor.school_id),
        "threshold": await queries.rounding_threshold(session, school_id=actor.school_id),
    }


@page_endpoint(Role.admin)
async def journal_setup(request: Request) -> Response:
    """Admin: holidays, slot generation per term, subjects, courses and timetables."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "POST":
        form = await read_form(request)
        action = form.get("action")
        try:
            if action == "holiday_add":
                data = parse_model(HolidayCreate, form)
                await setup_services.holiday_create(session, actor=actor, data=data)
                message = _("Holiday added. Regenerate the slots of the terms it falls in.")
            elif action == "holiday_remove":
                await structure_services.holiday_remove(
                    session, actor=actor, holiday_id=form_id(form, "holiday_id")
                )
                message = _("Holiday removed. Regenerate the slots of the terms it fell in.")
            elif action == "generate":
                result = await slot_services.slots_generate(
                    session, actor=actor, term_id=form_id(form, "term_id")
                )
                message = _(
                    "Slots: {created} created, {updated} updated, {removed} removed, "
                    "{kept} kept because they hold marks, attendance, topics or homework.",
                    **result.as_dict(),
                )
            elif action == "threshold":
                data = parse_model(SettingsUpdate, form)
                await structure_services.settings_update(
                    session, actor=actor, rounding_threshold=data.rounding_threshold
                )
                message = _("Saved.")
            else:
                raise BadRequest(_("Unknown action."))
        except (DomainError, ValueError) as exc:
            # Services validate before writing, so there is nothing to roll back (and a
            # rollback would expire the signed-in user the page still shows).
            context = await _setup_context(request)
            error = exc.message if isinstance(exc, DomainError) else str(exc)
            return render(request, "gradebook/setup.html", status=422, error=error, **context)
        return render(
            request, "gradebook/setup.html", notice=message, **await _setup_context(request)
        )
    return render(request, "gradebook/setup.html", **await _setup_context(request))


routes: list[BaseRoute] = [
    Route("/journal", journal_index),
    Route("/journal/setup", journal_setup, methods=["GET", "POST"]),
    Route("/journal/{id:int}", journal_page),
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
