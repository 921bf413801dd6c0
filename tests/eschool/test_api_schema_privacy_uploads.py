"""The privacy and upload APIs answer what their endpoints declare (OpenAPI), in the shapes
they have always had."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from eschool.openapi import undocumented
from eschool.privacy.services import access_record
from eschool.queries import user_by_login
from eschool.seed import DemoPeople
from tests.api_conformance import assert_conforms, declared_operation
from tests.gradebook import conftest as gradebook_fixtures

as_user = gradebook_fixtures.as_user
MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200))


def test_every_privacy_and_upload_route_is_declared(app: Starlette) -> None:
    assert [r for r in undocumented(app.routes) if "/privacy" in r or "/assets" in r] == []


async def test_privacy_answers_conform(
    app: Starlette, client: httpx.AsyncClient, as_user, people: DemoPeople
) -> None:
    admin = await as_user("admin")
    leaver = people.pupils["7A"][-1]
    async with app.state.sessionmaker() as session:
        teacher = await user_by_login(session, "teacher")
        await access_record(session, actor=teacher, what="diary", pupil_id=leaver.id)
        await access_record(
            session, actor=teacher, what="journal", class_id=people.classes["7A"].id, target_id=3
        )

    async def call(method: str, url: str, status: int = 200, **kwargs) -> httpx.Response:
        response = await client.request(method, url, headers=admin, **kwargs)
        assert response.status_code == status, (method, url, response.text)
        assert_conforms(app, response)
        return response

    registry = (await call("GET", "/api/v1/privacy/registry")).json()
    tables = {t["table"]: t for package in registry["items"] for t in package["tables"]}
    access = tables["privacy_access_log"]
    assert set(access) == {"table", "columns", "purpose", "erasure", "erasure_note", "retention"}
    assert access["retention"] == "access_log" and set(access["columns"][0]) == {"name", "holds"}
    log = (await call("GET", f"/api/v1/privacy/access-log?pupil={leaver.id}&per_page=5")).json()
    assert (log["total"], log["page"], log["per_page"]) == (2, 1, 5)
    journal, diary = log["items"]
    assert set(diary) == {"id", "at", "actor", "what", "pupil", "class", "target_id", "detail"}
    assert MOMENT.match(diary["at"]) and diary["actor"]["role"] == "teacher"
    assert diary["pupil"] == {"id": leaver.id, "name": leaver.name, "role": "pupil"}
    assert journal["class"] == {"id": people.classes["7A"].id, "name": "7A"}
    assert journal["pupil"] is None and journal["target_id"] == 3

    days = (await call("GET", "/api/v1/privacy/retention")).json()
    assert days == {"live_events": 365, "recordings": 90, "access_log": 365}
    changed = await call("PATCH", "/api/v1/privacy/retention", json={"recordings_days": None})
    assert changed.json() == {**days, "recordings": None}

    export = await call("GET", f"/api/v1/privacy/pupils/{leaver.id}/export")
    assert export.content.startswith(b"PK")
    erase = f"/api/v1/privacy/pupils/{leaver.id}/erase"
    await call("PATCH", f"/api/v1/users/{leaver.id}", json={"active": False})
    erased = (await call("POST", erase, json={"confirm": leaver.login})).json()
    assert erased["id"] == leaver.id and erased["name"] == f"Former pupil #{leaver.id}"
    assert erased["erased"]["eschool"]["users"] == 1
    again = await call("POST", erase, status=409, json={"confirm": leaver.login})
    assert again.json()["error"]["code"] == "already_erased"


async def test_upload_answers_conform(app: Starlette, client: httpx.AsyncClient, as_user) -> None:
    parent = await as_user("parent")
    files = {"file": ("scan.png", PNG, "image/png")}
    response = await client.post("/api/v1/assets", headers=parent, files=files)
    assert response.status_code == 201, response.text
    assert_conforms(app, response)
    sha = response.json()["id"]
    assert response.json() == {
        "id": sha,
        "url": f"/assets/{sha}",
        "mime": "image/png",
        "size": len(PNG),
        "filename": "scan.png",
    }
    # A stored file answers with its own type: the declaration is any type (``*/*``).
    url = f"/api/v1/assets/{sha}"
    declared = declared_operation(app, "GET", url).responses
    for headers, status in ((parent, 200), ({**parent, "Range": "bytes=0-7"}, 206)):
        got = await client.get(url, headers=headers)
        assert got.status_code == status and declared[status].media_type == "*/*"
        assert PNG.startswith(got.content) and got.headers["content-type"] == "image/png"
