"""Routes of the roster import and export: the JSON API and the admin page.

Imports run in a session of their own: a dry run applies and rolls back, and the request's
session (which holds the signed-in admin) must not be rolled back with it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import BINARY, Body, operation
from eschool.errors import NotFound, TooLarge
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.queries import term_current, terms_of_school
from eschool.uploads.store import receive_upload
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    json_ok,
    page_endpoint,
    read_query,
    render,
)
from gradebook.rosters import results, services
from gradebook.rosters.csv_reader import MAX_UPLOAD, ZIP_FILE, RosterError
from gradebook.rosters.models import (
    ImportQuery,
    ResultsQuery,
    RosterImportPublic,
    RosterImportRefused,
)
from gradebook.rosters.services import ImportResult

ZIP_TYPE = "application/zip"
ADMIN = (Role.admin,)
IMPORT_RESPONSES = {200: RosterImportPublic, 422: RosterImportRefused}


def _upload_body(description: str) -> Body:
    return Body(
        "multipart/form-data",
        description,
        {"type": "object", "properties": {"file": BINARY}, "required": ["file"]},
    )


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
        return json_ok(RosterImportRefused.model_validate(body), status=422)
    return json_ok(RosterImportPublic.model_validate(body))


@api_endpoint(Role.admin)
@operation(
    "POST",
    "Import a OneRoster 1.1 CSV zip",
    description="Every problem is listed (422 `roster_invalid`) and nothing is stored unless "
    "there are none; `?dry_run=1` counts the changes and stores nothing. Importing the same "
    "roster again changes nothing.",
    body=_upload_body("The OneRoster 1.1 CSV zip in the form field `file`."),
    query=ImportQuery,
    roles=ADMIN,
    responses=IMPORT_RESPONSES,
)
async def api_oneroster_import(request: Request) -> Response:
    """POST multipart ``file`` (a OneRoster 1.1 CSV zip) ``?dry_run=1`` →
    ``{"changes","errors","applied","dry_run"}``; 422 listing every problem."""
    dry_run = read_query(request, ImportQuery).dry_run
    data = await _upload(request, ZIP_FILE)
    if isinstance(data, ImportResult):
        return _answer(data, dry_run=dry_run)
    async with request.app.state.sessionmaker() as work:
        result = await services.oneroster_import(
            work, actor=acting_user(request), data=data, dry_run=dry_run
        )
    return _answer(result, dry_run=dry_run)


@api_endpoint(Role.admin)
@operation(
    "POST",
    "Import people from a CSV",
    description="Columns `login,name,role,class,parent_of`; checked whole like a roster zip.",
    body=_upload_body("The CSV (UTF-8) in the form field `file`."),
    query=ImportQuery,
    roles=ADMIN,
    responses=IMPORT_RESPONSES,
)
async def api_people_import(request: Request) -> Response:
    """POST multipart ``file`` (CSV: login,name,role,class,parent_of) ``?dry_run=1``."""
    dry_run = read_query(request, ImportQuery).dry_run
    data = await _upload(request, "people.csv")
    if isinstance(data, ImportResult):
        return _answer(data, dry_run=dry_run)
    async with request.app.state.sessionmaker() as work:
        result = await services.people_import(
            work, actor=acting_user(request), data=data, dry_run=dry_run
        )
    return _answer(result, dry_run=dry_run)


@api_endpoint(Role.admin)
@operation(
    "GET",
    "A term's results as a OneRoster 1.1 zip",
    description="Line items, results and categories as OneRoster 1.1 CSV files, as an "
    "attachment. Without `?term=`, the term that contains today (404 when none does).",
    query=ResultsQuery,
    roles=ADMIN,
    responses={200: Body(ZIP_TYPE, "The OneRoster 1.1 results zip.")},
)
async def api_results_export(request: Request) -> Response:
    """GET ``?term=<id>`` (default: the current term): the OneRoster 1.1 results zip."""
    actor = acting_user(request)
    term_id = read_query(request, ResultsQuery).term
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
