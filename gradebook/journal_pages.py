"""The journal's pages (the courses to open, the grid, the admin's set-up) and the request-side
reads of the journal they share with its JSON endpoint: its version (304 before anything is
built) and its rendered JSON (:mod:`gradebook.journal_cache`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from eschool.conditional import make_etag, not_modified, with_etag
from eschool.errors import BadRequest, DomainError
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.queries import classes_visible, terms_of_school
from eschool.web import (
    acting_user,
    db,
    form_id,
    page_endpoint,
    parse_model,
    path_int,
    read_form,
    render,
)
from gradebook import journal_cache, queries, slot_services, structure_services
from gradebook.legend import attendance_codes
from gradebook.models import HolidayCreate, SettingsUpdate
from gradebook.route_helpers import STAFF, term_param, terms_of_year, today_of
from gradebook.setup import services as setup_services


async def journal_version_of(request: Request, term_id: int | None) -> journal_cache.JournalVersion:
    """The asked journal's version for the caller, its read recorded (a 304's too)."""
    version = await journal_cache.journal_version(
        db(request),
        actor=acting_user(request),
        course_id=path_int(request, "id"),
        term_id=term_id,
        today=today_of(request),
        caches=journal_cache.cache_of(request.app.state),
        reads=getattr(request.app.state, "direct_reads", None),
    )
    await journal_cache.journal_record_read(
        db(request), actor=acting_user(request), version=version
    )
    return version


async def journal_rendered_of(
    request: Request, version: journal_cache.JournalVersion
) -> journal_cache.RenderedJournal:
    """The journal at ``version``, rendered (from the process's cache when it has it)."""
    return await journal_cache.journal_rendered(
        db(request),
        journal_cache.cache_of(request.app.state).rendered,
        actor=acting_user(request),
        version=version,
        today=today_of(request),
    )


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
    version = await journal_version_of(request, term_param(request))
    # The page also shows who is signed in and carries their session's CSRF token: with the
    # version, that is all it depends on (its terms are the school's, in the version), so the
    # page is kept by these parts as a whole.
    auth = getattr(request.state, "auth", None)
    parts = version.tag_parts(actor, "html", actor.name, auth.csrf_token if auth else "")
    etag = make_etag(*parts)
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    pages = journal_cache.cache_of(request.app.state).pages
    kept = pages.get(parts)
    if kept is None:
        rendered = await journal_rendered_of(request, version)
        terms = await terms_of_year(
            db(request), school_id=actor.school_id, term_id=version.term.id or 0
        )
        page = render(
            request,
            "gradebook/journal.html",
            journal=rendered.head,
            journal_json=rendered.script_json(),
            terms=terms,
            codes=attendance_codes(),
        )
        kept = journal_cache.RenderedJournal(body=bytes(page.body), head={})
        pages.put(parts, kept)
    return with_etag(HTMLResponse(kept.body), etag)


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
                settings = parse_model(SettingsUpdate, form)
                await structure_services.settings_update(
                    session, actor=actor, rounding_threshold=settings.rounding_threshold
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
]
