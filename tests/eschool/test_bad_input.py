"""The findings of the hostile run of issue #15, one by one: JSON nested ~1,000 deep, ids
beyond 64 bits in a path or a body, 10,000-digit numbers, non-integer ids in admin forms,
and text or dates no database takes. ``test_no_server_errors`` sweeps every route."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.convertors import IntegerConvertor
from starlette.routing import BaseRoute, Mount

from eschool.app import create_app
from eschool.errors import BadRequest
from eschool.seed import DemoPeople
from eschool.settings import Settings
from eschool.web import MAX_JSON_DEPTH, IdConvertor, parse_json
from tests.gradebook.conftest import as_user

__all__ = ["as_user"]  # the gradebook's: tokens made directly, no password hashing per test

JSON_TYPE = {"content-type": "application/json"}
BAD_IDS = ("abc", "", "1.5", "1e3", "-1", "٣", "99999999999999999999", "2147483648")


def _all_routes(routes: list[BaseRoute]) -> list[BaseRoute]:
    found = []
    for route in routes:
        found.append(route)
        if isinstance(route, Mount) and route.routes:
            found += _all_routes(list(route.routes))
    return found


def test_every_int_path_parameter_is_bounded(tmp_path: Path) -> None:
    """``{id:int}`` is the ten-digit convertor in every route, however the modules load."""
    app = create_app(Settings(data_dir=tmp_path, database_url="sqlite+aiosqlite://"))
    holes = [
        convertor
        for route in _all_routes(list(app.routes))
        for convertor in getattr(route, "param_convertors", {}).values()
        if isinstance(convertor, IntegerConvertor)
    ]
    assert len(holes) > 30
    assert all(isinstance(convertor, IdConvertor) for convertor in holes)


def test_the_json_depth_limit_is_exact() -> None:
    assert parse_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    with pytest.raises(BadRequest):
        parse_json(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))


async def test_json_too_deep_or_with_numbers_beyond_json_is_bad_json(
    client: httpx.AsyncClient, as_user
) -> None:
    teacher = await as_user("teacher") | JSON_TYPE
    too_deep = (
        "[" * 100_000 + "]" * 100_000,  # the RecursionError of the hostile run
        '{"title": "x", "blocks": ' + "[" * 70 + "]" * 70 + "}",  # parses, but too deep
        '{"title": ' + '{"a":' * 3000 + "1" + "}" * 3000 + "}",
    )
    for body in too_deep:
        response = await client.post("/api/v1/lessons", content=body, headers=teacher)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_json"
    numbers = ("9" * 10_000, "-" + "9" * 5000, "1" + "0" * 400 + ".5", "1e999", "NaN", "Infinity")
    for number in numbers:
        body = f'{{"pupil_id": 1, "slot_id": 1, "value": {number}}}'
        response = await client.post("/api/v1/marks", content=body, headers=teacher)
        assert response.status_code == 400, number[:10]
        assert response.json()["error"]["code"] == "bad_json"


async def test_ids_beyond_the_database_are_not_found_in_a_path_and_invalid_in_a_body(
    client: httpx.AsyncClient, as_user
) -> None:
    teacher, admin = await as_user("teacher"), await as_user("admin")
    for lesson_id in ("99999999999999999999", "2147483648", "9" * 5000):
        for method in ("GET", "PUT", "DELETE"):
            url = f"/api/v1/lessons/{lesson_id}"
            response = await client.request(method, url, headers=teacher)
            assert response.status_code == 404, (method, lesson_id[:20])
            assert response.json()["error"]["code"] == "not_found"
    bodies = (
        ("/api/v1/guardians", {"parent_id": 2**31, "child_id": 1}),
        ("/api/v1/guardians", {"parent_id": 2**64, "child_id": 2**63}),
        ("/api/v1/classes/1/pupils", {"pupil_id": 99999999999999999999}),
        ("/api/v1/classes", {"name": "8C", "form_tutor_id": -(2**63)}),
    )
    for path, body in bodies:
        response = await client.post(path, json=body, headers=admin)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid"


async def test_admin_forms_naming_nothing_are_not_found(
    client: httpx.AsyncClient, as_user, people: DemoPeople
) -> None:
    admin = await as_user("admin")
    class_page = f"/admin/classes/{people.classes['7A'].id}"
    person_page = f"/admin/people/{people.pupils['7A'][3].id}"
    for bad in BAD_IDS:
        terms = await client.post("/admin/terms", data={"term_id": bad}, headers=admin)
        assert terms.status_code == 404, bad
        assert terms.headers["content-type"].startswith("text/html")
        if bad:  # an empty tutor means "no tutor"
            tutor = await client.post(class_page, data={"form_tutor_id": bad}, headers=admin)
            assert tutor.status_code == 404, bad
        enrol = await client.post(
            person_page, data={"action": "enrol", "class_id": bad}, headers=admin
        )
        assert enrol.status_code == 404, bad
    blank = await client.post(person_page, data={"action": "update", "name": ""}, headers=admin)
    assert blank.status_code == 422
    for path in ("/admin/classes/99999999999999999999", "/admin/people/2147483648"):
        assert (await client.get(path, headers=admin)).status_code == 404


async def test_text_dates_and_forms_no_database_takes_are_refused(
    client: httpx.AsyncClient, as_user, people: DemoPeople
) -> None:
    admin = await as_user("admin")
    listing = await client.get("/api/v1/users", params={"q": "a\x00b"}, headers=admin)
    assert listing.status_code == 400
    for body in (b'{"name": "7\\u0000"}', b'{"name": "\\ud800"}'):
        response = await client.post("/api/v1/classes", content=body, headers=admin | JSON_TYPE)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_json"
    emoji = b'{"name": "8\\ud83d\\ude00"}'  # a whole surrogate pair is one character: fine
    response = await client.post("/api/v1/classes", content=emoji, headers=admin | JSON_TYPE)
    assert response.status_code == 422  # refused by the class name pattern, not as JSON
    assert (
        await client.post("/admin/classes", data={"name": "8\x00"}, headers=admin)
    ).status_code == 422
    multipart = await client.post(
        "/admin/terms",
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n',
        headers=admin | {"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert multipart.status_code == 415
    pupil = await as_user("pupil")
    pupil_id = next(p.id for p in people.pupils["7A"] if p.login == "pupil")
    for query in ("from=9999-12-31", "to=0001-01-01"):
        response = await client.get(f"/api/v1/diary/{pupil_id}?{query}", headers=pupil)
        assert response.status_code == 400, query
    for week in ("9999-12-31", "0001-01-01"):
        assert (await client.get(f"/diary?week={week}", headers=pupil)).status_code == 400
