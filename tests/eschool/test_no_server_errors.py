"""No 500 for bad input, anywhere (issue #15): every route of the app, as every role, with
hostile path parameters, query strings and bodies. Every answer is below 500, and every
4xx under ``/api/`` carries the error envelope ``{"error": {"code", "message"}}``.

What each endpoint reads is found in its own source: the wire models it parses (their
fields drive well-typed bodies with out-of-range values) and its string literals (form
fields, query names, ``action`` values).
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import types
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor
from starlette.routing import BaseRoute, Mount, Route

from eschool.queries import user_by_login
from eschool.seed import DemoPeople
from eschool.services import api_token_create
from tests.gradebook.conftest import Gradebook, gradebook

__all__ = ["gradebook"]  # the gradebook's fixture, which ``world`` builds on

ROLES = ("anonymous", "admin", "teacher", "pupil", "parent")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Signing out would end the run's own sessions; there is no input to get wrong there anyway.
SIGN_OUT = {("DELETE", "/api/v1/auth/token"), ("POST", "/logout")}
COMMON_WORDS = (
    "id", "page", "per_page", "term", "class", "pupil", "pupil_id", "slot_id", "course_id",
    "term_id", "lesson_id", "q", "from", "to", "week", "version", "status", "reason", "action",
    "csrf_token", "name", "value", "file", "next", "since", "token", "view",
)  # fmt: skip
SWEEPS = 1  # each sweep: one probe per route and role
LIVE_CODE = "LIVE-CODE"  # in a drawn path: the running live lesson's code
HUGE_INTS = (2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**20, -(2**63) - 1)
LESSON = {
    "title": "Fractions",
    "subject": "Mathematics",
    "grades": [7],
    "blocks": [
        {"kind": "text", "text": "Read about **fractions**."},
        {
            "kind": "quiz",
            "questions": [
                {"kind": "single", "prompt": "1/2 = ?", "options": ["0.2", "0.5"], "answer": 1}
            ],
        },
    ],
}
ODD_NUMBERS = ("", " 1", "1.5", "1e3", "-0", "0x10", "abc", "١٢", "9" * 5000, "1" * 20)


@dataclass(frozen=True)
class Target:
    """One route: its path with ``{name}`` holes, the kind of each hole, what it reads."""

    path: str
    holes: tuple[tuple[str, str], ...]  # (name, "int" or "str")
    methods: tuple[str, ...]
    models: tuple[type[BaseModel], ...]
    words: tuple[str, ...]


def _endpoint_facts(endpoint: Any) -> tuple[tuple[type[BaseModel], ...], tuple[str, ...]]:
    """The wire models an endpoint parses and the string literals of its source."""
    function = inspect.unwrap(endpoint)
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return (), ()
    names = re.findall(r"(?:read_json\(request,|parse_model\()\s*(\w+)", source)
    found = [getattr(function, "__globals__", {}).get(name) for name in names]
    models = tuple(m for m in found if isinstance(m, type) and issubclass(m, BaseModel))
    words = tuple(sorted(set(re.findall(r"\"([A-Za-z_][\w.-]{0,30})\"", source))))
    return models, words


def app_targets(routes: list[BaseRoute], prefix: str = "") -> list[Target]:
    """Every HTTP route of the app, recursing into mounts (static files left out)."""
    targets = []
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            targets += app_targets(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            holes = tuple(
                (name, "int" if isinstance(convertor, IntegerConvertor) else "str")
                for name, convertor in route.param_convertors.items()
            )
            models, words = _endpoint_facts(route.endpoint)
            methods = tuple(sorted((route.methods or {"GET"}) - {"HEAD"}))
            targets.append(Target(prefix + route.path_format, holes, methods, models, words))
    return targets


# --- values ------------------------------------------------------------------------------

real_ids = st.integers(1, 40)
any_int = st.one_of(real_ids, st.sampled_from((0, -1, *HUGE_INTS)), st.integers())
int_text = st.one_of(any_int.map(str), st.sampled_from(ODD_NUMBERS))
odd_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(("K7QF-29", "..", "%", "\x00", "\ud800", "a" * 3000, "0" * 64, "9" * 5000)),
)
scalar_text = st.one_of(
    int_text, odd_text, st.sampled_from(("true", "2024-02-30", "9999-12-31", "0001-01-01"))
)
dates = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(("0001-01-01", "9999-12-31", "2024-02-30", "today", "-1")),
)
json_scalars = st.one_of(
    st.none(), st.booleans(), any_int, st.floats(allow_nan=False), odd_text, st.just(10**400)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def for_annotation(annotation: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of a field's type (well-typed but out of range), sometimes of any type."""
    return st.one_of(_typed(annotation, depth), json_values) if depth < 4 else json_scalars


def _typed(annotation: Any, depth: int) -> st.SearchStrategy[Any]:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _typed(args[0], depth)
    if origin in (Union, types.UnionType):
        return st.one_of([_typed(arg, depth) for arg in args])
    if origin is Literal:
        return st.sampled_from(args)
    if origin in (list, tuple, set, frozenset):
        return st.lists(for_annotation(args[0] if args else Any, depth + 1), max_size=3)
    if origin is dict:
        return st.dictionaries(st.text(max_size=6), json_values, max_size=3)
    if annotation is type(None):
        return st.none()
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return any_int
    if annotation is float:
        return st.one_of(st.floats(allow_nan=False, allow_infinity=False), any_int)
    if annotation in (date, datetime):
        return dates
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return st.sampled_from([member.value for member in annotation])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_bodies(annotation, depth + 1)
    if annotation is str:
        return odd_text
    return json_values


@functools.cache
def model_bodies(model: type[BaseModel], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object with the model's fields (by alias), each well- or ill-typed."""
    fields = {
        field.alias or name: for_annotation(field.annotation, depth)
        for name, field in model.model_fields.items()
    }
    return st.fixed_dictionaries({}, optional=fields)


_nested = st.integers(40, 5000).flatmap(
    lambda n: st.sampled_from(("[" * n + "]" * n, '{"a":' * n + "1" + "}" * n))
)
_odd_json = st.one_of(
    st.sampled_from(("9" * 10_000, "-" + "9" * 5000, "1" + "0" * 400 + ".5", "1e999")),
    st.sampled_from(("NaN", "Infinity", "-Infinity", '"\\ud800"', '"a\\u0000b"')),
    _nested,
)
_garbage = st.tuples(
    st.sampled_from(
        (
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "text/plain",
            "application/zip",
        )
    ),
    st.one_of(
        st.binary(max_size=64),
        st.just(b"%ff%fe=%00&action=%ZZ&" + b"a=" * 50),
        st.just(b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\n'),
    ),
)
_json_type = st.sampled_from(("application/json", "application/json; charset=utf-8"))


def _urlencoded(fields: dict[str, str]) -> str:
    """``a=1&b=2``, lone surrogates and all (sent as the bytes they would be)."""
    return urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in fields.items()})


def _as_json(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


def bodies(target: Target) -> st.SearchStrategy[tuple[str | None, bytes]]:
    """A content type and a body: nothing, JSON of the endpoint's models (or of its words),
    JSON that broke parsers, a form of its words, garbage."""
    words = st.sampled_from(target.words + COMMON_WORDS)
    models = [model_bodies(model) for model in target.models]
    as_json = st.one_of(*models, st.dictionaries(words, json_values, max_size=4)).map(_as_json)
    raw = st.one_of(
        _nested,
        st.builds(lambda k, v: f'{{"{k}": {v}}}', words, _odd_json),
        st.sampled_from(('{"a": ', "[1, 2]", '"text"', "12", "null", "\ufeff{}")),
    ).map(lambda text: text.encode("utf-8", "surrogatepass"))
    form = st.dictionaries(words, st.one_of(words, scalar_text), max_size=5)
    return st.one_of(
        st.just((None, b"")),
        st.tuples(_json_type, as_json),
        st.tuples(_json_type, raw),
        st.tuples(
            st.just("application/x-www-form-urlencoded"),
            form.map(lambda f: _urlencoded(f).encode()),
        ),
        _garbage,
    )


@dataclass
class Probe:
    """One hostile request (no auth yet) and the integers put in its path."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    path_ints: set[int]


def probes(target: Target) -> st.SearchStrategy[Probe]:
    """A method, a URL, a content type and a body for this route."""
    names = [name for name, _kind in target.holes]
    known = st.one_of(odd_text, st.just(LIVE_CODE))
    holes = st.tuples(*(int_text if kind == "int" else known for _name, kind in target.holes))
    words = st.sampled_from(target.words + COMMON_WORDS)

    def probe(
        method: str, values: tuple[str, ...], query: dict[str, str], body: tuple[str | None, bytes]
    ) -> Probe:
        path, path_ints = target.path, set()
        for name, value in zip(names, values, strict=True):
            if value.isascii() and value.strip().lstrip("-").isdigit() and len(value) < 30:
                path_ints.add(int(value))
            path = path.replace("{" + name + "}", quote(value, safe="", errors="surrogatepass"))
        if query:
            path += "?" + _urlencoded(query)
        content_type, content = body
        headers = {"content-type": content_type} if content_type else {}
        return Probe(method, path, headers, content, path_ints)

    return st.builds(
        probe,
        st.one_of(st.sampled_from(target.methods), st.sampled_from(METHODS)),
        holes,
        st.dictionaries(words, scalar_text, max_size=3),
        bodies(target),
    )


# --- the test ----------------------------------------------------------------------------


@dataclass
class World:
    """The app with a little of everything, a token per role, and what the probes may name."""

    app: Starlette = field(repr=False)
    tokens: dict[str, dict[str, str]] = field(repr=False)
    acting_ids: set[int] = field(repr=False)  # the users the test acts as
    live_code: str = ""


async def _made(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
async def world(app: Starlette, people: DemoPeople, gradebook: Gradebook) -> World:
    """The demo people and a small gradebook, a published lesson with a quiz, a mark, an
    assignment and a running live lesson; tokens made directly (no sign-in: this is not
    about passwords)."""
    tokens: dict[str, dict[str, str]] = {"anonymous": {}}
    acting_ids = set()
    async with app.state.sessionmaker() as session:
        for role in ROLES[1:]:
            user = await user_by_login(session, role)
            assert user is not None and user.id is not None
            token = await api_token_create(session, user=user, label="hostile input test")
            tokens[role] = {"Authorization": f"Bearer {token}"}
            acting_ids.add(user.id)
    teacher = tokens["teacher"]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        lesson = await _made(await http.post("/api/v1/lessons", json=LESSON, headers=teacher))
        await _made(await http.post(f"/api/v1/lessons/{lesson['id']}/publish", headers=teacher))
        mark = {"pupil_id": gradebook.pupil("pupil").id, "value": "5"}
        mark["slot_id"] = gradebook.past_slot(gradebook.math_7a).id
        await _made(await http.post("/api/v1/marks", json=mark, headers=teacher))
        homework = {"lesson_id": lesson["id"], "course_id": gradebook.math_7a}
        homework["due"] = (gradebook.today + timedelta(days=7)).isoformat()
        await _made(await http.post("/api/v1/assignments", json=homework, headers=teacher))
        live = {"lesson_id": lesson["id"]}
        running = await _made(await http.post("/api/v1/live", json=live, headers=teacher))
    return World(app, tokens, acting_ids, live_code=running["code"])


def problem(response: httpx.Response) -> str | None:
    """What is wrong with an answer to bad input, if anything."""
    status = response.status_code
    if status >= 500:
        return f"status {status}"
    api = response.url.path.startswith("/api/")
    if status < 400 or not api or response.request.method == "HEAD":
        return None
    try:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
    except (ValueError, KeyError, TypeError, AssertionError):
        return f"status {status} without the error envelope: {response.text[:200]!r}"
    return None


def _spares_the_testers(target: Target, probe: Probe, world: World) -> bool:
    """Whether the probe leaves the users the test acts as signed in and active."""
    if (probe.method, target.path) in SIGN_OUT:
        return False
    addresses_person = target.path.startswith(("/api/v1/users/", "/admin/people/"))
    return not (addresses_person and probe.path_ints & world.acting_ids)


@functools.cache
def hostile_probes(target: Target, count: int) -> list[Probe]:
    """``count`` probes of one route, drawn by hypothesis (one per example); drawn once per
    run, for every database."""
    drawn: list[Probe] = []

    @settings(
        max_examples=count,
        deadline=None,
        phases=[Phase.generate],
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(probe=probes(target))
    def draw(probe: Probe) -> None:
        drawn.append(probe)

    draw()
    return drawn


async def test_every_route_as_every_role_survives_hostile_input(world: World) -> None:
    targets = [t for t in app_targets(list(world.app.routes)) if t.path != "/healthz"]
    assert len(targets) > 50
    transport = httpx.ASGITransport(app=world.app, client=("127.0.0.1", 50000))
    failures: list[str] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for target in targets:
            drawn = hostile_probes(target, SWEEPS * len(ROLES))
            for role, probe in zip(ROLES * SWEEPS, drawn, strict=False):
                if not _spares_the_testers(target, probe, world):
                    continue
                url = probe.url.replace(LIVE_CODE, world.live_code)
                sent = f"{probe.headers.get('content-type')} {probe.body[:80]!r}"
                said = f"{probe.method} {url[:150]} as {role} with {sent}"
                try:
                    response = await http.request(
                        probe.method,
                        url,
                        headers=probe.headers | world.tokens[role],
                        content=probe.body,
                    )
                except Exception as exc:  # the app raised: that is the finding
                    failures.append(f"{said}: {exc!r}"[:500])
                    continue
                if found := problem(response):
                    failures.append(f"{said}: {found}")
    assert failures == [], "\n".join(failures)
