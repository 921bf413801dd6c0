"""The school's API answers what its OpenAPI declarations say: sign-in, people, classes,
guardians, years and terms, read by every role and written by the admin."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from eschool.app import create_app
from eschool.openapi import api_routes, openapi_document, undocumented
from tests.api_conformance import assert_conforms

SCHOOL_MODULES = {"eschool.routes", "eschool.signin_pages", "eschool.school_pages"}


def test_every_school_route_is_declared() -> None:
    app = create_app()
    ours = {
        f"{method} {route.path}"
        for route in api_routes(app.routes)
        if route.endpoint.__module__ in SCHOOL_MODULES
        for method in route.methods
    }
    assert len(ours) >= 23
    assert ours.isdisjoint(undocumented(app.routes))
    paths = openapi_document(app.routes)["paths"]
    created = paths["/api/v1/users"]["post"]["responses"]["201"]["content"]["application/json"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in created["schema"]["anyOf"]} == {
        "UserCreatedPublic",
        "UserPublic",
    }
    assert paths["/api/v1/years"]["post"]["responses"]["409"]
    role = next(p for p in paths["/api/v1/users"]["get"]["parameters"] if p["name"] == "role")
    assert "pupil" in role["schema"]["enum"]


async def test_every_role_reads_what_is_declared(
    app: Starlette, client: httpx.AsyncClient, as_user, people
) -> None:
    class_id = people.classes["7A"].id
    pupil_id = people.pupils["7A"][0].id
    for login in ("admin", "teacher", "pupil", "parent"):
        signed_in = await client.post(
            "/api/v1/auth/token", json={"login": login, "password": "demo"}
        )
        assert assert_conforms(app, signed_in).user.login == login
        headers = await as_user(login)
        me = assert_conforms(app, await client.get("/api/v1/me", headers=headers))
        assert me.role == login and me.classes
        for path in (
            "/api/v1/users",
            "/api/v1/classes",
            f"/api/v1/classes/{class_id}",
            f"/api/v1/classes/{class_id}/pupils",
            "/api/v1/years",
            "/api/v1/terms",
        ):
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, (login, path, response.text)
            assert_conforms(app, response)
    admin = await as_user("admin")
    person = await client.get(f"/api/v1/users/{pupil_id}", headers=admin)
    assert assert_conforms(app, person).id == pupil_id
    listing = await client.get(
        "/api/v1/users",
        params={"role": "pupil", "class": "7A", "q": "", "per_page": 5},
        headers=admin,
    )
    page = assert_conforms(app, listing)
    assert (len(page.items), page.total, page.per_page) == (5, len(people.pupils["7A"]), 5)
    assert {u.role for u in page.items} == {"pupil"}
    wrong_role = await client.get("/api/v1/users", params={"role": "wizard"}, headers=admin)
    assert wrong_role.status_code == 400
    assert_conforms(app, wrong_role)


async def test_admin_writes_answer_what_is_declared(
    app: Starlette, client: httpx.AsyncClient, as_user, people
) -> None:
    admin = await as_user("admin")
    class_id = people.classes["7B"].id

    async def call(method: str, path: str, status: int, body: dict | None = None):
        response = await client.request(method, path, json=body, headers=admin)
        assert response.status_code == status, (method, path, response.text)
        return assert_conforms(app, response)

    generated = await call(
        "POST", "/api/v1/users", 201, {"login": "n.new", "name": "N", "role": "pupil"}
    )
    assert len(generated.password) >= 8
    parent = await call(
        "POST",
        "/api/v1/users",
        201,
        {"login": "p.new", "name": "P", "role": "parent", "password": "long-enough"},
    )
    assert not hasattr(parent, "password")
    assert (await call("PATCH", f"/api/v1/users/{parent.id}", 200, {"name": "Pat"})).name == "Pat"
    await call("POST", f"/api/v1/users/{parent.id}/password", 200, {"password": "longer-still"})
    pupils = await call(
        "POST", f"/api/v1/classes/{class_id}/pupils", 201, {"pupil_id": generated.id}
    )
    assert generated.id in {p.id for p in pupils.items}
    await call("DELETE", f"/api/v1/classes/{class_id}/pupils/{generated.id}", 204)
    link = {"parent_id": parent.id, "child_id": generated.id}
    assert (await call("POST", "/api/v1/guardians", 201, link)).child_id == generated.id
    await call("DELETE", "/api/v1/guardians", 204, link)
    made = await call("POST", "/api/v1/classes", 201, {"name": "9c"})
    assert (made.name, made.grade) == ("9C", 9)
    await call("PATCH", f"/api/v1/classes/{made.id}", 200, {"active": False})
    span = {"starts": "2040-09-01", "ends": "2041-05-31"}
    year = await call("POST", "/api/v1/years", 201, {"name": "2040", **span, "split": "none"})
    assert [(g.start.isoformat(), g.end.isoformat()) for g in year.gaps] == [
        ("2040-09-01", "2041-05-31")
    ]
    term = await call("POST", "/api/v1/terms", 201, {"year_id": year.id, "name": "T", **span})
    assert (await call("PATCH", f"/api/v1/terms/{term.id}", 200, {"closed": True})).closed
    renamed = await call("PATCH", f"/api/v1/years/{year.id}", 200, {"name": "2040/41"})
    assert [t.id for t in renamed.terms] == [term.id] and renamed.gaps == []
    await call("DELETE", "/api/v1/auth/token", 204)
