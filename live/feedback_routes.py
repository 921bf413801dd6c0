"""A lesson's feedback over HTTP (docs/open-lessons.md).

- ``GET /api/v1/live/{code}/feedback`` (the lesson's teacher, the school's admins) →
  ``{"rubric","scores","notes"}``.
- ``GET /api/v1/live/{code}/notes`` (an observer: their pass as ``Authorization: Bearer`` or
  ``?token=``, or a member of staff who watched, signed in) → their own notes
  ``{"rubric","items","total"}``; ``?format=txt`` or ``?format=csv`` downloads them. A pass
  reads them until it expires.
"""

from __future__ import annotations

from typing import get_args

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import Body, operation
from eschool.errors import Invalid, Unauthorized
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.web import (
    acting_user,
    api_endpoint,
    check_address,
    current_user,
    db,
    json_ok,
)
from live import queries, services
from live.feedback import feedback_get, notes_csv, notes_text, own_notes
from live.public_models import FeedbackPublic, NotesFormat, NotesQuery, OwnNotesPublic
from live.visitor_pass import OBSERVER_COOKIE_PREFIX, visitor_pass


@api_endpoint(Role.teacher, Role.admin)
@operation(
    "GET",
    "Observers' rubric scores and notes on a lesson",
    responses={200: FeedbackPublic},
    roles=(Role.teacher, Role.admin),
)
async def api_feedback(request: Request) -> Response:
    """``GET /api/v1/live/{code}/feedback``: rubric scores by observer and every note."""
    user = acting_user(request)
    live = await queries.session_by_code(
        db(request), code=str(request.path_params["code"]), school_id=user.school_id
    )
    return json_ok(await feedback_get(db(request), actor=user, live=live))


def _pass(request: Request) -> str | None:
    """An observer's pass (:func:`live.visitor_pass.visitor_pass`)."""
    return visitor_pass(request, cookies=(OBSERVER_COOKIE_PREFIX,))


@operation(
    "GET",
    "An observer's own notes on a lesson",
    description="An observer: their pass as `Authorization: Bearer` or `?token=` (it reads "
    "the notes until it expires), or a member of staff who watched, signed in. "
    "`?format=txt` or `?format=csv` downloads them instead (`text/plain`, `text/csv`).",
    query=NotesQuery,
    responses={
        200: (
            OwnNotesPublic,
            Body("text/plain", "The notes as text (`?format=txt`).", {"type": "string"}),
            Body("text/csv", "The notes as CSV (`?format=csv`).", {"type": "string"}),
        )
    },
    errors=(403,),
)
async def api_own_notes(request: Request) -> Response:
    """``GET /api/v1/live/{code}/notes[?format=txt|csv]``: an observer's own notes."""
    check_address(request)
    wanted = request.query_params.get("format", "json")
    if wanted not in get_args(NotesFormat):  # 422, as it always was
        raise Invalid(_("format: json, txt or csv"))
    token = _pass(request)
    user = None if token else current_user(request)
    if user is None and token is None:
        raise Unauthorized(_("Sign in, or send your guest pass."))
    session = db(request)
    live = await queries.session_by_code(
        session,
        code=str(request.path_params["code"]),
        school_id=None if user is None else user.school_id,
    )
    actor = await services.participant_for(
        session, live=live, user=user, token=token, secret=request.app.state.settings.secret_key
    )
    notes = await own_notes(session, live=live, actor=actor)
    if wanted == "json":
        return json_ok(notes)
    filename = f"notes-{queries.code_display(live.code)}.{wanted}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if wanted == "csv":
        return Response(notes_csv(notes), media_type="text/csv; charset=utf-8", headers=headers)
    body = notes_text(notes, title=f"{live.title} · {actor.name}")
    return Response(body, media_type="text/plain; charset=utf-8", headers=headers)


routes: list[BaseRoute] = [
    Route("/api/v1/live/{code}/feedback", api_feedback, methods=["GET"]),
    Route("/api/v1/live/{code}/notes", api_own_notes, methods=["GET"]),
]
