"""The live lesson's pages: ``/live`` (start a lesson, enter a code), ``/join`` (a code and a
visitor's name → the right view), the pupil's, the teacher's and the observer's views of a
lesson, its report, and what those pages load: the join QR code and the lesson's files."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from eschool.errors import DomainError, Forbidden, NotFound, TooManyRequests, Unauthorized
from eschool.i18n import gettext as _
from eschool.models import Role, id_from_text
from eschool.signin_pages import presession_cookie, presession_ok, presession_token
from eschool.uploads.queries import upload_in_school
from eschool.uploads.routes import file_response
from eschool.web import acting_user, current_user, db, page_endpoint, parse_model, read_form, render
from lessons.blocks import block_assets
from live import queries, services
from live.api_routes import api_report, deprecated
from live.feedback import feedback_summary
from live.models import LiveStart, ObserverJoin, SessionStatus
from live.page_context import room_context
from live.qr import qr_svg
from live.route_helpers import (
    base_url,
    observer_join,
    participant,
    read_report,
    recordings,
    secret_of,
    session_for,
    today,
    where_to,
)
from live.rubrics import rubric_public, rubrics_list
from live.visitor_pass import OBSERVER_COOKIE_PREFIX, visitor_pass

JOIN_PATH = "/join"
_JOIN_PURPOSE = "join-form"


async def qr_image(request: Request) -> Response:
    """``GET /live/{code}/qr.svg``: the join URL as a QR code (made here, nothing fetched)."""
    canonical = queries.code_normalize(str(request.path_params["code"]))
    if canonical is None:
        raise NotFound(_("No live lesson has this code."))
    url = f"{base_url(request)}/join?code={queries.code_display(canonical)}"
    return Response(
        qr_svg(url),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, max-age=86400"},
    )


async def asset_file(request: Request) -> Response:
    """``GET /live/{code}/assets/{sha}``: a file the lesson shows, to anyone in the room
    (visiting observers included, with their pass). Only the pass is checked here: the file
    is served by the shell's :func:`~eschool.uploads.routes.file_response`, like every file."""
    sha256 = str(request.path_params["sha"])
    token = None
    if current_user(request) is None:
        # A visitor without a pass is turned away before the code is looked up.
        token = visitor_pass(request)
        if token is None:
            raise Unauthorized(_("Sign in, or join as a guest with the code and your name."))
    live = await session_for(request)
    await participant(request, live, token)
    if sha256 not in block_assets(live.blocks):
        raise NotFound(_("No such file."))
    upload = await upload_in_school(db(request), school_id=live.school_id, sha256=sha256)
    return await file_response(request.app.state.settings.uploads_dir, upload)


@page_endpoint()
async def live_page(request: Request) -> Response:
    """``/live``: teachers start a lesson and see their running ones; pupils enter a code."""
    user = acting_user(request)
    session = db(request)
    running = await queries.sessions_running(session, actor=user)
    context: dict[str, Any] = {
        "running": [
            queries.session_public(live, base_url=base_url(request)).model_dump(mode="json")
            for live in running
        ],
        "error": None,
    }
    if user.role == Role.teacher:
        context["lessons"] = await queries.startable_lessons(session, actor=user)
        context["slots"] = await queries.slots_today(session, actor=user, today=today(request))
        context["recent"] = [
            queries.session_public(live, base_url=base_url(request)).model_dump(mode="json")
            for live in await queries.sessions_recent(session, actor=user)
        ]
        chosen = request.query_params.get("lesson_id", "")
        context["chosen_lesson"] = id_from_text(chosen)
        rubrics = await rubrics_list(session, actor=user)
        context["rubrics"] = [rubric_public(r).model_dump(mode="json") for r in rubrics]
    return render(request, "live/index.html", **context)


@page_endpoint(Role.teacher)
async def live_start_form(request: Request) -> Response:
    """``POST /live`` (the form): start and go to the presenter view."""
    fields = {key: value for key, value in (await read_form(request)).items() if value}
    data = parse_model(
        LiveStart,
        {
            "lesson_id": fields.get("lesson_id"),
            "slot_id": fields.get("slot_id"),
            "allow_observers": fields.get("allow_observers") == "on",
            "allow_observer_replay": fields.get("allow_observer_replay") == "on",
            "rubric_id": fields.get("rubric_id"),
        },
    )
    live = await services.session_start(db(request), actor=acting_user(request), data=data)
    return RedirectResponse(f"/live/{queries.code_display(live.code)}/present", status_code=303)


def _join_form(
    request: Request,
    *,
    code: str,
    name: str = "",
    error: str | None = None,
    status: int = 200,
    exc: DomainError | None = None,
) -> Response:
    """The join form; a visitor's (no session yet) carries the sign-in form's kind of token;
    a 429 says when to try again."""
    token, fresh = (
        presession_token(request, _JOIN_PURPOSE) if current_user(request) is None else ("", None)
    )
    response = render(
        request, "live/join.html", status=status, code=code, name=name, error=error, join_csrf=token
    )
    presession_cookie(request, response, fresh, JOIN_PATH)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def join_page(request: Request) -> Response:
    """``/join``: the code (and a visitor's name) → the right view of the lesson."""
    return _join_form(request, code=request.query_params.get("code", ""))


async def join_submit(request: Request) -> Response:
    """``POST /join``: a signed-in person goes to their view; a visitor becomes an observer."""
    form = await read_form(request)
    code = form.get("code", "").strip()
    name = form.get("name", "")
    user = current_user(request)
    session = db(request)
    try:
        if user is not None:
            live = await queries.session_by_code(session, code=code, school_id=user.school_id)
            actor = await services.participant_for(
                session, live=live, user=user, token=None, secret=secret_of(request.app)
            )
            return RedirectResponse(where_to(live, actor), status_code=303)
        if not presession_ok(request, _JOIN_PURPOSE, form.get("csrf_token", "")):
            raise Forbidden(_("The form had expired. Please try again."))
        data = parse_model(ObserverJoin, {"name": name})
        live, token, _observer = await observer_join(request, code=code, name=data.name)
    except DomainError as exc:
        return _join_form(
            request, code=code, name=name, error=exc.message, status=exc.status, exc=exc
        )
    display = queries.code_display(live.code)
    response = RedirectResponse(f"/live/{display}/watch", status_code=303)
    response.set_cookie(
        OBSERVER_COOKIE_PREFIX + live.code,
        token,
        max_age=services.OBSERVER_TOKEN_SECONDS,
        path="/live/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response


@page_endpoint()
async def pupil_page(request: Request) -> Response:
    """``/live/{code}``: the pupil's view (others are sent to theirs)."""
    live = await session_for(request)
    actor = await participant(request, live)
    if actor.role != "pupil":
        return RedirectResponse(where_to(live, actor), status_code=303)
    context = await room_context(request, live, actor)
    return render(request, "live/pupil.html", **context)


@page_endpoint(Role.teacher, Role.admin)
async def present_page(request: Request) -> Response:
    """``/live/{code}/present``: the teacher's console (the class sees ``/live/{code}/board``)."""
    live = await session_for(request)
    actor = await participant(request, live)
    if actor.role != "teacher":
        raise Forbidden(_("Only the teacher who runs this lesson may present it."))
    context = await room_context(request, live, actor)
    return render(request, "live/present.html", **context)


async def watch_page(request: Request) -> Response:
    """``/live/{code}/watch``: the observer's view; a visitor needs the pass from ``/join``."""
    user = current_user(request)
    token = visitor_pass(request, cookies=(OBSERVER_COOKIE_PREFIX,)) if user is None else None
    if user is None and token is None:
        typed = str(request.path_params["code"])
        return RedirectResponse(f"/join?code={quote(typed)}", status_code=303)
    live = await session_for(request)
    try:
        actor = await participant(request, live, token)
    except DomainError as exc:
        if user is None and exc.status == 401:
            return RedirectResponse(
                f"/join?code={quote(queries.code_display(live.code))}", status_code=303
            )
        raise
    if actor.role != "observer":
        return RedirectResponse(where_to(live, actor), status_code=303)
    context = await room_context(request, live, actor, token=token or "")
    return render(request, "live/watch.html", token=token or "", **context)


@page_endpoint(Role.teacher, Role.admin)
async def report_page(request: Request) -> Response:
    """``/live/{code}/report``: the report, with the proposed marks to confirm."""
    live = await session_for(request)
    user = acting_user(request)
    body = await read_report(request, live, user)
    return render(
        request,
        "live/report.html",
        live=queries.session_public(live, base_url=base_url(request)).model_dump(mode="json"),
        report=body,
        proposed_by_pupil={entry["pupil_id"]: entry for entry in body.get("proposed", [])},
        recordings=await recordings(request, live),
        ended=live.status == SessionStatus.ended,
        has_slot=live.slot_id is not None,
        journal_done=live.journal_at is not None,
        feedback=(await feedback_summary(db(request), live=live)).model_dump(mode="json"),
    )


async def report_endpoint(request: Request) -> Response:
    """``GET /live/{code}/report``: the report page for a browser; for one release still the
    JSON report too (deprecated: ``GET /api/v1/live/{code}/report``)."""
    if "text/html" in request.headers.get("accept", ""):
        return await report_page(request)
    return deprecated(request, await api_report(request))
