"""Routes of classwork: the assignments API, the slot's library lesson, and the pages where
pupils do assignments and teachers read the results. Thin: parse, call one service or
query, answer."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from classwork import notices, queries, results, services, slot_lessons
from classwork.marking import marks_proposed
from classwork.models import (
    AnswersSave,
    AnswersSaved,
    AssignmentCreate,
    AssignmentDetail,
    AssignmentItem,
    AssignmentPublic,
    AssignmentResults,
    AssignmentsQuery,
    AssignmentUpdate,
    MarksWrite,
    MarksWritten,
    MarkWritten,
    PupilAssignmentDetail,
    PupilResult,
    Regrade,
    SubmitResult,
)
from eschool.api_schema import ItemList, operation
from eschool.errors import Forbidden
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.uploads.queries import uploads_info
from eschool.web import (
    acting_user,
    api_endpoint,
    db,
    json_list,
    json_ok,
    page_endpoint,
    path_int,
    query_int,
    read_json,
    read_query,
    render,
)
from gradebook.diary_access import diary_pupils
from gradebook.models import SlotUpdate
from gradebook.ref_models import SlotPublic
from lessons.blocks import block_assets

STAFF = (Role.admin, Role.teacher)
DETAIL = AssignmentDetail | PupilAssignmentDetail


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Let the shell serve the files of pinned lesson versions to who may see the slot or the
    assignment that pins them (parents included)."""
    app.state.file_audiences.append(queries.pinned_file_audience)
    # Daily (the shell's notifications lifespan runs it): assignments due tomorrow, not handed in.
    app.state.notification_daily.append(
        functools.partial(notices.due_tomorrow, timezone=app.state.settings.timezone)
    )
    yield


def _timezone(request: Request) -> str:
    return request.app.state.settings.timezone


async def _results(request: Request, assignment_id: int) -> AssignmentResults:
    session = db(request)
    view = await queries.assignment_view(
        session, actor=acting_user(request), assignment_id=assignment_id
    )
    if not view.is_staff:
        raise Forbidden(_("Results are for the course's teachers."))
    shares = await results.shares_of(session, view=view)
    proposed = await marks_proposed(session, course=view.course.course, shares=shares)
    return await results.assignment_results(session, view=view, proposed=proposed)


# --- JSON API -------------------------------------------------------------------------------


@api_endpoint()
@operation(
    "GET",
    "The assignments the caller may see",
    query=AssignmentsQuery,
    responses={200: ItemList[AssignmentItem]},
)
@operation(
    "POST",
    "Set a library lesson as an assignment (a teacher of the course)",
    body=AssignmentCreate,
    responses={201: AssignmentPublic},
    errors=(403,),
)
async def api_assignments(request: Request) -> Response:
    """GET ``?course=&pupil=&status=open|closed``: the assignments the caller may see, each
    with ``progress`` of the pupil in view. POST (a teacher of the course) → 201."""
    actor = acting_user(request)
    session = db(request)
    if request.method == "POST":
        data = await read_json(request, AssignmentCreate)
        assignment = await services.assignment_create(
            session, actor=actor, data=data, timezone=_timezone(request)
        )
        return json_ok(queries.assignment_public(assignment), status=201)
    query = read_query(request, AssignmentsQuery)
    items = await queries.assignments_list(
        session, actor=actor, course_id=query.course, pupil_id=query.pupil, status=query.status
    )
    return json_list(items, len(items))


@api_endpoint()
@operation("GET", "An assignment with its lesson", responses={200: DETAIL})
@operation(
    "PATCH",
    "Change an assignment (a teacher of the course)",
    body=AssignmentUpdate,
    responses={200: DETAIL},
    errors=(403,),
)
async def api_assignment(request: Request) -> Response:
    """GET: the assignment with its lesson (see ``results.assignment_detail``). PATCH
    (teacher) ``{"due","attempts","late","auto_mark","closed"}``."""
    actor = acting_user(request)
    session = db(request)
    assignment_id = path_int(request, "assignment_id")
    if request.method == "PATCH":
        data = await read_json(request, AssignmentUpdate)
        await services.assignment_update(
            session,
            actor=actor,
            assignment_id=assignment_id,
            data=data,
            timezone=_timezone(request),
        )
    view = await queries.assignment_view(session, actor=actor, assignment_id=assignment_id)
    return json_ok(await results.assignment_detail(session, view=view))


@api_endpoint(Role.pupil)
@operation(
    "PUT",
    "Save the answers to one quiz block",
    body=AnswersSave,
    responses={200: AnswersSaved},
    roles=(Role.pupil,),
    errors=(409,),
)
async def api_answers(request: Request) -> Response:
    """PUT ``{"block_id","answers":[…]}`` (pupil) → ``{"saved_at"}``."""
    data = await read_json(request, AnswersSave)
    work = await services.answers_save(
        db(request),
        actor=acting_user(request),
        assignment_id=path_int(request, "assignment_id"),
        block_id=data.block_id,
        answers=data.answers,
    )
    return json_ok(AnswersSaved.model_validate(work))


@api_endpoint(Role.pupil)
@operation(
    "POST",
    "Hand the saved answers in",
    responses={200: SubmitResult},
    roles=(Role.pupil,),
    errors=(409,),
)
async def api_submit(request: Request) -> Response:
    """POST (pupil) → ``{"attempt","attempts_left","score","max","share","mark"}``."""
    result = await services.assignment_submit(
        db(request),
        actor=acting_user(request),
        assignment_id=path_int(request, "assignment_id"),
        timezone=_timezone(request),
    )
    return json_ok(result)


@api_endpoint(*STAFF)
@operation("GET", "The results of an assignment", responses={200: AssignmentResults}, roles=STAFF)
async def api_results(request: Request) -> Response:
    """GET (teachers): per pupil state, score, per-question points, proposed and written mark."""
    return json_ok(await _results(request, path_int(request, "assignment_id")))


@api_endpoint(*STAFF)
@operation(
    "PATCH",
    "Regrade one pupil's questions",
    body=Regrade,
    responses={200: PupilResult},
    roles=STAFF,
    errors=(409,),
)
async def api_regrade(request: Request) -> Response:
    """PATCH ``{"question_scores":[…]}`` (teacher): regrade one pupil's questions."""
    data = await read_json(request, Regrade)
    assignment_id = path_int(request, "assignment_id")
    pupil_id = path_int(request, "pupil_id")
    await services.result_regrade(
        db(request),
        actor=acting_user(request),
        assignment_id=assignment_id,
        pupil_id=pupil_id,
        question_scores=data.question_scores,
    )
    table = await _results(request, assignment_id)
    return json_ok(next(p for p in table.pupils if p.pupil_id == pupil_id))


@api_endpoint(*STAFF)
@operation(
    "POST",
    "Write marks into the journal",
    body=MarksWrite,
    responses={200: MarksWritten},
    roles=STAFF,
    errors=(409,),
)
async def api_marks(request: Request) -> Response:
    """POST ``{"marks":[{"pupil_id","value"}]}`` (teacher) → the marks written, by pupil."""
    data = await read_json(request, MarksWrite)
    written = await services.marks_write(
        db(request),
        actor=acting_user(request),
        assignment_id=path_int(request, "assignment_id"),
        marks=[(entry.pupil_id, entry.value) for entry in data.marks],
        timezone=_timezone(request),
        comment=data.comment,
        reason=data.reason,
    )
    marks = [MarkWritten(pupil_id=pupil, value=value) for pupil, value in written.items()]
    return json_ok(MarksWritten(marks=marks))


@api_endpoint(*STAFF)
@operation(
    "PATCH",
    "Change a lesson slot's topic, homework and library lesson",
    body=SlotUpdate,
    responses={200: SlotPublic},
    roles=STAFF,
)
async def api_slot(request: Request) -> Response:
    """PATCH ``/slots/{id}`` ``{"topic","homework","attachments","lesson_id"}``: the slot's
    topic and homework, and the library lesson it teaches (pinned to its published version)."""
    data = await read_json(request, SlotUpdate)
    slot = await slot_lessons.slot_update(
        db(request),
        actor=acting_user(request),
        slot_id=path_int(request, "slot_id"),
        changes=data.model_dump(exclude_unset=True),
        audiences=request.app.state.file_audiences,
    )
    return json_ok(SlotPublic.model_validate(slot))


# --- pages ----------------------------------------------------------------------------------


@page_endpoint()
async def assignments_page(request: Request) -> Response:
    """``/assignments``: a pupil's or a family's assignments (due soon first, then done), a
    teacher's per course."""
    actor = acting_user(request)
    session = db(request)
    items = await queries.assignments_list(
        session, actor=actor, pupil_id=query_int(request, "pupil")
    )
    family = await diary_pupils(session, actor=actor)
    listed = [item.model_dump(mode="json") for item in items]
    return render(request, "classwork/assignments.html", items=listed, family=family)


async def _assets(request: Request, blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Media type, size and name of the files the blocks show (for file and video blocks)."""
    return await uploads_info(
        db(request), school_id=acting_user(request).school_id, shas=block_assets(blocks)
    )


@page_endpoint()
async def assignment_page(request: Request) -> Response:
    """``/assignments/{id}``: the pupil does it; staff see the results; families the state."""
    actor = acting_user(request)
    session = db(request)
    assignment_id = path_int(request, "assignment_id")
    view = await queries.assignment_view(session, actor=actor, assignment_id=assignment_id)
    shown = await results.assignment_detail(session, view=view)
    detail = shown.model_dump(mode="json")
    if view.is_staff:
        table = (await _results(request, assignment_id)).model_dump(mode="json")
        return render(request, "classwork/results.html", detail=detail, results=table)
    if view.access == "pupil":
        assets = await _assets(request, detail["blocks"])
        return render(request, "classwork/do.html", detail=detail, assets=assets)
    return render(request, "classwork/family.html", detail=detail)


@page_endpoint()
async def slot_lesson_page(request: Request) -> Response:
    """``/slots/{id}/lesson``: the library lesson a journal slot teaches, in the version the
    slot pinned, for everyone who may see the slot (pupils and parents without keys)."""
    shown = await slot_lessons.slot_lesson(
        db(request), actor=acting_user(request), slot_id=path_int(request, "slot_id")
    )
    assets = await _assets(request, shown["blocks"])
    return render(request, "classwork/slot_lesson.html", assets=assets, **shown)


routes: list[BaseRoute] = [
    Route("/api/v1/assignments", api_assignments, methods=["GET", "POST"]),
    Route("/api/v1/assignments/{assignment_id:int}", api_assignment, methods=["GET", "PATCH"]),
    Route("/api/v1/assignments/{assignment_id:int}/answers", api_answers, methods=["PUT"]),
    Route("/api/v1/assignments/{assignment_id:int}/submit", api_submit, methods=["POST"]),
    Route("/api/v1/assignments/{assignment_id:int}/results", api_results, methods=["GET"]),
    Route(
        "/api/v1/assignments/{assignment_id:int}/results/{pupil_id:int}",
        api_regrade,
        methods=["PATCH"],
    ),
    Route("/api/v1/assignments/{assignment_id:int}/marks", api_marks, methods=["POST"]),
    Route("/api/v1/slots/{slot_id:int}", api_slot, methods=["PATCH"]),
    Route("/assignments", assignments_page, methods=["GET"]),
    Route("/assignments/{assignment_id:int}", assignment_page, methods=["GET"]),
    Route("/slots/{slot_id:int}/lesson", slot_lesson_page, methods=["GET"]),
]
