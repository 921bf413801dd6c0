"""Routes of the roster import and export: the JSON API and the admin page.

Imports run in a session of their own: a dry run applies and rolls back, and the request's
session (which holds the signed-in admin) must not be rolled back with it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from eschool.errors import BadRequest, NotFound, TooLarge
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.queries import term_current, terms_of_school
from eschool.uploads.store import receive_upload
from eschool.web import acting_user, api_endpoint, db, page_endpoint, query_int, render
from gradebook.rosters import results, services
from gradebook.rosters.csv_reader import MAX_UPLOAD, ZIP_FILE, RosterError
from gradebook.rosters.services import ImportResult

ZIP_TYPE = "application/zip"


def _dry_run(request: Request) -> bool:
    raw = request.query_params.get("dry_run", "").lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise BadRequest(_("dry_run is 1 or 0."))


async def _upload(request: Request, file_label: str) -> bytes | ImportResult:
    """The uploaded file's bytes, or a result naming why it is refused (too large)."""
    try:
        upload = await receive_upload(request, limit=MAX_UPLOAD)
    except TooLarge:
        message = _("The upload is larger than {size} MB.", size=MAX_UPLOAD // 2**20)
        return ImportResult(errors=[RosterError(file_label, None, None, message).public()])
    try:
        return await upload.read()
    finally:
        await upload.close()


def _answer(result: ImportResult, *, dry_run: bool) -> Response:
    body = {**result.public(), "dry_run": dry_run}
    if result.errors:
        message = _("The file has {count} problems; nothing was stored.", count=len(result.errors))
        body["error"] = {"code": "roster_invalid", "message": message, "details": result.errors}
        return JSONResponse(body, status_code=422)
    return JSONResponse(body)


@api_endpoint(Role.admin)
async def api_oneroster_import(request: Request) -> Response:
    """POST multipart ``file`` (a OneRoster 1.1 CSV zip) ``?dry_run=1`` →
    ``{"changes","errors","applied","dry_run"}``; 422 listing every problem."""
    dry_run = _dry_run(request)
    data = await _upload(request, ZIP_FILE)
    if isinstance(data, ImportResult):
        return _answer(data, dry_run=dry_run)
    async with request.app.state.sessionmaker() as work:
        result = await services.oneroster_import(
            work, actor=acting_user(request), data=data, dry_run=dry_run
        )
    return _answer(result, dry_run=dry_run)


@api_endpoint(Role.admin)
async def api_people_import(request: Request) -> Response:
    """POST multipart ``file`` (CSV: login,name,role,class,parent_of) ``?dry_run=1``."""
    dry_run = _dry_run(request)
    data = await _upload(request, "people.csv")
    if isinstance(data, ImportResult):
        return _answer(data, dry_run=dry_run)
    async with request.app.state.sessionmaker() as work:
        result = await services.people_import(
            work, actor=acting_user(request), data=data, dry_run=dry_run
        )
    return _answer(result, dry_run=dry_run)


@api_endpoint(Role.admin)
async def api_results_export(request: Request) -> Response:
    """GET ``?term=<id>`` (default: the current term): the OneRoster 1.1 results zip."""
    actor = acting_user(request)
    term_id = query_int(request, "term")
    if term_id is None:
        today = datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()
        term = await term_current(db(request), school_id=actor.school_id, today=today)
        if term is None:
            raise NotFound(_("No term contains today: name one with ?term=."))
        term_id = term.id or 0
    name, content = await results.results_zip(db(request), actor=actor, term_id=term_id)
    return Response(
        content,
        media_type=ZIP_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@page_endpoint(Role.admin)
async def rosters_page(request: Request) -> Response:
    """Upload a OneRoster zip or a people CSV, preview the changes and problems, apply;
    download a term's results."""
    actor = acting_user(request)
    terms = await terms_of_school(db(request), school_id=actor.school_id)
    return render(request, "gradebook/rosters.html", terms=terms, max_mb=MAX_UPLOAD // 2**20)


routes: list[BaseRoute] = [
    Route("/admin/rosters", rosters_page),
    Route("/api/v1/rosters/oneroster", api_oneroster_import, methods=["POST"]),
    Route("/api/v1/rosters/people", api_people_import, methods=["POST"]),
    Route("/api/v1/rosters/oneroster/results.zip", api_results_export),
]
