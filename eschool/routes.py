"""The app shell's routes: sign-in, home, language, health, people and classes (pages + API)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool import queries, services
from eschool.api_schema import Body, ItemList, operation
from eschool.db import database_ok
from eschool.errors import Unauthorized
from eschool.i18n import LANGUAGES
from eschool.middleware import LANG_COOKIE, SESSION_COOKIE
from eschool.models import (
    ClassCreate,
    ClassPublic,
    ClassUpdate,
    EnrolmentCreate,
    GuardianLink,
    GuardianLinkPublic,
    MePublic,
    PasswordPublic,
    PasswordReset,
    Role,
    UserCreate,
    UserCreatedPublic,
    UserPublic,
    UsersQuery,
    UserUpdate,
)
from eschool.notifications import queries as notification_queries
from eschool.notifications.present import settings_context
from eschool.openapi import openapi_document
from eschool.people_pages import routes as people_routes
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
    json_list,
    json_ok,
    page_endpoint,
    path_int,
    read_form,
    read_json,
    read_query,
    render,
)

ADMIN = (Role.admin,)

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


@operation(
    "GET",
    "This API's OpenAPI 3.1 document",
    public=True,
    responses={200: Body("application/json", "The OpenAPI document.", {"type": "object"})},
)
async def api_openapi(request: Request) -> Response:
    """The OpenAPI 3.1 document of every ``/api/v1`` route, built from the routes' own
    declarations on first request (the API reference page at ``/api`` reads it)."""
    document = getattr(request.app.state, "openapi_document", None)
    if document is None:
        document = json.dumps(openapi_document(request.app.routes), ensure_ascii=False).encode()
        request.app.state.openapi_document = document
    return Response(document, media_type="application/json")


async def api_reference(request: Request) -> Response:
    """The API reference page (our own viewer of the OpenAPI document, under static/)."""
    return RedirectResponse("/static/api/index.html", status_code=307)


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
    form = await read_form(request)
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


# --- JSON API ----------------------------------------------------------------------------


@operation(
    "DELETE", "Sign out: revoke the token (or session) of this request", responses={204: None}
)
async def api_token_revoke(request: Request) -> Response:
    """Revoke the token (or session) used for this request."""
    auth = request.state.auth
    if auth is None:
        raise Unauthorized("Sign in or send an API token.")
    await services.auth_logout(db(request), auth=auth)
    return Response(status_code=204)


@api_endpoint()
@operation("GET", "Who am I", responses={200: MePublic})
async def api_me(request: Request) -> Response:
    """Who am I: the person, their classes and children."""
    user = acting_user(request)
    return json_ok(await queries.me(db(request), user=user))


@api_endpoint()
@operation(
    "GET",
    "The people the caller may see",
    description="A teacher sees the staff and the pupils they teach; a pupil or a parent "
    "themselves and their own. `class` is a class of the current year, e.g. `7A`.",
    query=UsersQuery,
    responses={200: ItemList[UserPublic]},
)
@operation(
    "POST",
    "Add a person",
    description="Without `password` one is generated and answered once, as `password`. "
    "`class` enrols a new pupil in a class of the current year.",
    body=UserCreate,
    roles=ADMIN,
    responses={201: UserCreatedPublic | UserPublic},
    errors=(409,),
)
async def api_users(request: Request) -> Response:
    """People the caller may see (GET), or add one (POST, admin)."""
    user = acting_user(request)
    session = db(request)
    if request.method == "POST":
        data = await read_json(request, UserCreate)
        new_user, generated = await services.user_create(session, actor=user, data=data)
        public = queries.user_public(new_user)
        if generated:
            public = UserCreatedPublic(**public.model_dump(), password=generated)
        return json_ok(public, status=201)
    query = read_query(request, UsersQuery)
    page, per_page = query.page, query.per_page
    class_id = None
    if query.class_name:
        found = await queries.class_by_name(
            session, school_id=user.school_id, name=query.class_name
        )
        if found is None:
            return json_list([], 0, page=page, per_page=per_page)
        class_id = found.id
    people, total = await queries.users_list(
        session,
        actor=user,
        role=query.role,
        class_id=class_id,
        q=query.q,
        page=page,
        per_page=per_page,
    )
    return json_list([queries.user_public(p) for p in people], total, page=page, per_page=per_page)


@api_endpoint()
@operation("GET", "A person", responses={200: UserPublic})
@operation(
    "PATCH",
    "Edit a person",
    description="The admin edits anyone of the school; anyone else only their own `email` "
    "and `lang`. Only the fields sent change.",
    body=UserUpdate,
    responses={200: UserPublic},
    errors=(403,),
)
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
@operation(
    "POST",
    "Set a new password",
    description="The admin resets anyone's (`password` or a generated one); anyone changes "
    "their own with `current_password` (wrong ones are throttled like sign-ins). Every "
    "session of that person is signed out. The body may be left out for a generated one.",
    body=PasswordReset,
    body_required=False,
    responses={200: PasswordPublic},
    errors=(403, 429),
)
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
    return json_ok(PasswordPublic(password=password))


@api_endpoint()
@operation("GET", "The classes the caller may see", responses={200: ItemList[ClassPublic]})
@operation(
    "POST",
    "Add a class to the current academic year",
    body=ClassCreate,
    roles=ADMIN,
    responses={201: ClassPublic},
    errors=(409,),
)
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
@operation("GET", "A class", responses={200: ClassPublic})
@operation(
    "PATCH",
    "Change a class's form tutor, or deactivate it",
    body=ClassUpdate,
    roles=ADMIN,
    responses={200: ClassPublic},
)
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
@operation("GET", "The pupils of a class", responses={200: ItemList[UserPublic]})
@operation(
    "POST",
    "Enrol a pupil in a class",
    description="A pupil is in one class of a year: enrolling moves them from another class "
    "of the same year. Answers the class's pupils.",
    body=EnrolmentCreate,
    roles=ADMIN,
    responses={201: ItemList[UserPublic]},
)
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
@operation("DELETE", "Take a pupil out of a class", roles=ADMIN, responses={204: None})
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
@operation(
    "POST",
    "Link a parent and a child",
    body=GuardianLink,
    roles=ADMIN,
    responses={201: GuardianLinkPublic},
)
@operation(
    "DELETE",
    "Unlink a parent and a child",
    body=GuardianLink,
    roles=ADMIN,
    responses={204: None},
    errors=(404,),
)
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
    link = GuardianLinkPublic(parent_id=data.parent_id, child_id=data.child_id)
    return json_ok(link, status=201)


routes: list[BaseRoute] = [
    Route("/healthz", healthz),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/lang", set_lang, methods=["POST"]),
    Route("/", home),
    Route("/account", account_page, methods=["GET"]),
    Route("/account/password", account_password, methods=["POST"]),
    Route("/api/v1/openapi.json", api_openapi, methods=["GET"]),
    Route("/api", api_reference, methods=["GET"]),
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
    *people_routes,  # admin people and classes pages: eschool/people_pages.py
    *school_routes,  # years and terms: eschool/school_pages.py
    *upload_routes,
]
