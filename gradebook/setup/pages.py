"""The set-up pages: `/admin/setup` (the steps in order, which are done), `/admin/subjects`,
`/admin/courses`, `/admin/work-types` and `/admin/holidays`.

Each page's forms post back to the page and run the same services as the API, so the
pages work without JavaScript; with it, `static/js/admin/setup_forms.js` sends them to the
JSON API instead and shows its errors next to the fields.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool.errors import BadRequest, DomainError
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.queries import classes_visible, years_of_school
from eschool.school_pages import form_failure
from eschool.web import (
    acting_user,
    db,
    form_id,
    page_endpoint,
    parse_model,
    query_int,
    read_form,
    render,
)
from gradebook import queries as gradebook_queries
from gradebook import structure_services
from gradebook.models import CourseCreate, CourseUpdate, HolidayCreate, WorkTypeSave
from gradebook.scales import SCALES
from gradebook.setup import queries, services

Form = dict[str, str]
Action = Callable[[Form], Awaitable[object]]


def _fields(form: Form, *names: str) -> dict[str, Any]:
    return {name: form[name] for name in names if form.get(name)}


async def _form_lists(request: Request, *names: str) -> dict[str, list[str]]:
    """Fields a form sends several times (checkboxes): `read_form` keeps only the last."""
    form = await request.form()  # parsed (and cached) by read_form already
    return {name: [str(v) for v in form.getlist(name)] for name in names}


async def _setup_page(
    request: Request,
    *,
    template: str,
    context: Callable[[], Awaitable[dict[str, Any]]],
    actions: dict[str, Callable[[Form, dict[str, list[str]]], Awaitable[object]]],
    key: Callable[[Form], str],
    lists: tuple[str, ...] = (),
) -> Response:
    """GET renders the page; POST runs the form's `action` and comes back (303), or renders
    the page again with the refusal next to the form's fields."""
    if request.method == "POST":
        form = await read_form(request)
        many = await _form_lists(request, *lists)
        run = actions.get(form.get("action", ""))
        if run is None:
            raise BadRequest(_("Unknown action."))
        try:
            await run(form, many)
        except DomainError as exc:
            if exc.status == 404:
                raise
            failed = form_failure(key(form), exc, form)
            failed["lists"] = many
            return render(request, template, status=exc.status, failed=failed, **await context())
        back = request.url.path + "?done=1"
        if request.query_params.get("class"):
            back += f"&class={query_int(request, 'class')}"
        return RedirectResponse(back, status_code=303)
    done = _("Saved.") if request.query_params.get("done") else None
    return render(request, template, notice=done, **await context())


def _ids(values: list[str]) -> list[str]:
    return [v for v in values if v]


# --- the overview --------------------------------------------------------------------------


@page_endpoint(Role.admin)
async def admin_setup(request: Request) -> Response:
    """The set-up steps in order, with what is done."""
    actor = acting_user(request)
    steps = await queries.setup_steps(db(request), school_id=actor.school_id)
    return render(request, "gradebook/setup/overview.html", steps=steps)


# --- subjects ------------------------------------------------------------------------------


@page_endpoint(Role.admin)
async def admin_subjects(request: Request) -> Response:
    """The school's subjects: add, rename, delete (while no course teaches it)."""
    actor = acting_user(request)
    session = db(request)

    async def context() -> dict[str, Any]:
        return {
            "subjects": await gradebook_queries.subjects_of_school(
                session, school_id=actor.school_id
            ),
            "used": await queries.subject_course_counts(session, school_id=actor.school_id),
        }

    async def add(form: Form, _many: object) -> object:
        return await services.subject_add(
            session,
            actor=actor,
            name=form.get("name", ""),
            short_name=form.get("short_name") or None,
        )

    async def change(form: Form, _many: object) -> object:
        return await services.subject_rename(
            session,
            actor=actor,
            subject_id=form_id(form, "subject_id"),
            name=form.get("name", ""),
            short_name=form.get("short_name", ""),
        )

    async def delete(form: Form, _many: object) -> None:
        subject_id = form_id(form, "subject_id")
        await services.subject_delete(session, actor=actor, subject_id=subject_id)

    return await _setup_page(
        request,
        template="gradebook/setup/subjects.html",
        context=context,
        actions={"subject_add": add, "subject_change": change, "subject_delete": delete},
        key=lambda f: f"subject-{f.get('subject_id') or 'new'}",
    )


# --- courses -------------------------------------------------------------------------------


@page_endpoint(Role.admin)
async def admin_courses(request: Request) -> Response:
    """The courses by class: add one (class, subject, teachers, scale), change one's
    teachers and scale (`?edit=<course id>`)."""
    actor = acting_user(request)
    session = db(request)
    class_filter = query_int(request, "class")
    editing_id = query_int(request, "edit")

    async def context() -> dict[str, Any]:
        views = await gradebook_queries.courses_list(
            session, actor=actor, class_ref=str(class_filter) if class_filter else None
        )
        editing = None
        if editing_id is not None:
            editing = await gradebook_queries.course_get(session, actor=actor, course_id=editing_id)
        return {
            "courses": views,
            "classes": await classes_visible(session, actor=actor),
            "subjects": await gradebook_queries.subjects_of_school(
                session, school_id=actor.school_id
            ),
            "teachers": await queries.teachers_of_school(session, school_id=actor.school_id),
            "scales": list(SCALES.values()),
            "class_filter": class_filter,
            "editing": editing,
        }

    async def add(form: Form, many: dict[str, list[str]]) -> object:
        values = _fields(form, "class_id", "subject_id", "scale")
        data = parse_model(CourseCreate, values | {"teacher_ids": _ids(many["teacher_ids"])})
        return await structure_services.course_create(
            session,
            actor=actor,
            class_id=data.class_id,
            subject_id=data.subject_id,
            teacher_ids=data.teacher_ids,
            scale=data.scale,
        )

    async def change(form: Form, many: dict[str, list[str]]) -> object:
        values = _fields(form, "scale") | {"teacher_ids": _ids(many["teacher_ids"])}
        data = parse_model(CourseUpdate, values)
        return await services.course_change(
            session,
            actor=actor,
            course_id=form_id(form, "course_id"),
            teacher_ids=data.teacher_ids,
            scale=data.scale,
        )

    return await _setup_page(
        request,
        template="gradebook/setup/courses.html",
        context=context,
        actions={"course_add": add, "course_change": change},
        key=lambda f: f"course-{f.get('course_id') or 'new'}",
        lists=("teacher_ids",),
    )


# --- work types ----------------------------------------------------------------------------


@page_endpoint(Role.admin)
async def admin_work_types(request: Request) -> Response:
    """Work types and their weights: add, change, remove (while no mark uses it)."""
    actor = acting_user(request)
    session = db(request)

    async def context() -> dict[str, Any]:
        kinds = await gradebook_queries.work_types_of_school(session, school_id=actor.school_id)
        return {"work_types": kinds}

    async def save(form: Form, _many: object) -> object:
        data = parse_model(WorkTypeSave, _fields(form, "code", "name", "weight", "position"))
        return await structure_services.work_type_save(
            session,
            actor=actor,
            code=data.code,
            name=data.name,
            weight=data.weight,
            position=data.position,
        )

    async def remove(form: Form, _many: object) -> None:
        code = form.get("code", "")
        await services.work_type_remove(session, actor=actor, code=code)

    return await _setup_page(
        request,
        template="gradebook/setup/work_types.html",
        context=context,
        actions={"work_type_add": save, "work_type_save": save, "work_type_remove": remove},
        key=lambda f: "wt-new" if f.get("action") == "work_type_add" else f"wt-{f.get('code')}",
    )


# --- holidays ------------------------------------------------------------------------------


@page_endpoint(Role.admin)
async def admin_holidays(request: Request) -> Response:
    """Holidays: add (dates checked against the academic years), remove."""
    actor = acting_user(request)
    session = db(request)

    async def context() -> dict[str, Any]:
        return {
            "holidays": await gradebook_queries.holidays_of_school(
                session, school_id=actor.school_id
            ),
            "years": await years_of_school(session, school_id=actor.school_id),
        }

    async def add(form: Form, _many: object) -> object:
        data = parse_model(HolidayCreate, _fields(form, "name", "starts", "ends"))
        return await services.holiday_create(session, actor=actor, data=data)

    async def remove(form: Form, _many: object) -> None:
        holiday_id = form_id(form, "holiday_id")
        await structure_services.holiday_remove(session, actor=actor, holiday_id=holiday_id)

    return await _setup_page(
        request,
        template="gradebook/setup/holidays.html",
        context=context,
        actions={"holiday_add": add, "holiday_remove": remove},
        key=lambda f: f"holiday-{f.get('holiday_id') or 'new'}",
    )


routes: list[BaseRoute] = [
    Route("/admin/setup", admin_setup),
    Route("/admin/subjects", admin_subjects, methods=["GET", "POST"]),
    Route("/admin/courses", admin_courses, methods=["GET", "POST"]),
    Route("/admin/work-types", admin_work_types, methods=["GET", "POST"]),
    Route("/admin/holidays", admin_holidays, methods=["GET", "POST"]),
]
