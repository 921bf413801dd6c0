"""Routes of the gradebook: the journal and diary pages, the JSON API, exports and feeds.

Thin: read the input, call one query or service, shape the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool.conditional import etag_response, make_etag, not_modified, with_etag
from eschool.errors import BadRequest, DomainError, NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, User
from eschool.privacy.services import access_record
from eschool.queries import classes_visible, term_public, terms_of_school
from eschool.timeutil import iso, parse_date, utcnow
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    form_id,
    json_list,
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
    diary,
    diary_news,
    diary_summary,
    journal_cache,
    queries,
    services,
    timetable_pages,
)
from gradebook.exports import diary_ics, journal_csv, journal_xlsx
from gradebook.legend import attendance_codes
from gradebook.models import (
    AttendanceSet,
    CourseCreate,
    CourseUpdate,
    HolidayCreate,
    Mark,
    MarkCreate,
    MarkUpdate,
    SettingsUpdate,
    SlotsGenerate,
    SubjectCreate,
    TermMarkSet,
    TimetableIn,
    WorkTypeSave,
    clean_reason,
)
from gradebook.rosters.routes import routes as roster_routes
from gradebook.scales import SCALES
from gradebook.setup import services as setup_services
from gradebook.setup.routes import routes as setup_routes
from gradebook.timetable import week_bounds
from gradebook.today import teacher_day

STAFF = (Role.admin, Role.teacher)
# The domain part of every calendar event's UID (`slot-<id>@eschool`): fixed, so that a feed
# fetched under another address (a new domain, a proxy) does not duplicate every event.
FEED_UID_DOMAIN = "eschool"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Register the gradebook's answers to the shell's questions."""
    # The shell serves a homework attachment to those who may see the slot.
    app.state.file_audiences.append(queries.attachment_visible)
    app.state.file_audiences.append(absence_queries.absence_document_visible)
    yield


# --- helpers -----------------------------------------------------------------------------


def _today(request: Request) -> date:
    """Today in the school's time zone (`settings.timezone`)."""
    return datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


def _term_param(request: Request) -> int | None:
    return query_int(request, "term")


async def _result_for(request: Request, *, course_id: int, term_id: int, pupil_id: int) -> dict:
    """The pupil's average, suggested and given term mark after a change."""
    actor = acting_user(request)
    view = await queries.course_get(db(request), actor=actor, course_id=course_id)
    return await queries.pupil_term_result(
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
    result = await queries.pupil_term_result(
        session,
        course=view.course.course,
        term_id=view.term.id or 0,
        pupil_id=mark.pupil_id,
        school_id=actor.school_id,
    )
    body = queries.mark_public(mark)
    body["deleted"] = mark.deleted_at is not None
    body.update({key: result[key] for key in ("average", "suggested", "term_mark")})
    return body


# --- structure API -------------------------------------------------------------------------


@api_endpoint()
async def api_subjects(request: Request) -> Response:
    """GET: the school's subjects. POST (admin): `{"name","short_name"}` → 201."""
    actor = acting_user(request)
    if request.method == "POST":
        data = await read_json(request, SubjectCreate)
        subject = await setup_services.subject_add(
            db(request), actor=actor, name=data.name, short_name=data.short_name
        )
        return json_ok(queries.subject_public(subject), status=201)
    subjects = await queries.subjects_of_school(db(request), school_id=actor.school_id)
    return json_list([queries.subject_public(s) for s in subjects], len(subjects))


@api_endpoint()
async def api_courses(request: Request) -> Response:
    """GET `?class=&teacher=me`: the courses the caller may see. POST (admin) → 201."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "POST":
        data = await read_json(request, CourseCreate)
        course = await services.course_create(
            session,
            actor=actor,
            class_id=data.class_id,
            subject_id=data.subject_id,
            teacher_ids=data.teacher_ids,
            scale=data.scale,
        )
        view = await queries.course_get(session, actor=actor, course_id=course.id or 0)
        return json_ok(queries.course_public(view), status=201)
    teacher = request.query_params.get("teacher")
    if teacher not in (None, "", "me"):
        raise BadRequest(_("teacher may only be `me`."))
    views = await queries.courses_list(
        session,
        actor=actor,
        class_ref=request.query_params.get("class"),
        mine=teacher == "me",
    )
    return json_list([queries.course_public(v) for v in views], len(views))


@api_endpoint(*STAFF)
async def api_course(request: Request) -> Response:
    """GET a course; PATCH (admin) `{"teacher_ids","scale"}`."""
    actor = acting_user(request)
    course_id = path_int(request, "id")
    if request.method == "PATCH":
        data = await read_json(request, CourseUpdate)
        await setup_services.course_change(
            db(request),
            actor=actor,
            course_id=course_id,
            teacher_ids=data.teacher_ids,
            scale=data.scale,
        )
    view = await queries.course_get(db(request), actor=actor, course_id=course_id)
    return json_ok(queries.course_public(view))


@api_endpoint()
async def api_work_types(request: Request) -> Response:
    """GET: the school's work types with weights. PUT (admin): add or change one."""
    actor = acting_user(request)
    if request.method == "PUT":
        data = await read_json(request, WorkTypeSave)
        await services.work_type_save(
            db(request),
            actor=actor,
            code=data.code,
            name=data.name,
            weight=data.weight,
            position=data.position,
        )
    kinds = await queries.work_types_of_school(db(request), school_id=actor.school_id)
    return json_list([queries.work_type_public(k) for k in kinds], len(kinds))


@api_endpoint()
async def api_settings(request: Request) -> Response:
    """GET: the school's gradebook settings. PATCH (admin) `{"rounding_threshold",
    "mark_bands": {"<scale>": {"<value>": least share} | null}}` (only what is sent)."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "PATCH":
        data = await read_json(request, SettingsUpdate)
        await services.settings_update(
            session,
            actor=actor,
            rounding_threshold=data.rounding_threshold,
            mark_bands=data.mark_bands,
        )
    threshold = await queries.rounding_threshold(session, school_id=actor.school_id)
    bands = await queries.mark_bands_of_school(session, school_id=actor.school_id)
    return json_ok(
        {
            "rounding_threshold": threshold,
            "mark_bands": bands,
            "scales": [s.as_dict() for s in SCALES.values()],
        }
    )


@api_endpoint(*STAFF)
async def api_timetable(request: Request) -> Response:
    """GET: a class's weekly timetable. PUT (admin) `{"entries":[…]}` replaces it."""
    actor = acting_user(request)
    class_id = path_int(request, "id")
    if request.method == "PUT":
        data = await read_json(request, TimetableIn)
        await services.timetable_set(
            db(request), actor=actor, class_id=class_id, entries=data.entries
        )
    elif class_id not in {c.id for c in await classes_visible(db(request), actor=actor)}:
        raise NotFound(_("No such class."))
    rows = await queries.timetable_of_class(
        db(request), school_id=actor.school_id, class_id=class_id
    )
    return json_list([queries.timetable_entry_public(r) for r in rows], len(rows))


@api_endpoint()
async def api_holidays(request: Request) -> Response:
    """GET: the school's holidays. POST (admin) `{"name","starts","ends"}` → 201."""
    actor = acting_user(request)
    if request.method == "POST":
        data = await read_json(request, HolidayCreate)
        holiday = await setup_services.holiday_create(db(request), actor=actor, data=data)
        return json_ok(queries.holiday_public(holiday), status=201)
    holidays = await queries.holidays_of_school(db(request), school_id=actor.school_id)
    return json_list([queries.holiday_public(h) for h in holidays], len(holidays))


@api_endpoint(Role.admin)
async def api_holiday(request: Request) -> Response:
    """DELETE (admin) a holiday → 204."""
    await services.holiday_remove(
        db(request), actor=acting_user(request), holiday_id=path_int(request, "id")
    )
    return Response(status_code=204)


@api_endpoint(Role.admin)
async def api_slots_generate(request: Request) -> Response:
    """POST (admin) `{"term_id","class_id"?}`: (re)generate the term's slots from timetables."""
    data = await read_json(request, SlotsGenerate)
    result = await services.slots_generate(
        db(request), actor=acting_user(request), term_id=data.term_id, class_id=data.class_id
    )
    return json_ok({"term_id": data.term_id, **result.as_dict()})


@api_endpoint(*STAFF)
async def api_slot(request: Request) -> Response:
    """GET a slot. (PATCH, which may link a library lesson, is classwork's: `classwork.routes`.)"""
    actor = acting_user(request)
    slot_id = path_int(request, "id")
    view = await queries.slot_get(db(request), actor=actor, slot_id=slot_id)
    return json_ok(
        {
            **queries.slot_public(view.slot),
            "course": queries.course_public(view.course),
            "term": term_public(view.term),
        }
    )


# --- journal API --------------------------------------------------------------------------


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


async def _diary_read(request: Request, pupil_id: int, what: str, detail: str = "") -> None:
    """Record who read whose diary (the access record; not a pupil's own)."""
    await access_record(
        db(request), actor=acting_user(request), what=what, pupil_id=pupil_id, detail=detail
    )


async def _journal(request: Request, what: str = "journal") -> dict[str, Any]:
    journal = await queries.journal_get(
        db(request),
        actor=acting_user(request),
        course_id=path_int(request, "id"),
        term_id=_term_param(request),
        today=_today(request),
    )
    await _journal_read(request, journal, what)
    return journal


async def _journal_version(request: Request) -> journal_cache.JournalVersion:
    """The asked journal's version for the caller, its read recorded (a 304's too)."""
    version = await journal_cache.journal_version(
        db(request),
        actor=acting_user(request),
        course_id=path_int(request, "id"),
        term_id=_term_param(request),
        today=_today(request),
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
        today=_today(request),
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
        today=_today(request),
    )
    return json_ok(await _mark_answer(request, mark_id))


@api_endpoint()
async def api_mark_history(request: Request) -> Response:
    """`[{"at","by","action","field","old","new","reason"}]` (teachers of the course, admin)."""
    history = await queries.mark_history(
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
    return json_ok(queries.attendance_public(record))


def _required_int(request: Request, name: str) -> int:
    value = query_int(request, name)
    if value is None:
        raise BadRequest(_("{name} is required.", name=name))
    return value


@api_endpoint()
async def api_attendance_history(request: Request) -> Response:
    """`?pupil_id=&slot_id=` → the history of that attendance record."""
    history = await queries.attendance_history(
        db(request),
        actor=acting_user(request),
        pupil_id=_required_int(request, "pupil_id"),
        slot_id=_required_int(request, "slot_id"),
    )
    return json_ok(history)


@api_endpoint()
async def api_attendance_summary(request: Request) -> Response:
    """`?class=&term=` → attendance over every course of a class, per pupil and in total."""
    summary = await queries.class_attendance(
        db(request),
        actor=acting_user(request),
        class_id=_required_int(request, "class"),
        term_id=_term_param(request),
        today=_today(request),
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
    history = await queries.term_mark_history(
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
    day = parse_date(request.query_params.get("date"), name="date") or _today(request)
    return json_ok(await teacher_day(db(request), actor=acting_user(request), day=day))


# --- diary API ----------------------------------------------------------------------------


def _week_range(request: Request) -> tuple[date, date]:
    start = parse_date(request.query_params.get("from"), name="from")
    end = parse_date(request.query_params.get("to"), name="to")
    if start is None and end is None:
        return week_bounds(_today(request))
    if start is None:
        start = week_bounds(end)[0]  # type: ignore[arg-type]
    if end is None:
        end = start + timedelta(days=6)
    return start, end


@api_endpoint()
async def api_diary(request: Request) -> Response:
    """`?from=&to=` (default: this week) → `{"pupil","from","to","days":[…]}`."""
    start, end = _week_range(request)
    week = await diary.diary_week(
        db(request),
        actor=acting_user(request),
        pupil_id=path_int(request, "pupil_id"),
        start=start,
        end=end,
    )
    await _diary_read(request, path_int(request, "pupil_id"), "diary", f"{start}..{end}")
    # The tag is a hash of the body: a reader whose copy is current gets 304 and no body.
    return etag_response(request, json_ok(week).body, media_type="application/json")


@api_endpoint()
async def api_diary_summary(request: Request) -> Response:
    """`?term=` → the pupil's subjects with marks, averages, term marks and attendance."""
    summary = await diary_summary.diary_summary(
        db(request),
        actor=acting_user(request),
        pupil_id=path_int(request, "pupil_id"),
        term_id=_term_param(request),
        today=_today(request),
    )
    await _diary_read(request, path_int(request, "pupil_id"), "diary.summary")
    return json_ok(summary)


@api_endpoint()
async def api_diary_news(request: Request) -> Response:
    """What is new since the caller's last visit (marks and homework)."""
    news = await diary_news.diary_news(
        db(request), actor=acting_user(request), pupil_id=path_int(request, "pupil_id")
    )
    await _diary_read(request, path_int(request, "pupil_id"), "diary.news")
    return json_ok(news)


@api_endpoint()
async def api_diary_seen(request: Request) -> Response:
    """POST ``?at=`` (the moment the page showed the news; default now): the caller has seen
    the diary's news up to then → 204. The diary page sends it when the reader marks the
    news as seen or leaves, as a beacon (a form body with ``csrf_token``: no headers)."""
    raw = request.query_params.get("at")
    try:
        at = datetime.fromisoformat(raw) if raw else None
    except ValueError as exc:
        raise BadRequest(_("at must be a moment like 2026-09-01T10:00:00Z.")) from exc
    if at is not None and at.tzinfo is None:
        raise BadRequest(_("at must be a moment like 2026-09-01T10:00:00Z."))
    await services.diary_seen(
        db(request), actor=acting_user(request), pupil_id=path_int(request, "pupil_id"), at=at
    )
    return Response(status_code=204)


async def _ics_response(request: Request, pupil: User | diary.DiaryPupil) -> Response:
    """The feed from the first day of the current term to the end of the last one. Its UIDs
    do not depend on the address it is fetched under, and its bytes only on the data (each
    event's DTSTAMP is when its lesson last changed), so a calendar app polling an unchanged
    feed gets 304."""
    session = db(request)
    settings = request.app.state.settings
    start, end = await diary.feed_window(session, school_id=pupil.school_id, today=_today(request))
    events = await diary.diary_events(session, pupil_id=pupil.id or 0, start=start, end=end)
    text = diary_ics(
        pupil_name=pupil.name,
        events=events,
        calendar_name=_("Diary of {name}", name=pupil.name),
        tz=settings.timezone,
        uid_domain=FEED_UID_DOMAIN,
    )
    return etag_response(request, text.encode(), media_type="text/calendar; charset=utf-8")


@api_endpoint()
async def api_diary_ics(request: Request) -> Response:
    """The pupil's timetable with homework as iCalendar, for a caller who may see the diary."""
    pupil = await diary.diary_pupil(
        db(request), actor=acting_user(request), pupil_id=path_int(request, "pupil_id")
    )
    await _diary_read(request, pupil.id, "diary.ics")
    return await _ics_response(request, pupil)


@api_endpoint()
async def api_diary_feed(request: Request) -> Response:
    """GET: whether the caller has a calendar link. POST → 201 `{"url","webcal","active"}`
    (a new secret link, shown once; `webcal` is the same link for calendar apps to subscribe
    to). DELETE → 204 (the link stops working)."""
    actor = acting_user(request)
    pupil_id = path_int(request, "pupil_id")
    session = db(request)
    if request.method == "POST":
        secret = await services.feed_create(session, actor=actor, pupil_id=pupil_id)
        url = str(request.base_url).rstrip("/") + f"/feeds/{secret}.ics"
        return json_ok({"url": url, "webcal": diary.webcal_url(url), "active": True}, status=201)
    if request.method == "DELETE":
        await services.feed_revoke(session, actor=actor, pupil_id=pupil_id)
        return Response(status_code=204)
    feed = await queries.feed_active(session, actor=actor, pupil_id=pupil_id)
    return json_ok(
        {"active": feed is not None, "created_at": iso(feed.created_at) if feed else None}
    )


async def feed_ics(request: Request) -> Response:
    """`/feeds/{secret}.ics`: the calendar behind a secret link; no sign-in needed."""
    found = await queries.feed_by_secret(db(request), secret=request.path_params["secret"])
    if found is None:
        raise NotFound(_("This calendar link does not exist or was revoked."))
    _owner, pupil = found
    return await _ics_response(request, pupil)


# --- pages ------------------------------------------------------------------------------------


async def _terms_of_year(session: Any, *, school_id: int, term_id: int) -> list[Any]:
    """The terms of the academic year that `term_id` belongs to."""
    terms = await terms_of_school(session, school_id=school_id)
    year = next((t.year_id for t in terms if t.id == term_id), None)
    return [t for t in terms if t.year_id == year]


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
    terms = await _terms_of_year(db(request), school_id=actor.school_id, term_id=version.term.id)
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
                await services.holiday_remove(
                    session, actor=actor, holiday_id=form_id(form, "holiday_id")
                )
                message = _("Holiday removed. Regenerate the slots of the terms it fell in.")
            elif action == "generate":
                result = await services.slots_generate(
                    session, actor=actor, term_id=form_id(form, "term_id")
                )
                message = _(
                    "Slots: {created} created, {updated} updated, {removed} removed, "
                    "{kept} kept because they hold marks, attendance, topics or homework.",
                    **result.as_dict(),
                )
            elif action == "threshold":
                data = parse_model(SettingsUpdate, form)
                await services.settings_update(
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


@page_endpoint()
async def diary_page(request: Request) -> Response:
    """The diary: a week of lessons, the term per subject and what is new since last time."""
    actor = acting_user(request)
    session = db(request)
    choices = await queries.diary_pupils(session, actor=actor)
    pupil_id = query_int(request, "pupil")
    if pupil_id is None:
        if not choices:
            if actor.role in STAFF:
                return RedirectResponse("/journal", status_code=303)
            return render(request, "gradebook/diary.html", pupil=None, choices=[])
        pupil_id = choices[0].id or 0
    today = _today(request)
    anchor = parse_date(request.query_params.get("week"), name="week") or today
    monday, sunday = week_bounds(anchor)
    week = await diary.diary_week(session, actor=actor, pupil_id=pupil_id, start=monday, end=sunday)
    await _diary_read(request, pupil_id, "diary", f"{monday}..{sunday}")
    summary = await diary_summary.diary_summary(
        session, actor=actor, pupil_id=pupil_id, term_id=_term_param(request), today=today
    )
    # The news stays until the reader marks it as seen or leaves the page (diary.js sends
    # "seen up to the moment it was shown"): reloading, another week or another language
    # keep it.
    shown_at = utcnow()
    news = await diary_news.diary_news(session, actor=actor, pupil_id=pupil_id)
    feed = None
    if actor.role in (Role.pupil, Role.parent):
        feed = await queries.feed_active(session, actor=actor, pupil_id=pupil_id)
    terms = await _terms_of_year(session, school_id=actor.school_id, term_id=summary["term"]["id"])
    for item in (*news["marks"], *news["homework"]):
        item["day"] = date.fromisoformat(item["date"])
    return render(
        request,
        "gradebook/diary.html",
        pupil=week["pupil"],
        choices=choices,
        days=[{**day, "day": date.fromisoformat(day["date"])} for day in week["days"]],
        week_end=sunday,
        summary=summary,
        news=news,
        # Exact to the microsecond: news written within the same second as the page must not
        # count as seen (iso() drops the fraction).
        news_shown_at=shown_at.isoformat().replace("+00:00", "Z"),
        today=iso(today),
        monday_iso=iso(monday),
        prev_week=iso(monday - timedelta(days=7)),
        next_week=iso(monday + timedelta(days=7)),
        this_week=iso(week_bounds(today)[0]),
        feed=feed,
        can_link=actor.role in (Role.pupil, Role.parent),
        terms=terms,
        codes=attendance_codes(),
    )


routes: list[BaseRoute] = [
    Route("/journal", journal_index),
    Route("/journal/setup", journal_setup, methods=["GET", "POST"]),
    Route("/journal/{id:int}", journal_page),
    Route("/diary", diary_page),
    Route("/feeds/{secret}.ics", feed_ics),
    Route("/api/v1/subjects", api_subjects, methods=["GET", "POST"]),
    Route("/api/v1/courses", api_courses, methods=["GET", "POST"]),
    Route("/api/v1/courses/{id:int}", api_course, methods=["GET", "PATCH"]),
    Route("/api/v1/courses/{id:int}/journal", api_journal),
    Route("/api/v1/courses/{id:int}/journal.csv", api_journal_csv),
    Route("/api/v1/courses/{id:int}/journal.xlsx", api_journal_xlsx),
    Route("/api/v1/work-types", api_work_types, methods=["GET", "PUT"]),
    Route("/api/v1/gradebook/settings", api_settings, methods=["GET", "PATCH"]),
    Route("/api/v1/classes/{id:int}/timetable", api_timetable, methods=["GET", "PUT"]),
    Route("/api/v1/holidays", api_holidays, methods=["GET", "POST"]),
    Route("/api/v1/holidays/{id:int}", api_holiday, methods=["DELETE"]),
    Route("/api/v1/slots/generate", api_slots_generate, methods=["POST"]),
    Route("/api/v1/slots/{id:int}", api_slot, methods=["GET"]),
    Route("/api/v1/marks", api_marks, methods=["POST"]),
    Route("/api/v1/marks/{id:int}", api_mark, methods=["PATCH", "DELETE"]),
    Route("/api/v1/marks/{id:int}/history", api_mark_history),
    Route("/api/v1/attendance", api_attendance, methods=["PUT"]),
    Route("/api/v1/attendance/history", api_attendance_history),
    Route("/api/v1/attendance/summary", api_attendance_summary),
    Route("/api/v1/term-marks", api_term_marks, methods=["PUT"]),
    Route("/api/v1/term-marks/history", api_term_mark_history),
    Route("/api/v1/my-day", api_my_day),
    Route("/api/v1/diary/{pupil_id:int}", api_diary),
    Route("/api/v1/diary/{pupil_id:int}.ics", api_diary_ics),
    Route("/api/v1/diary/{pupil_id:int}/summary", api_diary_summary),
    Route("/api/v1/diary/{pupil_id:int}/news", api_diary_news),
    Route("/api/v1/diary/{pupil_id:int}/seen", api_diary_seen, methods=["POST"]),
    Route("/api/v1/diary/{pupil_id:int}/feed", api_diary_feed, methods=["GET", "POST", "DELETE"]),
    *roster_routes,
    *setup_routes,  # the set-up pages and their API pieces: gradebook/setup/
    *timetable_pages.routes,
    *absence_routes.routes,
]
