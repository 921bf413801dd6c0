"""The set-up API pieces beyond `gradebook.routes`: subject rename and delete, work type
removal. (Course changes and new holidays keep their addresses in `gradebook.routes`,
which calls `gradebook.setup.services` for them.)"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import operation
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.web import acting_user, api_endpoint, db, json_ok, path_int, read_json
from gradebook.ref_models import SubjectPublic
from gradebook.setup import services
from gradebook.setup.models import SubjectUpdate

ADMIN = (Role.admin,)

_CODE = re.compile(r"[a-z][a-z0-9_-]{0,31}")


@api_endpoint(Role.admin)
@operation(
    "PATCH",
    "Rename a subject",
    description="Only what is sent changes; a blank short name becomes the name's first "
    "letters. A taken name → 409.",
    body=SubjectUpdate,
    roles=ADMIN,
    responses={200: SubjectPublic},
    errors=(409,),
)
@operation(
    "DELETE",
    "Delete a subject",
    description="409 `subject_in_use` while a course teaches it.",
    roles=ADMIN,
    responses={204: None},
    errors=(409,),
)
async def api_subject(request: Request) -> Response:
    """PATCH (admin) `{"name","short_name"}` (only what is sent; 409 for a taken name);
    DELETE (admin) → 204, or 409 `subject_in_use` while a course teaches it."""
    actor = acting_user(request)
    subject_id = path_int(request, "id")
    if request.method == "DELETE":
        await services.subject_delete(db(request), actor=actor, subject_id=subject_id)
        return Response(status_code=204)
    data = await read_json(request, SubjectUpdate)
    subject = await services.subject_rename(
        db(request), actor=actor, subject_id=subject_id, name=data.name, short_name=data.short_name
    )
    return json_ok(SubjectPublic.model_validate(subject))


@api_endpoint(Role.admin)
@operation(
    "DELETE",
    "Remove a work type",
    description="409 `work_type_in_use` once marks use it, `last_work_type` for the last one.",
    roles=ADMIN,
    responses={204: None},
    errors=(409,),
)
async def api_work_type(request: Request) -> Response:
    """DELETE (admin) a work type → 204, or 409 `work_type_in_use` once marks use it."""
    code = request.path_params["code"]
    if not _CODE.fullmatch(code):
        raise NotFound(_("No such work type."))
    await services.work_type_remove(db(request), actor=acting_user(request), code=code)
    return Response(status_code=204)


routes: list[BaseRoute] = [
    Route("/api/v1/subjects/{id:int}", api_subject, methods=["PATCH", "DELETE"]),
    Route("/api/v1/work-types/{code}", api_work_type, methods=["DELETE"]),
]
