"""Routes of live lessons: the JSON API, the pages and the room's WebSocket.

Its :func:`lifespan` builds the hub (and the durable log that feeds it) on ``app.state``; the
socket's session itself is :mod:`live.socket_session`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from eschool.errors import DomainError, Forbidden, NotFound, TooManyRequests, Unauthorized
from eschool.i18n import gettext as _
from eschool.models import Role, User, id_from_text
from eschool.privacy.services import access_record
from eschool.signin_pages import presession_cookie, presession_ok, presession_token
from eschool.uploads.queries import upload_in_school
from eschool.uploads.routes import file_response
from eschool.web import (
    api_endpoint,
    client_address,
    current_user,
    db,
    deprecated_path,
    json_list,
    json_ok,
    page_endpoint,
    parse_model,
    read_form,
    read_json,
    render,
)
from live import board_pass, queries, services
from live.board_routes import routes as board_routes
from live.feedback import feedback_summary
from live.hub import DEFAULT_OUTBOX_SIZE, DEFAULT_PRESENCE_TICK, Hub
from live.media import MediaSignalling
from live.models import JournalConfirm, LiveSession, LiveStart, ObserverJoin, SessionStatus
from live.page_context import option
from live.page_context import room_context as _room_context
from live.qr import qr_svg
from live.recordings import RECORDING_NAME, recordings_of
from live.replay_routes import routes as replay_routes
from live.room import Actor
from live.rtc_types import rtc_config
from live.rubric_routes import routes as rubric_routes
from live.rubrics import rubric_public, rubrics_list
from live.socket_session import RATE_BURST as RATE_BURST  # where callers have found them
from live.socket_session import RATE_PER_SECOND as RATE_PER_SECOND
from live.socket_session import live_socket
from live.socket_session import origin_allowed as origin_allowed
from live.visitor_pass import OBSERVER_COOKIE_PREFIX, visitor_pass

logger = logging.getLogger(__name__)
Endpoint = Callable[[Request], Awaitable[Response]]


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Build the hub, the durable log and the media (``app.state.media``, the process's
    ``MediaHub``, and ``app.state.live_media``, its signalling) on ``app.state``; close them on
    shutdown."""
    settings = app.state.settings
    log = services.EventLog(
        app.state.sessionmaker,
        app.state.broker,
        drop_ended=settings.broker_url.startswith("memory"),
    )
    hub = Hub(
        app.state.broker,
        load_room=services.room_loader(app.state.sessionmaker),
        log=log,
        outbox_size=int(option(app, "live_outbox_size", DEFAULT_OUTBOX_SIZE)),
        presence_tick=float(option(app, "live_presence_tick", DEFAULT_PRESENCE_TICK)),
    )
    app.state.live_log = log
    app.state.live_code_guesses = services.CodeGuesses()
    app.state.hub = hub
    signalling = MediaSignalling(
        config=rtc_config(settings),
        hub=hub,
        broker=app.state.broker,
        recordings_dir=_recordings_dir(app),
    )
    await signalling.start()
    app.state.live_media = signalling
    app.state.media = signalling.media
    try:
        yield
    finally:
        await signalling.close()
        await hub.close()
        await log.close()


def _today(request: Request) -> date:
    """Today where the school is."""
    return datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


def _user(request: Request) -> User:
    user = current_user(request)
    assert user is not None  # the endpoint guards made sure
    return user


def _hub(app: Starlette) -> Hub:
    return app.state.hub


def _log(app: Starlette) -> services.EventLog:
    return app.state.live_log


def _media(app: Starlette) -> MediaSignalling:
    return app.state.live_media


def _recordings_dir(app: Starlette) -> Path:
    return app.state.settings.data_dir / "recordings"


async def _recordings(request: Request, live: LiveSession) -> list[dict[str, Any]]:
    """The lesson's video recordings, each with the ``url`` it is played from."""
    found = await asyncio.to_thread(recordings_of, _recordings_dir(request.app), live.code)
    code = queries.code_display(live.code)
    return [{**item, "url": f"/live/{code}/recordings/{item['name']}"} for item in found]


def _base_url(request: Request | WebSocket) -> str:
    return str(request.base_url).rstrip("/")


def _secret(app: Starlette) -> str:
    return app.state.settings.secret_key


async def _session_for(request: Request, *, any_school: bool = False) -> LiveSession:
    user = current_user(request)
    school_id = None if any_school or user is None else user.school_id
    return await queries.session_by_code(
        db(request), code=str(request.path_params["code"]), school_id=school_id
    )


# --- JSON API ------------------------------------------------------------------------------


@api_endpoint(Role.teacher)
async def api_start(request: Request) -> Response:
    """``POST /api/v1/live`` ``{"lesson_id","slot_id"?,"class_id"?,"version"?,
    "allow_observers"}`` → 201 ``{"id","code","join_url","ws_url",...}``."""
    data = await read_json(request, LiveStart)
    live = await services.session_start(db(request), actor=_user(request), data=data)
    body = queries.session_public(live, base_url=_base_url(request))
    return json_ok(body, 201, headers={"Location": body["present_url"]})


@api_endpoint()
async def api_running(request: Request) -> Response:
    """``GET /api/v1/live``: the running sessions that concern me."""
    found = await queries.sessions_running(db(request), actor=_user(request))
    base = _base_url(request)
    return json_list([queries.session_public(live, base_url=base) for live in found], len(found))


async def _observer_join(request: Request, *, code: str, name: str) -> tuple[Any, str, Actor]:
    """Let a visitor in, counting wrong codes per address (see ``services.CodeGuesses``)."""
    guesses: services.CodeGuesses = request.app.state.live_code_guesses
    address = client_address(request)
    await guesses.check(db(request), address)
    try:
        return await services.observer_join(
            db(request), code=code, name=name, secret=_secret(request.app)
        )
    except NotFound:
        await guesses.failed(db(request), address)
        raise


async def api_observer_join(request: Request) -> Response:
    """``POST /live/{code}/join`` ``{"name"}`` (no login) → ``{"token","role":"observer",...}``."""
    data = await read_json(request, ObserverJoin)
    live, token, observer = await _observer_join(
        request, code=str(request.path_params["code"]), name=data.name
    )
    public = queries.session_public(live, base_url=_base_url(request))
    return json_ok(
        {
            "token": token,
            "role": "observer",
            "id": observer.id,
            "name": observer.name,
            "code": public["code"],
            "title": live.title,
            "ws_url": public["ws_url"],
        }
    )


@api_endpoint(Role.teacher, Role.admin)
async def api_end(request: Request) -> Response:
    """``POST /live/{code}/end`` → the report."""
    live = await _session_for(request)
    body = await services.session_end(
        db(request), actor=_user(request), live=live, hub=_hub(request.app), log=_log(request.app)
    )
    try:
        await _media(request.app).lesson_ended(live.code)
    except Exception:  # the report is what matters here; an unclosed room times out by itself
        logger.warning("live room %s: media not closed at the end", live.code, exc_info=True)
    return json_ok(body)


@api_endpoint(Role.teacher, Role.admin)
async def api_media(request: Request) -> Response:
    """``GET /live/{code}/media`` → ``{"homed","live","kind","viewers","peers",
    "process_peers"}``: the room's media as its home process sees it (peer connections of the
    room and of that whole process)."""
    live = await _session_for(request)
    services.require_runner(_user(request), live)
    return json_ok(await _media(request.app).status(live.code))


def _wants_page(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def report_endpoint(request: Request) -> Response:
    """``GET /live/{code}/report``: the report page for a browser; for one release still the
    JSON report too (deprecated: ``GET /api/v1/live/{code}/report``)."""
    if _wants_page(request):
        return await report_page(request)
    return _deprecated(request, await api_report(request))


def _deprecated(request: Request, response: Response) -> Response:
    """An answer of an old bare JSON path: the same under ``/api/v1`` is its successor."""
    return deprecated_path(request, response, successor=f"/api/v1{request.url.path}")


def _moved_to_api(endpoint: Endpoint) -> Endpoint:
    """``endpoint`` at its old bare path (``/live/{code}/…``), answering for one release with a
    ``Deprecation`` header and a ``Link`` to its ``/api/v1`` path."""

    async def at_old_path(request: Request) -> Response:
        return _deprecated(request, await endpoint(request))

    return at_old_path


@api_endpoint(Role.teacher, Role.admin)
async def api_report(request: Request) -> Response:
    """``GET /live/{code}/report`` → ``{"participants","attendance","quiz","proposed",...}``."""
    live = await _session_for(request)
    body = await services.session_report(
        db(request), actor=_user(request), live=live, broker=request.app.state.broker
    )
    await access_record(
        db(request),
        actor=_user(request),
        what="live.report",
        class_id=live.class_id,
        target_id=live.id,
    )
    return json_ok(
        {
            **body,
            "session": queries.session_public(live, base_url=_base_url(request)),
            "recordings": await _recordings(request, live),
        }
    )


@api_endpoint(Role.teacher, Role.admin)
async def recording_file(request: Request) -> Response:
    """``GET /live/{code}/recordings/{name}``: a video recording of the lesson (.webm)."""
    live = await _session_for(request)
    services.require_runner(_user(request), live)
    name = str(request.path_params["name"])
    path = _recordings_dir(request.app) / live.code / name
    if not RECORDING_NAME.match(name) or not await asyncio.to_thread(path.is_file):
        raise NotFound(_("No such file."))
    return FileResponse(
        path,
        media_type="video/webm",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )


@api_endpoint(Role.teacher, Role.admin)
async def api_journal(request: Request) -> Response:
    """``POST /live/{code}/journal`` ``{"marks":[{"pupil_id","value"}],"attendance":true}``."""
    data = await read_json(request, JournalConfirm)
    live = await _session_for(request)
    body = await services.journal_write(db(request), actor=_user(request), live=live, data=data)
    return json_ok(body)


async def qr_image(request: Request) -> Response:
    """``GET /live/{code}/qr.svg``: the join URL as a QR code (made here, nothing fetched)."""
    canonical = queries.code_normalize(str(request.path_params["code"]))
    if canonical is None:
        raise NotFound(_("No live lesson has this code."))
    url = f"{_base_url(request)}/join?code={queries.code_display(canonical)}"
    return Response(
        qr_svg(url),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, max-age=86400"},
    )


async def asset_file(request: Request) -> Response:
    """``GET /live/{code}/assets/{sha}``: a file the lesson shows, to anyone in the room
    (visiting observers included, with their pass). Only the pass is checked here: the file
    is served by the shell's :func:`~eschool.uploads.routes.file_response`, like every file."""
    from lessons.blocks import block_assets

    sha256 = str(request.path_params["sha"])
    token = None
    if current_user(request) is None:
        # A visitor without a pass is turned away before the code is looked up.
        token = visitor_pass(request)
        if token is None:
            raise Unauthorized(_("Sign in, or join as a guest with the code and your name."))
    live = await _session_for(request)
    await _participant(request, live, token)
    if sha256 not in block_assets(live.blocks):
        raise NotFound(_("No such file."))
    upload = await upload_in_school(db(request), school_id=live.school_id, sha256=sha256)
    return await file_response(request.app.state.settings.uploads_dir, upload)


# --- pages ---------------------------------------------------------------------------------


@page_endpoint()
async def live_page(request: Request) -> Response:
    """``/live``: teachers start a lesson and see their running ones; pupils enter a code."""
    user = _user(request)
    session = db(request)
    running = await queries.sessions_running(session, actor=user)
    context: dict[str, Any] = {
        "running": [queries.session_public(live, base_url=_base_url(request)) for live in running],
        "error": None,
    }
    if user.role == Role.teacher:
        context["lessons"] = await queries.startable_lessons(session, actor=user)
        context["slots"] = await queries.slots_today(session, actor=user, today=_today(request))
        context["recent"] = [
            queries.session_public(live, base_url=_base_url(request))
            for live in await queries.sessions_recent(session, actor=user)
        ]
        chosen = request.query_params.get("lesson_id", "")
        context["chosen_lesson"] = id_from_text(chosen)
        context["rubrics"] = [rubric_public(r) for r in await rubrics_list(session, actor=user)]
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
    live = await services.session_start(db(request), actor=_user(request), data=data)
    return RedirectResponse(f"/live/{queries.code_display(live.code)}/present", status_code=303)


def _where_to(live: LiveSession, actor: Actor) -> str:
    code = queries.code_display(live.code)
    if actor.role == "teacher":
        return f"/live/{code}/present"
    if actor.role == "pupil":
        return f"/live/{code}"
    if actor.role == "board":
        return f"/live/{code}/board"
    return f"/live/{code}/watch"


JOIN_PATH = "/join"
_JOIN_PURPOSE = "join-form"


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
                session, live=live, user=user, token=None, secret=_secret(request.app)
            )
            return RedirectResponse(_where_to(live, actor), status_code=303)
        if not presession_ok(request, _JOIN_PURPOSE, form.get("csrf_token", "")):
            raise Forbidden(_("The form had expired. Please try again."))
        data = parse_model(ObserverJoin, {"name": name})
        live, token, _observer = await _observer_join(request, code=code, name=data.name)
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


async def _participant(request: Request, live: LiveSession, token: str | None = None) -> Actor:
    # A board pass is a participant too (live.board_pass).
    return await board_pass.participant(
        db(request), live=live, user=current_user(request), token=token, secret=_secret(request.app)
    )


@page_endpoint()
async def pupil_page(request: Request) -> Response:
    """``/live/{code}``: the pupil's view (others are sent to theirs)."""
    live = await _session_for(request)
    actor = await _participant(request, live)
    if actor.role != "pupil":
        return RedirectResponse(_where_to(live, actor), status_code=303)
    context = await _room_context(request, live, actor)
    return render(request, "live/pupil.html", **context)


@page_endpoint(Role.teacher, Role.admin)
async def present_page(request: Request) -> Response:
    """``/live/{code}/present``: the teacher's console (the class sees ``/live/{code}/board``)."""
    live = await _session_for(request)
    actor = await _participant(request, live)
    if actor.role != "teacher":
        raise Forbidden(_("Only the teacher who runs this lesson may present it."))
    context = await _room_context(request, live, actor)
    return render(request, "live/present.html", **context)


def _guest_pass(request: Request) -> str | None:
    """A visitor's pass for the lesson in the path (:func:`live.visitor_pass.visitor_pass`)."""
    return visitor_pass(request, cookies=(OBSERVER_COOKIE_PREFIX,))


async def watch_page(request: Request) -> Response:
    """``/live/{code}/watch``: the observer's view; a visitor needs the pass from ``/join``."""
    user = current_user(request)
    token = _guest_pass(request) if user is None else None
    if user is None and token is None:
        typed = str(request.path_params["code"])
        return RedirectResponse(f"/join?code={quote(typed)}", status_code=303)
    live = await _session_for(request)
    try:
        actor = await _participant(request, live, token)
    except DomainError as exc:
        if user is None and exc.status == 401:
            return RedirectResponse(
                f"/join?code={quote(queries.code_display(live.code))}", status_code=303
            )
        raise
    if actor.role != "observer":
        return RedirectResponse(_where_to(live, actor), status_code=303)
    context = await _room_context(request, live, actor, token=token or "")
    return render(request, "live/watch.html", token=token or "", **context)


@page_endpoint(Role.teacher, Role.admin)
async def report_page(request: Request) -> Response:
    """``/live/{code}/report``: the report, with the proposed marks to confirm."""
    live = await _session_for(request)
    body = await services.session_report(
        db(request), actor=_user(request), live=live, broker=request.app.state.broker
    )
    await access_record(
        db(request),
        actor=_user(request),
        what="live.report",
        class_id=live.class_id,
        target_id=live.id,
    )
    return render(
        request,
        "live/report.html",
        live=queries.session_public(live, base_url=_base_url(request)),
        report=body,
        proposed_by_pupil={entry["pupil_id"]: entry for entry in body.get("proposed", [])},
        recordings=await _recordings(request, live),
        ended=live.status == SessionStatus.ended,
        has_slot=live.slot_id is not None,
        journal_done=live.journal_at is not None,
        feedback=await feedback_summary(db(request), live=live),
    )


routes: list[BaseRoute] = [
    Route("/api/v1/live", api_start, methods=["POST"]),
    Route("/api/v1/live", api_running, methods=["GET"]),
    Route("/live", live_page, methods=["GET"]),
    Route("/live", live_start_form, methods=["POST"]),
    Route("/join", join_page, methods=["GET"]),
    Route("/join", join_submit, methods=["POST"]),
    Route("/live/{code}", pupil_page, methods=["GET"]),
    Route("/live/{code}/present", present_page, methods=["GET"]),
    Route("/live/{code}/watch", watch_page, methods=["GET"]),
    Route("/live/{code}/qr.svg", qr_image, methods=["GET"]),
    Route("/live/{code}/assets/{sha}", asset_file, methods=["GET"]),
    Route("/api/v1/live/{code}/join", api_observer_join, methods=["POST"]),
    Route("/api/v1/live/{code}/end", api_end, methods=["POST"]),
    Route("/api/v1/live/{code}/media", api_media, methods=["GET"]),
    Route("/api/v1/live/{code}/report", api_report, methods=["GET"]),
    Route("/api/v1/live/{code}/journal", api_journal, methods=["POST"]),
    # The same JSON at the old bare paths, for one release (Deprecation header).
    Route("/live/{code}/join", _moved_to_api(api_observer_join), methods=["POST"]),
    Route("/live/{code}/end", _moved_to_api(api_end), methods=["POST"]),
    Route("/live/{code}/media", _moved_to_api(api_media), methods=["GET"]),
    Route("/live/{code}/journal", _moved_to_api(api_journal), methods=["POST"]),
    Route("/live/{code}/recordings/{name}", recording_file, methods=["GET"]),
    Route("/live/{code}/report", report_endpoint, methods=["GET"]),
    WebSocketRoute("/live/{code}/ws", live_socket),
    *board_routes,
    *rubric_routes,
    *replay_routes,
]
