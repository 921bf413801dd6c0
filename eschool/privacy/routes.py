"""Routes of privacy (admin only): the registry, a pupil's export and erasure, the access
record, retention settings, the admin page — and the lifespan that purges hourly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import IO, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from eschool.api_schema import Body, ItemList, operation
from eschool.errors import BadRequest, DomainError
from eschool.i18n import gettext as _
from eschool.models import Role, User, id_from_text
from eschool.privacy import queries, services
from eschool.privacy.models import (
    RETENTION_KEYS,
    AccessLogQuery,
    AccessRecordPublic,
    EraseRequest,
    PupilErasedPublic,
    RegistryPackagePublic,
    RetentionPublic,
    RetentionUpdate,
)
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    json_list,
    json_ok,
    page_endpoint,
    pagination,
    parse_model,
    path_int,
    query_int,
    read_form,
    read_json,
    read_query,
    render,
)

log = logging.getLogger("eschool.privacy")

_CHUNK = 256 * 1024
# What the page calls each kind of read and each audit action (translated when shown).
WHAT_LABELS = {
    "diary": "Diary (week)",
    "diary.summary": "Diary (term summary)",
    "diary.news": "Diary (what is new)",
    "diary.ics": "Diary (calendar)",
    "journal": "Journal",
    "journal.csv": "Journal (CSV)",
    "journal.xlsx": "Journal (Excel)",
    "live.report": "Live lesson report",
}
AUDIT_LABELS = {
    "export": "Export",
    "erase": "Erasure",
    "retention": "Retention changed",
    "purge": "Purge",
}


async def _purge_every(app: Starlette, seconds: float) -> None:
    """Purge what retention no longer allows, every ``seconds``, until cancelled."""
    while True:
        await asyncio.sleep(seconds)
        try:
            async with app.state.sessionmaker() as session:
                await services.retention_purge(session, settings=app.state.settings)
        except Exception:  # a failed purge is tried again next time; it must not stop the loop
            log.exception("privacy purge failed")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Run the retention purge every ``settings.purge_interval_seconds`` (hourly unless
    ``ESCHOOL_PURGE_INTERVAL_SECONDS`` says otherwise), cancelled on shutdown."""
    seconds = app.state.settings.purge_interval_seconds
    task = asyncio.create_task(_purge_every(app, seconds), name="privacy-purge")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# --- JSON API ---------------------------------------------------------------------------------


@api_endpoint(Role.admin)
@operation(
    "GET",
    "What each package stores about a person",
    roles=(Role.admin,),
    responses={200: ItemList[RegistryPackagePublic]},
)
async def api_registry(request: Request) -> Response:
    """``GET /api/v1/privacy/registry``: what each package stores about a person."""
    packages = queries.registry_public()
    return json_list(packages, len(packages))


def _chunks(archive: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := archive.read(_CHUNK):
            yield chunk
    finally:
        archive.close()


@api_endpoint(Role.admin)
@operation(
    "GET",
    "Everything held about a pupil, as a zip",
    roles=(Role.admin,),
    responses={
        200: Body(
            "application/zip",
            "`manifest.json`, one `<package>.json` per package and the pupil's own uploaded "
            "files under `files/`.",
        )
    },
)
async def api_export(request: Request) -> Response:
    """``GET /api/v1/privacy/pupils/{id}/export``: a zip of everything held about the pupil."""
    name, archive = await services.pupil_export(
        db(request),
        actor=acting_user(request),
        pupil_id=path_int(request, "id"),
        settings=request.app.state.settings,
    )
    return StreamingResponse(
        _chunks(archive),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@api_endpoint(Role.admin)
@operation(
    "POST",
    "Erase a pupil who has left",
    description="409 `pupil_active` for an active pupil (deactivate first), `already_erased` "
    "the second time; 422 `wrong_confirm` unless `confirm` is the pupil's login.",
    body=EraseRequest,
    roles=(Role.admin,),
    responses={200: PupilErasedPublic},
    errors=(409,),
)
async def api_erase(request: Request) -> Response:
    """``POST /api/v1/privacy/pupils/{id}/erase`` ``{"confirm": "<login>"}``."""
    data = await read_json(request, EraseRequest)
    result = await services.pupil_erase(
        db(request),
        actor=acting_user(request),
        pupil_id=path_int(request, "id"),
        confirm=data.confirm,
        settings=request.app.state.settings,
    )
    return json_ok(result)


async def _pupil_filter(request: Request, actor: User, pupil_id: int | None) -> User | None:
    if pupil_id is None:
        return None
    return await queries.pupil_of_school(db(request), actor=actor, pupil_id=pupil_id)


@api_endpoint(Role.admin)
@operation(
    "GET",
    "Who read pupils' data, newest first",
    query=AccessLogQuery,
    roles=(Role.admin,),
    responses={200: ItemList[AccessRecordPublic]},
)
async def api_access_log(request: Request) -> Response:
    """``GET /api/v1/privacy/access-log?pupil=&page=&per_page=``: newest first."""
    actor = acting_user(request)
    query = read_query(request, AccessLogQuery)
    pupil = await _pupil_filter(request, actor, query.pupil)
    items, total = await queries.access_log_list(
        db(request),
        school_id=actor.school_id,
        pupil_id=pupil.id if pupil else None,
        page=query.page,
        per_page=query.per_page,
    )
    return json_list(items, total, page=query.page, per_page=query.per_page)


@api_endpoint(Role.admin)
@operation(
    "GET",
    "How long the school keeps each kind of data",
    roles=(Role.admin,),
    responses={200: RetentionPublic},
)
@operation(
    "PATCH",
    "Change how long the school keeps each kind of data",
    body=RetentionUpdate,
    roles=(Role.admin,),
    responses={200: RetentionPublic},
)
async def api_retention(request: Request) -> Response:
    """``GET``/``PATCH /api/v1/privacy/retention``: days per kind (``null``: for ever)."""
    actor = acting_user(request)
    if request.method == "PATCH":
        data = await read_json(request, RetentionUpdate)
        days = await services.retention_update(db(request), actor=actor, data=data)
    else:
        days = await queries.retention_get(db(request), school_id=actor.school_id)
    return json_ok(RetentionPublic.model_validate(days))


# --- the admin page ---------------------------------------------------------------------------


def _retention_form(form: dict[str, str]) -> RetentionUpdate:
    fields: dict[str, Any] = {}
    for key in RETENTION_KEYS:
        raw = form.get(f"{key}_days", "").strip()
        fields[f"{key}_days"] = raw or None
    return parse_model(RetentionUpdate, fields)


async def _page_action(request: Request, actor: User, form: dict[str, str]) -> Response:
    action = form.get("action")
    session = db(request)
    if action == "retention":
        await services.retention_update(session, actor=actor, data=_retention_form(form))
        return RedirectResponse("/admin/privacy?saved=1", status_code=303)
    if action == "purge":
        await services.retention_purge(session, settings=request.app.state.settings)
        return RedirectResponse("/admin/privacy?purged=1", status_code=303)
    if action == "erase":
        pupil_id = id_from_text(form.get("pupil_id", ""))
        if pupil_id is None:
            raise BadRequest(_("Unknown pupil."))
        result = await services.pupil_erase(
            session,
            actor=actor,
            pupil_id=pupil_id,
            confirm=form.get("confirm", ""),
            settings=request.app.state.settings,
        )
        return RedirectResponse(f"/admin/people/{result.id}", status_code=303)
    raise BadRequest(_("Unknown action."))


@page_endpoint(Role.admin)
async def admin_privacy(request: Request) -> Response:
    """Retention settings, the access record (of one pupil with ``?pupil=``) and the audit."""
    actor = acting_user(request)
    session = db(request)
    error, status = None, 200
    if request.method == "POST":
        form = await read_form(request)
        try:
            return await _page_action(request, actor, form)
        except DomainError as exc:
            error, status = exc.message, exc.status
    pupil = await _pupil_filter(request, actor, query_int(request, "pupil"))
    page, per_page = pagination(request, default_per_page=50)
    items, total = await queries.access_log_list(
        session,
        school_id=actor.school_id,
        pupil_id=pupil.id if pupil else None,
        page=page,
        per_page=per_page,
    )
    return render(
        request,
        "admin/privacy.html",
        status=status,
        error=error,
        saved=request.query_params.get("saved") == "1",
        purged=request.query_params.get("purged") == "1",
        retention=await queries.retention_get(session, school_id=actor.school_id),
        pupil=pupil,
        records=items,
        total=total,
        page=page,
        per_page=per_page,
        audit=await queries.audit_recent(session, school_id=actor.school_id),
        what_labels={key: _(label) for key, label in WHAT_LABELS.items()},
        audit_labels={key: _(label) for key, label in AUDIT_LABELS.items()},
    )


routes: list[BaseRoute] = [
    Route("/admin/privacy", admin_privacy, methods=["GET", "POST"]),
    Route("/api/v1/privacy/registry", api_registry),
    Route("/api/v1/privacy/pupils/{id:int}/export", api_export),
    Route("/api/v1/privacy/pupils/{id:int}/erase", api_erase, methods=["POST"]),
    Route("/api/v1/privacy/access-log", api_access_log),
    Route("/api/v1/privacy/retention", api_retention, methods=["GET", "PATCH"]),
]
