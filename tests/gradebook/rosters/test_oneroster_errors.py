"""Malformed OneRoster uploads: each → 422 naming the file, line and column, nothing stored."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date

import httpx
import pytest
from starlette.applications import Starlette

from gradebook.rosters.csv_reader import MAX_UPLOAD, ZIP_FILE
from gradebook.rosters.oneroster import COLUMNS
from tests.conftest import TODAY
from tests.gradebook.rosters.conftest import School, row_counts
from tests.gradebook.rosters.oneroster_data import Rows, csv_bytes, manifest, small_set, to_zip

Upload = Callable[[date], bytes]


def _zip(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _changed(change: Callable[[dict[str, Rows]], None], **options) -> Upload:
    def build(today: date) -> bytes:
        data = small_set(today)
        change(data)
        return to_zip(data, **options)

    return build


def _line(data: dict[str, Rows], name: str, sourced_id: str) -> dict[str, str]:
    return next(row for row in data[name] if row["sourcedId"] == sourced_id)


def _set(name: str, sourced_id: str, **values: str) -> Callable[[dict[str, Rows]], None]:
    return lambda data: _line(data, name, sourced_id).update(values)


def _duplicate_user(data: dict[str, Rows]) -> None:
    data["users.csv"].append({**data["users.csv"][3], "username": "someone.else"})


def _without_role_column(today: date) -> bytes:
    data = small_set(today)
    header = [c for c in COLUMNS["users.csv"] if c != "role"]
    return to_zip(data, raw={"users.csv": csv_bytes("users.csv", data["users.csv"], header=header)})


def _without_users(today: date) -> bytes:
    data = small_set(today)
    modes = {name: "bulk" for name in data}
    members = {name: csv_bytes(name, rows) for name, rows in data.items() if name != "users.csv"}
    return _zip({**members, "manifest.csv": manifest(modes)})


def _members(**extra: bytes) -> Upload:
    def build(today: date) -> bytes:
        data = small_set(today)
        members = {name: csv_bytes(name, rows) for name, rows in data.items()}
        members["manifest.csv"] = manifest({name: "bulk" for name in data})
        return _zip({**members, **extra})

    return build


def _bomb(today: date) -> bytes:
    data = small_set(today)
    members = {name: csv_bytes(name, rows) for name, rows in data.items()}
    members["manifest.csv"] = manifest({name: "bulk" for name in data})
    members["demographics.csv"] = b"0" * (8 * 1024 * 1024)  # 8 MB of zeros deflate to ~8 KB
    return _zip(members)


def _cp1251(today: date) -> bytes:
    data = small_set(today)
    _line(data, "users.csv", "t0")["familyName"] = "Петрова"
    body = csv_bytes("users.csv", data["users.csv"]).decode().encode("cp1251")
    return to_zip(data, raw={"users.csv": body})


def _extra_field(today: date) -> bytes:
    data = small_set(today)
    body = (
        csv_bytes("users.csv", data["users.csv"])
        + b"x1,,,true,org1,student,x1,,X,Y,,,,,,,,,extra\r\n"
    )
    return to_zip(data, raw={"users.csv": body})


def _manifest_rows(version: str, users_mode: str) -> Upload:
    def build(today: date) -> bytes:
        data = small_set(today)
        modes = {name: "bulk" for name in data}
        text = (
            manifest(modes)
            .decode()
            .replace("oneroster.version,1.1", f"oneroster.version,{version}")
        )
        text = text.replace("file.users,bulk", f"file.users,{users_mode}")
        return to_zip(data, manifest_bytes=text.encode())

    return build


def _two_homerooms(data: dict[str, Rows]) -> None:
    data["enrollments.csv"].append(
        {
            "sourcedId": "e-x",
            "classSourcedId": "k-5B",
            "schoolSourcedId": "org1",
            "userSourcedId": "s-5A-00",
            "role": "student",
        }
    )


def _delta_without_status(today: date) -> bytes:
    return to_zip({"users.csv": small_set(today)["users.csv"]}, mode="delta")


# (upload, file, line, column): line None = not on a line; column None = the whole line.
# Lines: users.csv rows are adm, t0, t1, s-5A-00 … (header = line 1); enrollments.csv and
# classes.csv likewise in the generator's order.
CASES = {
    "missing file": (_without_users, "users.csv", None, None),
    "missing column": (_without_role_column, "users.csv", 1, "role"),
    "bad date": (
        _changed(_set("academicSessions.csv", "q2", startDate="2026-13-01")),
        "academicSessions.csv",
        6,
        "startDate",
    ),
    "end before start": (
        _changed(_set("academicSessions.csv", "sy", endDate="1999-01-01")),
        "academicSessions.csv",
        2,
        "endDate",
    ),
    "dangling reference": (
        _changed(_set("enrollments.csv", "e-5A-tutor", userSourcedId="nobody")),
        "enrollments.csv",
        2,
        "userSourcedId",
    ),
    "dangling course": (
        _changed(_set("classes.csv", "k-5A-math", courseSourcedId="c-gone")),
        "classes.csv",
        3,
        "courseSourcedId",
    ),
    "duplicate sourcedId": (_changed(_duplicate_user), "users.csv", 12, "sourcedId"),
    "unknown role": (_changed(_set("users.csv", "t1", role="wizard")), "users.csv", 4, "role"),
    "bad class type": (
        _changed(_set("classes.csv", "k-5B", classType="lecture")),
        "classes.csv",
        4,
        "classType",
    ),
    "no class name": (
        _changed(_set("classes.csv", "k-5A-math", classCode="Algebra", title="Algebra")),
        "classes.csv",
        3,
        "classCode",
    ),
    "agents of two students": (
        _changed(_set("users.csv", "s-5A-01", agentSourcedIds="s-5A-00")),
        "users.csv",
        6,
        "agentSourcedIds",
    ),
    "bad boolean": (
        _changed(_set("users.csv", "t0", enabledUser="maybe")),
        "users.csv",
        3,
        "enabledUser",
    ),
    "bad timestamp": (
        _changed(_set("orgs.csv", "org1", dateLastModified="yesterday")),
        "orgs.csv",
        3,
        "dateLastModified",
    ),
    "pupil in two classes": (_changed(_two_homerooms), "enrollments.csv", None, "classSourcedId"),
    "delta without status": (_delta_without_status, "users.csv", 2, "status"),
    "not utf-8": (_cp1251, "users.csv", None, None),
    "extra field": (_extra_field, "users.csv", 12, None),
    "bad manifest version": (_manifest_rows("1.0", "bulk"), "manifest.csv", 3, "value"),
    "bad manifest mode": (_manifest_rows("1.1", "full"), "manifest.csv", None, "value"),
    "no manifest": (
        lambda today: _zip({"users.csv": b"sourcedId\r\n"}),
        "manifest.csv",
        None,
        None,
    ),
    "not a zip": (lambda today: b"sourcedId,status\r\nnot,a zip\r\n", ZIP_FILE, None, None),
    "20 MB file": (lambda today: b"PK" + b"\x00" * (MAX_UPLOAD + 1024), ZIP_FILE, None, None),
    "zip bomb": (_bomb, "demographics.csv", None, None),
    "path traversal": (_members(**{"../users.csv": b"sourcedId\r\n"}), ZIP_FILE, None, None),
    "absolute path": (_members(**{"/etc/users.csv": b"sourcedId\r\n"}), ZIP_FILE, None, None),
}


@pytest.mark.parametrize("case", CASES)
async def test_a_malformed_upload_is_refused_with_its_place_and_nothing_stored(
    app: Starlette, client: httpx.AsyncClient, school: School, case: str
) -> None:
    build, file, line, column = CASES[case]
    before = await row_counts(app)
    response = await client.post(
        "/api/v1/rosters/oneroster",
        files={"file": ("roster.zip", build(TODAY), "application/zip")},
        headers=school.headers,
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "roster_invalid"
    assert body["errors"] == body["error"]["details"]
    assert all(set(e) == {"file", "line", "column", "message"} for e in body["errors"])
    wanted = [
        e
        for e in body["errors"]
        if e["file"] == file and (line is None or e["line"] == line) and e["column"] == column
    ]
    assert wanted, body["errors"]
    assert await row_counts(app) == before


async def test_every_problem_is_listed_at_once(client: httpx.AsyncClient, school: School) -> None:
    data = small_set(TODAY)
    _line(data, "users.csv", "t0")["role"] = "wizard"
    _line(data, "users.csv", "t1")["username"] = "Not Valid!"
    _line(data, "academicSessions.csv", "q1")["endDate"] = "soon"
    _line(data, "enrollments.csv", "e-5A-tutor")["classSourcedId"] = "k-none"
    response = await client.post(
        "/api/v1/rosters/oneroster?dry_run=1",
        files={"file": ("roster.zip", to_zip(data), "application/zip")},
        headers=school.headers,
    )
    assert response.status_code == 422
    places = {(e["file"], e["line"], e["column"]) for e in response.json()["errors"]}
    assert places >= {
        ("users.csv", 3, "role"),
        ("users.csv", 4, "username"),
        ("academicSessions.csv", 5, "endDate"),
        ("enrollments.csv", 2, "classSourcedId"),
    }
    russian = await client.post(
        "/api/v1/rosters/oneroster?dry_run=1",
        files={"file": ("roster.zip", to_zip(data), "application/zip")},
        headers=school.headers | {"Accept-Language": "ru"},
    )
    messages = {e["message"] for e in russian.json()["errors"]}
    assert "Нет класса с sourcedId «k-none»." in messages


async def test_only_an_admin_imports(client: httpx.AsyncClient, school: School) -> None:
    response = await client.post(
        "/api/v1/rosters/oneroster", files={"file": ("r.zip", b"x", "application/zip")}
    )
    assert response.status_code == 401
