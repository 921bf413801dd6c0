"""The live lesson's JSON API under ``/api/v1/live`` (and, for one release, the same answers at
the old bare ``/live/{code}/…`` paths with a ``Deprecation`` header; see :func:`moved_to_api`).

- ``POST /api/v1/live`` starts a lesson; ``GET /api/v1/live`` lists the running ones.
- ``POST /api/v1/live/{code}/join`` lets a visitor in as an observer (no login).
- ``POST …/end``, ``GET …/report``, ``POST …/journal``, ``GET …/media``: the teacher's.
- ``GET /live/{code}/recordings/{name}``: a video recording of the lesson.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import Role
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
from live.models import JournalConfirm, LiveStart, ObserverJoin
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
async def api_start(request: Request) -> Response:
    """``POST /api/v1/live`` ``{"lesson_id","slot_id"?,"class_id"?,"version"?,
    "allow_observers"}`` → 201 ``{"id","code","join_url","ws_url",...}``."""
    data = await read_json(request, LiveStart)
    live = await services.session_start(db(request), actor=acting_user(request), data=data)
    body = queries.session_public(live, base_url=base_url(request))
    return json_ok(body, 201, headers={"Location": body["present_url"]})


@api_endpoint()
async def api_running(request: Request) -> Response:
    """``GET /api/v1/live``: the running sessions that concern me."""
    found = await queries.sessions_running(db(request), actor=acting_user(request))
    base = base_url(request)
    return json_list([queries.session_public(live, base_url=base) for live in found], len(found))


async def api_observer_join(request: Request) -> Response:
    """``POST /live/{code}/join`` ``{"name"}`` (no login) → ``{"token","role":"observer",...}``."""
    data = await read_json(request, ObserverJoin)
    live, token, observer = await observer_join(
        request, code=str(request.path_params["code"]), name=data.name
    )
    public = queries.session_public(live, base_url=base_url(request))
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
    return json_ok(body)


@api_endpoint(Role.teacher, Role.admin)
async def api_media(request: Request) -> Response:
    """``GET /live/{code}/media`` → ``{"homed","live","kind","viewers","peers",
    "process_peers"}``: the room's media as its home process sees it (peer connections of the
    room and of that whole process)."""
    live = await session_for(request)
    services.require_runner(acting_user(request), live)
    return json_ok(await media_of(request.app).status(live.code))


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
async def api_report(request: Request) -> Response:
    """``GET /live/{code}/report`` → ``{"participants","attendance","quiz","proposed",...}``."""
    live = await session_for(request)
    user = acting_user(request)
    body = await read_report(request, live, user)
    return json_ok(
        {
            **body,
            "session": queries.session_public(live, base_url=base_url(request)),
            "recordings": await recordings(request, live),
        }
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
    return FileResponse(
        path,
        media_type="video/webm",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )


@api_endpoint(Role.teacher, Role.admin)
async def api_journal(request: Request) -> Response:
    """``POST /live/{code}/journal`` ``{"marks":[{"pupil_id","value"}],"attendance":true}``."""
    data = await read_json(request, JournalConfirm)
    live = await session_for(request)
    body = await services.journal_write(
        db(request), actor=acting_user(request), live=live, data=data
    )
    return json_ok(body)
