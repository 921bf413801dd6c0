"""The app shell's routes: sign-in, home, language, health, people and classes (pages + API)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool import queries, services
from eschool.db import database_ok
from eschool.errors import DomainError, NotFound, Unauthorized
from eschool.i18n import LANGUAGES
from eschool.i18n import gettext as _
from eschool.middleware import LANG_COOKIE, SESSION_COOKIE
from eschool.models import (
    ClassCreate,
    ClassUpdate,
    EnrolmentCreate,
    GuardianLink,
    PasswordReset,
    Role,
    UserCreate,
    UserUpdate,
)
from eschool.notifications import queries as notification_queries
from eschool.notifications.present import settings_context
from eschool.school_pages import routes as school_routes
from eschool.signin_pages import (
    account_password,
    api_token_create,
    login_page,
    login_submit,
    safe_next,
    throttle_of,
)
from eschool.uploads.routes import routes as upload_routes
from eschool.web import (
    acting_user,
    api_endpoint,
    client_address,
    current_user,
    db,
    form_id,
    json_list,
    json_ok,
    page_endpoint,
    pagination,
    parse_model,
    path_int,
    read_form,
    read_json,
    render,
)

# --- helpers --------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    return await read_form(request)


# --- operations -----------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    """Liveness and readiness: database and broker."""
    database = await database_ok(request.app.state.engine)
    try:
        broker = await request.app.state.broker.ping()
    except Exception:
        broker = False
    body = {
        "status": "ok" if database and broker else "unavailable",
        "database": "ok" if database else "unreachable",
        "broker": "ok" if broker else "unreachable",
    }
    return JSONResponse(body, status_code=200 if database and broker else 503)


# --- pages: sign-in, home, account ----------------------------------------------------


async def logout(request: Request) -> Response:
    """Revoke the session and forget the cookie."""
    auth = request.state.auth
    if auth is not None:
        await services.auth_logout(db(request), auth=auth)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def set_lang(request: Request) -> Response:
    """Choose the interface language (stored on the user, and in a cookie)."""
    form = await _form(request)
    lang = form.get("lang", "")
    if lang not in LANGUAGES:
        lang = "en"
    user = current_user(request)
    if user is not None:
        await services.user_update(
            db(request), actor=user, user_id=user.id or 0, data=UserUpdate(lang=lang)
        )
    referer = request.headers.get("referer", "/")
    response = RedirectResponse(safe_next(urlsplit(referer).path or "/"), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


@page_endpoint()
async def home(request: Request) -> Response:
    """Each role's own start page."""
    user = acting_user(request)
    info = await queries.me(db(request), user=user)
    panels = [await panel(request) for panel in getattr(request.app.state, "home_panels", ())]
    return render(request, f"home_{user.role}.html", me=info, panels=panels)


@page_endpoint()
async def account_page(request: Request) -> Response:
    """The person's own settings: password, language and notifications."""
    user = acting_user(request)
    chosen = await notification_queries.settings_of(db(request), user_id=user.id or 0)
    return render(request, "account.html", **settings_context(chosen))


# --- admin pages ------------------------------------------------------------------------


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
    form = await _form(request)
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
    form = await _form(request)
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
        form = await _form(request)
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
        form = await _form(request)
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


# --- JSON API ----------------------------------------------------------------------------


async def api_token_revoke(request: Request) -> Response:
    """Revoke the token (or session) used for this request."""
    auth = request.state.auth
    if auth is None:
        raise Unauthorized("Sign in or send an API token.")
    await services.auth_logout(db(request), auth=auth)
    return Response(status_code=204)


@api_endpoint()
async def api_me(request: Request) -> Response:
    """Who am I: the person, their classes and children."""
    user = acting_user(request)
    return json_ok(await queries.me(db(request), user=user))


@api_endpoint()
async def api_users(request: Request) -> Response:
    """People the caller may see (GET), or add one (POST, admin)."""
    user = acting_user(request)
    session = db(request)
    if request.method == "POST":
        data = await read_json(request, UserCreate)
        new_user, generated = await services.user_create(session, actor=user, data=data)
        body = queries.user_public(new_user)
        if generated:
            body["password"] = generated
        return json_ok(body, status=201)
    page, per_page = pagination(request, default_per_page=50)
    class_id = None
    class_name = request.query_params.get("class")
    if class_name:
        found = await queries.class_by_name(session, school_id=user.school_id, name=class_name)
        if found is None:
            return json_list([], 0, page=page, per_page=per_page)
        class_id = found.id
    people, total = await queries.users_list(
        session,
        actor=user,
        role=request.query_params.get("role") or None,
        class_id=class_id,
        q=request.query_params.get("q") or None,
        page=page,
        per_page=per_page,
    )
    return json_list([queries.user_public(p) for p in people], total, page=page, per_page=per_page)


@api_endpoint()
async def api_user(request: Request) -> Response:
    """One person (GET) or an edit (PATCH)."""
    user = acting_user(request)
    user_id = path_int(request, "id")
    if request.method == "PATCH":
        data = await read_json(request, UserUpdate)
        person = await services.user_update(db(request), actor=user, user_id=user_id, data=data)
    else:
        person = await queries.user_get(db(request), actor=user, user_id=user_id)
    return json_ok(queries.user_public(person))


@api_endpoint()
async def api_user_password(request: Request) -> Response:
    """Reset a person's password (admin), or change one's own with ``current_password`` (any
    role, the admin too); the new one is returned once."""
    user = acting_user(request)
    body = await request.body()
    data = await read_json(request, PasswordReset) if body else PasswordReset()
    password = await services.user_password_set(
        db(request),
        actor=user,
        user_id=path_int(request, "id"),
        password=data.password,
        current_password=data.current_password,
        address=client_address(request),
        throttle=throttle_of(request),
    )
    return json_ok({"password": password})


@api_endpoint()
async def api_classes(request: Request) -> Response:
    """Classes the caller may see (GET), or add one (POST, admin)."""
    user = acting_user(request)
    if request.method == "POST":
        data = await read_json(request, ClassCreate)
        school_class = await services.class_create(db(request), actor=user, data=data)
        return json_ok(queries.class_public(school_class), status=201)
    classes = await queries.classes_visible(db(request), actor=user)
    return json_list([queries.class_public(c) for c in classes], len(classes))


@api_endpoint()
async def api_class(request: Request) -> Response:
    """One class (GET) or a change of tutor / deactivation (PATCH, admin)."""
    user = acting_user(request)
    class_id = path_int(request, "id")
    if request.method == "PATCH":
        data = await read_json(request, ClassUpdate)
        school_class = await services.class_update(
            db(request), actor=user, class_id=class_id, data=data
        )
    else:
        school_class = await queries.class_get(db(request), actor=user, class_id=class_id)
    return json_ok(queries.class_public(school_class))


@api_endpoint()
async def api_class_pupils(request: Request) -> Response:
    """The pupils of a class (GET) or enrol one (POST, admin)."""
    user = acting_user(request)
    class_id = path_int(request, "id")
    if request.method == "POST":
        data = await read_json(request, EnrolmentCreate)
        await services.enrolment_add(
            db(request), actor=user, class_id=class_id, pupil_id=data.pupil_id
        )
    pupils = await queries.class_pupils(db(request), actor=user, class_id=class_id)
    status = 201 if request.method == "POST" else 200
    body = {"items": [queries.user_public(p) for p in pupils], "total": len(pupils)}
    return json_ok(body, status=status)


@api_endpoint(Role.admin)
async def api_class_pupil_remove(request: Request) -> Response:
    """Take a pupil out of a class (admin)."""
    user = acting_user(request)
    await services.enrolment_remove(
        db(request),
        actor=user,
        class_id=path_int(request, "id"),
        pupil_id=path_int(request, "pupil_id"),
    )
    return Response(status_code=204)


@api_endpoint(Role.admin)
async def api_guardians(request: Request) -> Response:
    """Link (POST) or unlink (DELETE) a parent and a child (admin)."""
    user = acting_user(request)
    data = await read_json(request, GuardianLink)
    if request.method == "DELETE":
        await services.guardian_unlink(
            db(request), actor=user, parent_id=data.parent_id, child_id=data.child_id
        )
        return Response(status_code=204)
    await services.guardian_link(
        db(request), actor=user, parent_id=data.parent_id, child_id=data.child_id
    )
    return json_ok({"parent_id": data.parent_id, "child_id": data.child_id}, status=201)


routes: list[BaseRoute] = [
    Route("/healthz", healthz),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/lang", set_lang, methods=["POST"]),
    Route("/", home),
    Route("/account", account_page, methods=["GET"]),
    Route("/account/password", account_password, methods=["POST"]),
    Route("/admin/people", admin_people, methods=["GET"]),
    Route("/admin/people", admin_people_add, methods=["POST"]),
    Route("/admin/people/{id:int}", admin_person, methods=["GET"]),
    Route("/admin/people/{id:int}", admin_person_action, methods=["POST"]),
    Route("/admin/classes", admin_classes, methods=["GET", "POST"]),
    Route("/admin/classes/{id:int}", class_page, methods=["GET", "POST"]),
    Route("/api/v1/auth/token", api_token_create, methods=["POST"]),
    Route("/api/v1/auth/token", api_token_revoke, methods=["DELETE"]),
    Route("/api/v1/me", api_me),
    Route("/api/v1/users", api_users, methods=["GET", "POST"]),
    Route("/api/v1/users/{id:int}", api_user, methods=["GET", "PATCH"]),
    Route("/api/v1/users/{id:int}/password", api_user_password, methods=["POST"]),
    Route("/api/v1/classes", api_classes, methods=["GET", "POST"]),
    Route("/api/v1/classes/{id:int}", api_class, methods=["GET", "PATCH"]),
    Route("/api/v1/classes/{id:int}/pupils", api_class_pupils, methods=["GET", "POST"]),
    Route(
        "/api/v1/classes/{id:int}/pupils/{pupil_id:int}", api_class_pupil_remove, methods=["DELETE"]
    ),
    Route("/api/v1/guardians", api_guardians, methods=["POST", "DELETE"]),
    *school_routes,  # years and terms: eschool/school_pages.py
    *upload_routes,
]
