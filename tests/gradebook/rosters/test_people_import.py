"""The plain people CSV (login,name,role,class,parent_of): a dry run, the import, a re-import
that changes nothing, and errors at their line and column with nothing stored."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from eschool.services import year_create
from tests.conftest import TODAY
from tests.gradebook.rosters.conftest import School, row_counts

URL = "/api/v1/rosters/people"
PEOPLE = (
    "\ufeffname,login,role,class,parent_of\r\n"  # a BOM, and the columns in another order
    '"Petrova Anna Viktorovna",a.petrova,teacher,,\r\n'
    "Ivanov Ivan,i.ivanov,pupil,7a,\r\n"
    "Ivanova Maria,m.ivanova,pupil,7A,\r\n"
    "Sidorov Petr,p.sidorov,pupil,7B,\r\n"
    '"Ivanova, Olga",o.ivanova,parent,,i.ivanov;m.ivanova\r\n'
    "Sidorova Vera,v.sidorova,guardian,,p.sidorov\r\n"
)


async def post(client: httpx.AsyncClient, school: School, text: str, *, dry_run: bool = False):
    return await client.post(
        URL + ("?dry_run=1" if dry_run else ""),
        files={"file": ("people.csv", text.encode(), "text/csv")},
        headers=school.headers,
    )


async def test_people_csv_imports_idempotently(
    app: Starlette, client: httpx.AsyncClient, school: School
) -> None:
    async with app.state.sessionmaker() as session:
        from eschool.models import School as SchoolRow
        from eschool.seed import academic_year_bounds

        name, starts, ends = academic_year_bounds(TODAY)
        await year_create(
            session,
            actor=None,
            school=await session.get(SchoolRow, school.id),
            name=name,
            starts=starts,
            ends=ends,
        )
    before = await row_counts(app)
    preview = await post(client, school, PEOPLE, dry_run=True)
    assert preview.status_code == 200, preview.text
    assert await row_counts(app) == before
    changes = preview.json()["changes"]
    assert changes["users"] == {"create": 6, "update": 0, "deactivate": 0}
    assert changes["classes"]["create"] == 2 and changes["enrollments"]["create"] == 3
    assert changes["guardianships"]["create"] == 3
    applied = await post(client, school, PEOPLE)
    assert applied.status_code == 200 and applied.json()["changes"] == changes
    classes = {
        c["name"]: c
        for c in (await client.get("/api/v1/classes", headers=school.headers)).json()["items"]
    }
    pupils = (
        await client.get(f"/api/v1/classes/{classes['7A']['id']}/pupils", headers=school.headers)
    ).json()
    pupils = pupils["items"] if isinstance(pupils, dict) else pupils
    assert sorted(p["login"] for p in pupils) == ["i.ivanov", "m.ivanova"]
    people = (await client.get("/api/v1/users?per_page=50", headers=school.headers)).json()["items"]
    assert {p["login"]: p["name"] for p in people}["o.ivanova"] == "Ivanova, Olga"
    for password in ("", "password", "x" * 8):  # nobody knows an imported person's password
        token = await client.post(
            "/api/v1/auth/token", json={"login": "a.petrova", "password": password}
        )
        assert token.status_code in (401, 422)
    again = await post(client, school, PEOPLE)
    assert all(v == 0 for counts in again.json()["changes"].values() for v in counts.values())
    moved = await post(client, school, "login,name,role,class\r\ni.ivanov,Ivanov Ivan,pupil,7B\r\n")
    assert moved.json()["changes"]["enrollments"] == {"create": 0, "update": 1, "deactivate": 0}


async def test_people_csv_errors_name_line_and_column(
    app: Starlette, client: httpx.AsyncClient, school: School
) -> None:
    before = await row_counts(app)
    text = (
        "login,name,role,class,parent_of\r\n"
        "ok.one,Good Person,teacher,,\r\n"
        "Bad Login!,Someone,pupil,,\r\n"
        "x.wizard,Merlin,wizard,,\r\n"
        "t.class,Teacher,teacher,7A,\r\n"
        "p.parent,Parent,parent,,nobody.here\r\n"
        "ok.one,Twice,teacher,,\r\n"
        "boss,Boss Again,teacher,,\r\n"
    )
    response = await post(client, school, text)
    assert response.status_code == 422
    places = {(e["file"], e["line"], e["column"]) for e in response.json()["errors"]}
    assert places == {
        ("people.csv", 3, "login"),
        ("people.csv", 4, "role"),
        ("people.csv", 5, "class"),
        ("people.csv", 7, "login"),
    }
    # Lines that pass the first checks meet the database: an unknown child, a role change.
    response = await post(
        client,
        school,
        "login,name,role,parent_of\r\np.parent,P,parent,nobody\r\nboss,B,teacher,\r\n",
    )
    assert response.status_code == 422
    places = {(e["line"], e["column"]) for e in response.json()["errors"]}
    assert places == {(2, "parent_of"), (3, "role")}
    missing = await post(client, school, "login,name\r\na.b,A B\r\n")
    assert [(e["line"], e["column"]) for e in missing.json()["errors"]] == [(1, "role")]
    assert await row_counts(app) == before
