"""Routes of absence notes: the JSON API (``/api/v1/absence-notes``) and the page
``/absence-notes`` — the family's form and list, the tutor's list to decide on.

Thin: read the input, call one service or query, shape the answer.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import ItemList, operation
from eschool.errors import BadRequest, DomainError
from eschool.i18n import N_
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    form_id,
    json_list,
    json_ok,
    page_endpoint,
    parse_model,
    path_int,
    read_form,
    read_json,
    read_query,
    render,
)
from gradebook import absence_notes, absence_queries
from gradebook.absence_models import AbsenceNotePublic, AbsenceNotesQuery
from gradebook.models import AbsenceNoteCreate, AbsenceNoteDecision

PERIODS = range(1, 9)  # the lesson numbers the page offers (the API takes 0–12)
PAGE_SIZE = 100
NOTICES = {
    "reported": N_("The note is sent to the class tutor."),
    "accepted": N_("The note is accepted: those lessons are excused."),
    "declined": N_("The note is declined."),
    "withdrawn": N_("The note is withdrawn."),
}


def _today(request: Request) -> date:
    """Today in the school's time zone (`settings.timezone`)."""
    return datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


# --- API ------------------------------------------------------------------------------------


async def _report(request: Request, data: AbsenceNoteCreate) -> Any:
    return await absence_notes.absence_note_report(
        db(request),
        actor=acting_user(request),
        pupil_id=data.pupil_id,
        starts=data.starts,
        ends=data.ends,
        periods=data.periods,
        reason=data.reason,
        upload_sha256=data.upload_id,
        today=_today(request),
    )


@api_endpoint()
@operation(
    "GET",
    "The absence notes the caller may see, newest first",
    description="Parents their children's, pupils their own, teachers those of the classes "
    "they teach or tutor, admins the school's.",
    query=AbsenceNotesQuery,
    responses={200: ItemList[AbsenceNotePublic]},
)
@operation(
    "POST",
    "Report an absence",
    description="A parent for their child, the form tutor or an admin for a pupil; whole days "
    "`from`–`to`, or only the lesson `periods`. The class tutor is told.",
    body=AbsenceNoteCreate,
    responses={201: AbsenceNotePublic},
    errors=(403, 404),
)
async def api_absence_notes(request: Request) -> Response:
    """GET ``?pupil=&status=&class=&page=&per_page=`` → the notes the caller may see.
    POST ``{"pupil_id","from","to","periods"?,"reason","upload_id"?}`` → 201."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "POST":
        note = await _report(request, await read_json(request, AbsenceNoteCreate))
        body = await absence_queries.absence_note_get(session, actor=actor, note_id=note.id or 0)
        return json_ok(body, status=201)
    query = read_query(request, AbsenceNotesQuery)
    items, total = await absence_queries.absence_notes_list(
        session,
        actor=actor,
        pupil_id=query.pupil,
        status=query.status,
        class_ref=query.class_ref,
        page=query.page,
        per_page=query.per_page,
    )
    return json_list(items, total, page=query.page, per_page=query.per_page)


@api_endpoint()
@operation("GET", "An absence note", responses={200: AbsenceNotePublic})
@operation(
    "PATCH",
    "Decide on an absence note, or withdraw it",
    description="`accepted` (its lessons become excused) or `declined` with a `reason`: the "
    "class tutor or an admin; `withdrawn`: the family or its reporter. 409 `not_reported` "
    "once it is decided.",
    body=AbsenceNoteDecision,
    responses={200: AbsenceNotePublic},
    errors=(403, 409),
)
async def api_absence_note(request: Request) -> Response:
    """GET a note; PATCH ``{"status":"accepted"}``, ``{"status":"declined","reason"}`` (the
    class tutor, an admin) or ``{"status":"withdrawn"}`` (the family)."""
    actor = acting_user(request)
    note_id = path_int(request, "id")
    if request.method == "PATCH":
        data = await read_json(request, AbsenceNoteDecision)
        await absence_notes.absence_note_decide(
            db(request), actor=actor, note_id=note_id, status=data.status, reason=data.reason
        )
    return json_ok(
        await absence_queries.absence_note_get(db(request), actor=actor, note_id=note_id)
    )


# --- the page -----------------------------------------------------------------------------


def _dated(item: AbsenceNotePublic) -> dict[str, Any]:
    """A note as the page's template reads it (the API's keys, with dates as dates)."""
    return {
        **item.model_dump(mode="json", by_alias=True),
        "day_from": item.starts,
        "day_to": item.ends,
    }


def _form_note(form: dict[str, str]) -> AbsenceNoteCreate:
    periods = [n for n in PERIODS if form.get(f"period_{n}")]
    whole = form.get("whole_days", "1") == "1"
    return parse_model(
        AbsenceNoteCreate,
        {
            "pupil_id": form.get("pupil_id"),
            "from": form.get("from"),
            "to": form.get("to") or form.get("from"),
            "periods": None if whole or not periods else periods,
            "reason": form.get("reason", ""),
            "upload_id": form.get("upload_id") or None,
        },
    )


async def _page_action(request: Request, form: dict[str, str]) -> str:
    """Do what the posted form asks; returns the notice key."""
    action = form.get("action", "")
    if action == "report":
        await _report(request, _form_note(form))
        return "reported"
    if action not in ("accepted", "declined", "withdrawn"):
        raise BadRequest(_("Unknown action."))
    decision = parse_model(
        AbsenceNoteDecision, {"status": action, "reason": form.get("reason") or None}
    )
    await absence_notes.absence_note_decide(
        db(request),
        actor=acting_user(request),
        note_id=form_id(form, "note_id"),
        status=decision.status,
        reason=decision.reason,
    )
    return action


@page_endpoint()
async def absence_notes_page(request: Request) -> Response:
    """Parents: report an absence and follow their notes. Tutors and admins: decide on the
    notes of their class (school). Teachers and pupils: read."""
    actor = acting_user(request)
    form: dict[str, str] = {}
    error = None
    if request.method == "POST":
        form = await read_form(request)
        try:
            done = await _page_action(request, form)
        except (DomainError, ValueError) as exc:
            error = exc.message if isinstance(exc, DomainError) else str(exc)
        else:
            query = {"notice": done}
            if request.query_params.get("status"):
                query["status"] = request.query_params["status"]
            return RedirectResponse(f"/absence-notes?{urlencode(query)}", status_code=303)
    status = request.query_params.get("status") or None
    if status not in (None, *absence_queries.ABSENCE_NOTE_STATUSES):
        status = None
    items, total = await absence_queries.absence_notes_list(
        db(request), actor=actor, status=status, per_page=PAGE_SIZE
    )
    notice = NOTICES.get(request.query_params.get("notice", ""))
    today = _today(request)
    viewer = await absence_queries.viewer_of(db(request), actor)
    return render(
        request,
        "gradebook/absence_notes.html",
        status=422 if error else 200,
        notes=[_dated(item) for item in items],
        total=total,
        filter_status=status,
        pupils=await absence_queries.reportable_pupils(db(request), viewer=viewer),
        periods=list(PERIODS),
        form=form,
        error=error,
        notice=_(notice) if notice else None,
        today=today.isoformat(),
        earliest=(today - timedelta(days=absence_notes.PAST_DAYS)).isoformat(),
        decides=actor.role == Role.admin or bool(viewer.tutor_of),
    )


routes: list[BaseRoute] = [
    Route("/absence-notes", absence_notes_page, methods=["GET", "POST"]),
    Route("/api/v1/absence-notes", api_absence_notes, methods=["GET", "POST"]),
    Route("/api/v1/absence-notes/{id:int}", api_absence_note, methods=["GET", "PATCH"]),
]
