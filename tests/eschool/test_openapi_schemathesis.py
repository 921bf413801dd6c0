"""The API against its own OpenAPI document, by schemathesis (issue #16): every operation of
``/api/v1/openapi.json``, as admin, teacher, pupil and parent, with requests schemathesis draws
from the document — 0 server errors, 0 statuses the document does not name, 0 answers that
break their schema.

Schemathesis draws the requests; the test sends them through the app's ASGI transport in the
test's own event loop (the app's database lives there) and has schemathesis check each answer.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from eschool.openapi import openapi_document
from tests.eschool.test_no_server_errors import World, gradebook, world

__all__ = ["gradebook", "world"]  # the fixtures this test builds on

ROLES = ("admin", "teacher", "pupil", "parent")
EXAMPLES_PER_ROLE = 2
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Signing out ends the run's own sessions; there is nothing to get wrong there anyway. The
# notifications' event stream never ends by itself (tests/eschool/notifications cover it).
SKIPPED = {("DELETE", "/api/v1/auth/token"), ("GET", "/api/v1/notifications/stream")}


def _cases(schema: Any, count: int) -> list[Case]:
    """``count`` positive cases of every operation of ``schema``."""
    drawn: list[Case] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue

        @settings(
            max_examples=count,
            deadline=None,
            phases=[Phase.generate],
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def draw(case: Case) -> None:
            drawn.append(case)

        draw()
    return drawn


@functools.cache
def _document_cases(document_text: str) -> list[Case]:
    """The cases of one document, drawn once per run (for every database)."""
    schema = schemathesis.openapi.from_dict(json.loads(document_text))
    return _cases(schema, EXAMPLES_PER_ROLE * len(ROLES))


def _request(case: Case, world: World) -> dict[str, Any]:
    """httpx's arguments for a case, the live lesson's code put where the path has one."""
    path = case.formatted_path
    if "code" in (case.path_parameters or {}):
        path = path.replace(str(case.path_parameters["code"]), world.live_code, 1)
    arguments: dict[str, Any] = {
        "method": case.method,
        "url": path,
        "params": case.query or None,
        "headers": {k: str(v) for k, v in (case.headers or {}).items()},
    }
    if not isinstance(case.body, NotSet) and case.media_type:
        if "json" in case.media_type:
            arguments["json"] = case.body
        elif case.media_type.startswith("multipart/"):
            body = case.body if isinstance(case.body, dict) else {"file": case.body}
            arguments["files"] = {
                k: (k, v if isinstance(v, bytes) else str(v)) for k, v in body.items()
            }
        else:
            raw = case.body if isinstance(case.body, bytes) else str(case.body).encode()
            arguments["content"] = raw
            arguments["headers"]["content-type"] = case.media_type
    return arguments


def _touches_the_testers(case: Case, world: World) -> bool:
    """Whether the case would change or deactivate a user the test acts as."""
    if not case.path.startswith("/api/v1/users/") or case.method == "GET":
        return False
    return any(value in world.acting_ids for value in (case.path_parameters or {}).values())


async def test_every_operation_answers_as_documented(world: World) -> None:
    document = openapi_document(list(world.app.routes))
    cases = _document_cases(json.dumps(document, sort_keys=True))
    assert len({(c.method, c.path) for c in cases}) > 0
    transport = httpx.ASGITransport(app=world.app, client=("127.0.0.1", 50000))
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for number, case in enumerate(cases):
            role = ROLES[number % len(ROLES)]
            if _touches_the_testers(case, world):
                continue
            arguments = _request(case, world)
            arguments["headers"] |= world.tokens[role]
            said = f"{case.method} {arguments['url'][:150]} as {role}"
            request = http.build_request(**arguments)
            await request.aread()  # a multipart body is a stream: read it for the checks
            response = await http.send(request)
            statuses[response.status_code // 100 * 100] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # the finding: one line per case
                failures.append(f"{said} → {response.status_code}: {str(exc)[:400]}")
    assert failures == [], f"{len(failures)} failures:\n" + "\n".join(failures[:60])
    # Drawn data reaches past the input checks, not only to a 4xx.
    assert statuses[200] > len(cases) // 10, statuses
