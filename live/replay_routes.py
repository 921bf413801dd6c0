"""Routes of a lesson's instant replay and of the report's CSV export.

- ``GET /api/v1/live/{code}/timeline`` → the stored log projected for the viewer
  (:mod:`live.timeline`): the teacher and the school's admins see the teacher's view; an
  observer (their pass as ``Authorization: Bearer`` or ``?token=``, or a teacher of the school
  watching) only when the teacher allowed observers to replay; pupils 403.
- ``GET /live/{code}/replay``: the player (``static/js/live/replay.js``).
- ``GET /api/v1/live/{code}/report.csv``: the report as one CSV file, a section per table
  (docs/open-lessons.md).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import Body, operation
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.privacy.services import access_record
from eschool.web import api_endpoint, check_address, current_user, db, json_ok, render
from live import queries, services
from live.models import LiveSession
from live.page_context import room_context
from live.public_models import PassQuery, TimelinePublic
from live.recordings import recordings_of
from live.report_csv import report_csv
from live.timeline import ReplayViewer, replay_viewer, timeline_for, unix_time
from live.visitor_pass import OBSERVER_COOKIE_PREFIX, visitor_pass

CSV_SCHEMA = {"type": "string"}


def _pass(request: Request) -> str | None:
    """A visitor's pass (:func:`live.visitor_pass.visitor_pass`)."""
    return visitor_pass(request, cookies=(OBSERVER_COOKIE_PREFIX,))


async def _viewer(request: Request) -> tuple[LiveSession, ReplayViewer, str | None]:
    check_address(request)
    user = current_user(request)
    token = _pass(request)
    # A visitor's pass names its session; a signed-in person reaches only their school's.
    school_id = user.school_id if user is not None and token is None else None
    live = await queries.session_by_code(
        db(request), code=str(request.path_params["code"]), school_id=school_id
    )
    viewer = await replay_viewer(
        db(request),
        live=live,
        user=user,
        token=token,
        secret=request.app.state.settings.secret_key,
    )
    return live, viewer, token


async def _recordings(
    request: Request, live: LiveSession, started: float | None
) -> list[dict[str, Any]]:
    """The lesson's recordings with their ``url`` and ``offset`` (seconds after the start)."""
    folder = request.app.state.settings.data_dir / "recordings"
    found = await asyncio.to_thread(recordings_of, folder, live.code)
    code = queries.code_display(live.code)
    items = []
    for item in found:
        began = datetime.fromisoformat(item["started"]).timestamp()
        offset = round(began - started, 3) if started is not None else 0.0
        items.append({**item, "url": f"/live/{code}/recordings/{item['name']}", "offset": offset})
    return items


@operation(
    "GET",
    "A lesson's replay: its log as the viewer saw it",
    description="The lesson's teacher and the school's admins see the teacher's view (with "
    "the recordings); an observer (their pass as `Authorization: Bearer` or `?token=`, or a "
    "teacher of the school who watched) an observer's, only when the teacher allowed observers "
    "to replay (403 `no_replay`); pupils 403.",
    query=PassQuery,
    responses={200: TimelinePublic},
    errors=(403,),
)
async def api_timeline(request: Request) -> Response:
    """``GET /api/v1/live/{code}/timeline`` → ``{"duration","events":[{"seq","at","type",
    "data"}],"initial","you","started",...}`` (see live/timeline.py)."""
    live, viewer, _token = await _viewer(request)
    session = db(request)
    initial = await services.room_initial(session, live=live)
    body = await timeline_for(session, live=live, viewer=viewer, initial=initial)
    # The recordings are the teacher's (their files are served to the teacher and admins).
    started = body["started"] if body["started"] is not None else unix_time(live.started_at)
    found = await _recordings(request, live, started) if viewer.is_teacher else []
    answer = TimelinePublic.model_validate({**body, "recordings": found})
    user = current_user(request)
    if viewer.is_teacher and user is not None:  # pupils' names and answers were read
        await access_record(
            session,
            actor=user,
            what="live.report",
            class_id=live.class_id,
            target_id=live.id,
            detail="replay",
        )
    return json_ok(answer, headers={"Cache-Control": "private, no-store"})


async def replay_page(request: Request) -> Response:
    """``/live/{code}/replay``: the lesson played back from its log."""
    user = current_user(request)
    if user is None and _pass(request) is None:
        target = quote(request.url.path)
        return RedirectResponse(f"/login?next={target}", status_code=303)
    live, viewer, token = await _viewer(request)
    context = await room_context(request, live, viewer.actor, token=token or "")
    code = context["live"]["code"]
    context["config"]["replay"] = {
        "timeline": f"/api/v1/live/{code}/timeline",
        "feedback": f"/api/v1/live/{code}/feedback",
        "notes": f"/api/v1/live/{code}/notes",
        "teacher": viewer.is_teacher,
        "strings": replay_strings(),
    }
    return render(
        request,
        "live/replay.html",
        **context,
        teacher_view=viewer.is_teacher,
        ended=live.status != "active",
    )


@api_endpoint(Role.teacher, Role.admin)
@operation(
    "GET",
    "A lesson's report as one CSV file",
    description="A section per table (docs/open-lessons.md).",
    responses={200: Body("text/csv", "The report, a section per table.", CSV_SCHEMA)},
    roles=(Role.teacher, Role.admin),
)
async def api_report_csv(request: Request) -> Response:
    """``GET /api/v1/live/{code}/report.csv``: the report's tables in one CSV file."""
    user = current_user(request)
    assert user is not None  # the guard made sure
    live = await queries.session_by_code(
        db(request), code=str(request.path_params["code"]), school_id=user.school_id
    )
    body = await services.session_report(
        db(request), actor=user, live=live, broker=request.app.state.broker
    )
    await access_record(
        db(request),
        actor=user,
        what="live.report",
        class_id=live.class_id,
        target_id=live.id,
        detail="csv",
    )
    name = f"live-{live.code}-report.csv"
    return Response(
        report_csv(body),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


def replay_strings() -> dict[str, str]:
    """The words of the player (static/js/live/replay.js)."""
    return {
        "play": _("Play"),
        "pause": _("Pause"),
        "failed": _("The replay could not be loaded."),
        "empty": _("Nothing happened in this lesson yet."),
        "note": _("Note"),
        "level": _("level {n}"),
    }


routes: list[BaseRoute] = [
    Route("/api/v1/live/{code}/timeline", api_timeline, methods=["GET"]),
    Route("/api/v1/live/{code}/report.csv", api_report_csv, methods=["GET"]),
    Route("/live/{code}/replay", replay_page, methods=["GET"]),
]
