"""The admin's people and classes pages: the lists, adding a person, one person's page with
their links and actions, a class with its pupils."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool import queries, services
from eschool.errors import DomainError, NotFound
from eschool.i18n import gettext as _
from eschool.models import (
    ClassCreate,
    ClassUpdate,
    Role,
    UserCreate,
    UserUpdate,
)
from eschool.web import (
    acting_user,
    db,
    form_id,
    page_endpoint,
    pagination,
    parse_model,
    path_int,
    read_form,
    render,
)


@page_endpoint(Role.admin)
async def admin_people(request: Request) -> Response:
    """People of the school, searchable, with a form to add one."""
    user = acting_user(request)
    page, per_page = pagination(request, default_per_page=50)
    role = request.query_params.get("role") or None
    q = request.query_params.get("q") or None
    people, total = await queries.users_list(
        db(request), actor=user, role=role, q=q, page=page, per_page=per_page
    )
    classes = await queries.classes_visible(db(request), actor=user)
    return render(
        request,
        "admin/people.html",
        people=people,
        total=total,
        page=page,
        per_page=per_page,
        role=role or "",
        q=q or "",
        classes=classes,
        roles=[r.value for r in Role],
        created=request.query_params.get("created"),
    )


@page_endpoint(Role.admin)
async def admin_people_add(request: Request) -> Response:
    """Add a person from the admin form; show the generated password once."""
    user = acting_user(request)
    form = await read_form(request)
    data = {key: value for key, value in form.items() if value and key != "csrf_token"}
    try:
        new_user, generated = await services.user_create(
            db(request), actor=user, data=parse_model(UserCreate, data)
        )
    except DomainError as exc:
        people, total = await queries.users_list(db(request), actor=user)
        return render(
            request,
            "admin/people.html",
            status=exc.status,
            error=exc.message,
            people=people,
            total=total,
            page=1,
            per_page=50,
            role="",
            q="",
            classes=await queries.classes_visible(db(request), actor=user),
            roles=[r.value for r in Role],
            form=data,
        )
    return render(request, "admin/person_created.html", person=new_user, password=generated)


PICKER_SIZE = 20
"""How many people a picker on an admin page lists for a search."""


@page_endpoint(Role.admin)
async def admin_person(request: Request) -> Response:
    """One person: edit, deactivate, reset the password, enrol, link parents."""
    user = acting_user(request)
    session = db(request)
    person = await queries.user_get(session, actor=user, user_id=path_int(request, "id"))
    context: dict[str, Any] = {"person": person}
    context["classes"] = await queries.classes_visible(session, actor=user)
    if person.role == Role.pupil:
        context["pupil_classes"] = await queries.classes_visible(session, actor=person)
        context["parents"] = await queries.parents_of(session, child_id=person.id or 0)
        # The parent picker searches by name or login and shows each match's login and
        # children, so that two parents with the same name are told apart.
        parent_q = (request.query_params.get("parent_q") or "").strip()[:100]
        found, context["parent_total"] = (
            await queries.users_list(
                session, actor=user, role=Role.parent, q=parent_q, per_page=PICKER_SIZE
            )
            if parent_q
            else ([], 0)
        )
        context["parent_q"] = parent_q
        context["parent_matches"] = [
            (parent, await queries.children_of(session, parent=parent)) for parent in found
        ]
    if person.role == Role.parent:
        context["children"] = await queries.children_of(session, parent=person)
        # The child picker searches like the parent picker; each match shows its login and
        # classes, so that two pupils with the same name are told apart.
        child_q = (request.query_params.get("child_q") or "").strip()[:100]
        found, context["child_total"] = (
            await queries.users_list(
                session, actor=user, role=Role.pupil, q=child_q, per_page=PICKER_SIZE
            )
            if child_q
            else ([], 0)
        )
        context["child_q"] = child_q
        context["child_matches"] = [
            (pupil, await queries.classes_visible(session, actor=pupil)) for pupil in found
        ]
    context["message"] = request.query_params.get("message")
    return render(request, "admin/person.html", **context)


@page_endpoint(Role.admin)
async def admin_person_action(request: Request) -> Response:
    """The forms of the person page, by their ``action`` field."""
    user = acting_user(request)
    session = db(request)
    person_id = path_int(request, "id")
    form = await read_form(request)
    action = form.get("action")
    if action == "update":
        data = parse_model(
            UserUpdate, {"name": form.get("name"), "email": form.get("email") or None}
        )
        await services.user_update(session, actor=user, user_id=person_id, data=data)
        message = _("Saved.")
    elif action in ("deactivate", "activate"):
        data = UserUpdate(active=action == "activate")
        await services.user_update(session, actor=user, user_id=person_id, data=data)
        message = _("Saved.")
    elif action == "reset_password":
        password = await services.user_password_set(session, actor=user, user_id=person_id)
        person = await queries.user_get(session, actor=user, user_id=person_id)
        return render(request, "admin/person_created.html", person=person, password=password)
    elif action == "enrol":
        class_id = form_id(form, "class_id")
        await services.enrolment_add(session, actor=user, class_id=class_id, pupil_id=person_id)
        message = _("Enrolled.")
    elif action == "link_parent":
        parent_id = form_id(form, "parent_id")
        await services.guardian_link(session, actor=user, parent_id=parent_id, child_id=person_id)
        message = _("Linked.")
    elif action == "link_child":
        child_id = form_id(form, "child_id")
        await services.guardian_link(session, actor=user, parent_id=person_id, child_id=child_id)
        message = _("Linked.")
    else:
        raise NotFound("Unknown action.")
    return RedirectResponse(f"/admin/people/{person_id}?message={message}", status_code=303)


@page_endpoint(Role.admin)
async def admin_classes(request: Request) -> Response:
    """Classes of the school with their sizes and tutors; a form to add one."""
    user = acting_user(request)
    session = db(request)
    error = None
    if request.method == "POST":
        form = await read_form(request)
        data = {k: v for k, v in form.items() if v and k in ("name", "grade", "form_tutor_id")}
        try:
            await services.class_create(session, actor=user, data=parse_model(ClassCreate, data))
        except DomainError as exc:
            error = exc.message
        else:
            return RedirectResponse("/admin/classes", status_code=303)
    classes = await queries.classes_visible(session, actor=user)
    sizes = {
        c.id: len(await queries.class_pupils(session, actor=user, class_id=c.id or 0))
        for c in classes
    }
    teachers, _total = await queries.users_list(
        session, actor=user, role=Role.teacher, per_page=200
    )
    names = {t.id: t.name for t in teachers}
    return render(
        request,
        "admin/classes.html",
        status=422 if error else 200,
        error=error,
        classes=classes,
        sizes=sizes,
        teachers=teachers,
        tutor_names=names,
    )


@page_endpoint(Role.admin, Role.teacher)
async def class_page(request: Request) -> Response:
    """A class with its pupils (and, for the admin, the tutor form)."""
    user = acting_user(request)
    session = db(request)
    class_id = path_int(request, "id")
    school_class = await queries.class_get(session, actor=user, class_id=class_id)
    if request.method == "POST" and user.role == Role.admin:
        form = await read_form(request)
        if "active" in form:
            data = ClassUpdate(active=form["active"] == "1")
        else:
            tutor = form.get("form_tutor_id")
            data = ClassUpdate(form_tutor_id=form_id(form, "form_tutor_id") if tutor else None)
        await services.class_update(session, actor=user, class_id=class_id, data=data)
        return RedirectResponse(f"/admin/classes/{class_id}", status_code=303)
    pupils = await queries.class_pupils(session, actor=user, class_id=class_id)
    teachers, _total = await queries.users_list(
        session, actor=user, role=Role.teacher, per_page=200
    )
    return render(
        request, "admin/class.html", school_class=school_class, pupils=pupils, teachers=teachers
    )


routes: list[BaseRoute] = [
    Route("/admin/people", admin_people, methods=["GET"]),
    Route("/admin/people", admin_people_add, methods=["POST"]),
    Route("/admin/people/{id:int}", admin_person, methods=["GET"]),
    Route("/admin/people/{id:int}", admin_person_action, methods=["POST"]),
    Route("/admin/classes", admin_classes, methods=["GET", "POST"]),
    Route("/admin/classes/{id:int}", class_page, methods=["GET", "POST"]),
]
