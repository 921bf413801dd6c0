"""The live lesson's JSON API under ``/api/v1/live`` (and, for one release, the same answers at
the old bare ``/live/{code}/…`` paths with a ``Deprecation`` header; see :func:`moved_to_api`).

- ``POST /api/v1/live`` starts a lesson; ``GET /api/v1/live`` lists the running ones.
- ``POST /api/v1/live/{code}/join`` lets a visitor in as an observer (no login).
- ``POST …/end``, ``GET …/report``, ``POST …/journal``, ``GET …/media``: the teacher's.
- ``GET /live/{code}/recordings/{name}``: a video recording of the lesson.
- ``GET /api/v1/live/protocol.schema.json``: the live protocol's JSON Schema (no login).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from eschool.api_schema import Body, ItemList, operation
from eschool.errors import Conflict, NotFound, Unavailable
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.uploads.routes import StoredFileResponse
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    deprecated_path,
    json_list,
    json_ok,
    read_json,
)
from live import queries, services
from live.media_homes import MediaError
from live.models import JournalConfirm, LiveStart, ObserverJoin
from live.protocol_schema import SCHEMA_MEDIA_TYPE, protocol_schema_json
from live.public_models import (
    JournalWrittenPublic,
    LiveReportPublic,
    LiveReportReadPublic,
    LiveSessionPublic,
    MediaStatusPublic,
    ObserverPassPublic,
)
from live.recordings import RECORDING_NAME
from live.route_helpers import (
    base_url,
    hub_of,
    log_of,
    media_of,
    observer_join,
    read_report,
    recordings,
    recordings_dir,
    session_for,
)

logger = logging.getLogger(__name__)
Endpoint = Callable[[Request], Awaitable[Response]]


@api_endpoint(Role.teacher)
@operation(
    "POST",
    "Start a lesson live",
    description="A published lesson version (the latest unless named), tied to a journal "
    "slot, a class, or neither (the pupils of every class the teacher teaches).",
    body=LiveStart,
    responses={201: LiveSessionPublic},
    roles=(Role.teacher,),
    errors=(404,),
)
async def api_start(request: Request) -> Response:
    """``POST /api/v1/live`` ``{"lesson_id","slot_id"?,"class_id"?,"version"?,
    "allow_observers"}`` → 201 ``{"id","code","join_url","ws_url",...}``."""
    data = await read_json(request, LiveStart)
    live = await services.session_start(db(request), actor=acting_user(request), data=data)
    body = queries.session_public(live, base_url=base_url(request))
    return json_ok(body, 201, headers={"Location": body.present_url})


@api_endpoint()
@operation(
    "GET", "The running live lessons that concern me", responses={200: ItemList[LiveSessionPublic]}
)
async def api_running(request: Request) -> Response:
    """``GET /api/v1/live``: the running sessions that concern me."""
    found = await queries.sessions_running(db(request), actor=acting_user(request))
    base = base_url(request)
    return json_list([queries.session_public(live, base_url=base) for live in found], len(found))


@operation(
    "POST",
    "Join a lesson as a visiting observer",
    description="No sign-in: the answer's pass lets the visitor watch (and replay, when the "
    "teacher allows) until it expires. 403 `no_observers`, 409 `ended`; too many wrong "
    "codes from one address: 429.",
    body=ObserverJoin,
    responses={200: ObserverPassPublic},
    public=True,
    errors=(403, 409, 429),
)
async def api_observer_join(request: Request) -> Response:
    """``POST /live/{code}/join`` ``{"name"}`` (no login) → ``{"token","role":"observer",...}``."""
    data = await read_json(request, ObserverJoin)
    live, token, observer = await observer_join(
        request, code=str(request.path_params["code"]), name=data.name
    )
    public = queries.session_public(live, base_url=base_url(request))
    return json_ok(
        ObserverPassPublic(
            token=token,
            role="observer",
            id=str(observer.id),
            name=observer.name,
            code=public.code,
            title=live.title,
            ws_url=public.ws_url,
        )
    )


@operation(
    "GET",
    "The live protocol's JSON Schema",
    responses={
        200: Body(
            SCHEMA_MEDIA_TYPE,
            "A JSON Schema (draft 2020-12) document: every frame of the live socket in both "
            "directions and its close codes.",
            schema={"type": "object"},
        )
    },
    public=True,
)
async def api_protocol_schema(request: Request) -> Response:
    """``GET /api/v1/live/protocol.schema.json`` (no login): every frame of the live socket in
    both directions and its close codes, as one JSON Schema (:mod:`live.protocol_schema`)."""
    return Response(
        protocol_schema_json(),
        media_type=SCHEMA_MEDIA_TYPE,
        headers={"Cache-Control": "public, max-age=3600"},
    )


@api_endpoint(Role.teacher, Role.admin)
@operation(
    "POST",
    "End a live lesson",
    description="Every connection closes; the report is stored. Ending twice answers the "
    "same report.",
    responses={200: LiveReportPublic},
    roles=(Role.teacher, Role.admin),
)
async def api_end(request: Request) -> Response:
    """``POST /live/{code}/end`` → the report."""
    live = await session_for(request)
    body = await services.session_end(
        db(request),
        actor=acting_user(request),
        live=live,
        hub=hub_of(request.app),
        log=log_of(request.app),
    )
    try:
        await media_of(request.app).lesson_ended(live.code)
    except Exception:  # the report is what matters here; an unclosed room times out by itself
        logger.warning("live room %s: media not closed at the end", live.code, exc_info=True)
    return json_ok(LiveReportPublic.model_validate(body))


@api_endpoint(Role.teacher, Role.admin)
@operation(
    "GET",
    "The lesson's media, as its home process sees it",
    responses={200: MediaStatusPublic},
    roles=(Role.teacher, Role.admin),
    errors=(409, 503),
)
async def api_media(request: Request) -> Response:
    """``GET /live/{code}/media`` → ``{"homed","live","kind","viewers","peers",
    "process_peers"}``: the room's media as its home process sees it (peer connections of the
    room and of that whole process)."""
    live = await session_for(request)
    services.require_runner(acting_user(request), live)
    try:
        status = await media_of(request.app).status(live.code)
    except MediaError as exc:  # the room has ended, or its media home did not answer
        if exc.code == "ended":
            raise Conflict(_("The lesson has ended."), code="ended") from exc
        message = _("The lesson's media is not answering. Try again in a moment.")
        raise Unavailable(message, code=exc.code) from exc
    return json_ok(MediaStatusPublic.model_validate(status))


def deprecated(request: Request, response: Response) -> Response:
    """An answer of an old bare JSON path: the same under ``/api/v1`` is its successor."""
    return deprecated_path(request, response, successor=f"/api/v1{request.url.path}")


def moved_to_api(endpoint: Endpoint) -> Endpoint:
    """``endpoint`` at its old bare path (``/live/{code}/…``), answering for one release with a
    ``Deprecation`` header and a ``Link`` to its ``/api/v1`` path."""

    async def at_old_path(request: Request) -> Response:
        return deprecated(request, await endpoint(request))

    return at_old_path


@api_endpoint(Role.teacher, Role.admin)
@operation(
    "GET",
    "A lesson's report (so far, while it runs)",
    responses={200: LiveReportReadPublic},
    roles=(Role.teacher, Role.admin),
)
async def api_report(request: Request) -> Response:
    """``GET /live/{code}/report`` → ``{"participants","attendance","quiz","proposed",...}``."""
    live = await session_for(request)
    user = acting_user(request)
    body = await read_report(request, live, user)
    return json_ok(
        LiveReportReadPublic.model_validate(
            {
                **body,
                "session": queries.session_public(live, base_url=base_url(request)),
                "recordings": await recordings(request, live),
            }
        )
    )


@api_endpoint(Role.teacher, Role.admin)
async def recording_file(request: Request) -> Response:
    """``GET /live/{code}/recordings/{name}``: a video recording of the lesson (.webm)."""
    live = await session_for(request)
    services.require_runner(acting_user(request), live)
    name = str(request.path_params["name"])
    path = recordings_dir(request.app) / live.code / name
    if not RECORDING_NAME.match(name) or not await asyncio.to_thread(path.is_file):
        raise NotFound(_("No such file."))
    return StoredFileResponse(
        path,
        media_type="video/webm",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )


@api_endpoint(Role.teacher, Role.admin)
@operation(
    "POST",
    "Write the confirmed marks (and attendance) into the journal",
    description="409 `no_slot` (not tied to a journal slot), `not_ended`, `already_written`, "
    "`duplicate_pupil`; a mark the course's scale refuses: 422, nothing written.",
    body=JournalConfirm,
    responses={200: JournalWrittenPublic},
    roles=(Role.teacher, Role.admin),
    errors=(409,),
)
async def api_journal(request: Request) -> Response:
    """``POST /live/{code}/journal`` ``{"marks":[{"pupil_id","value"}],"attendance":true}``."""
    data = await read_json(request, JournalConfirm)
    live = await session_for(request)
    body = await services.journal_write(
        db(request), actor=acting_user(request), live=live, data=data
    )
    return json_ok(JournalWrittenPublic.model_validate(body))
