"""The OneRoster results export, read back and matched against the journal. Runs on
PostgreSQL too (when it is set up): the one roster import applied there."""

from __future__ import annotations

import csv
import io
import zipfile

import httpx
import pytest

from tests.conftest import TODAY
from tests.gradebook.rosters.conftest import School
from tests.gradebook.rosters.oneroster_data import small_set, to_zip


def _read(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"), newline="")))


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_results_export_matches_the_journal(
    client: httpx.AsyncClient, school: School
) -> None:
    headers = school.headers
    data = small_set(TODAY)
    response = await client.post(
        "/api/v1/rosters/oneroster",
        files={"file": ("r.zip", to_zip(data), "application/zip")},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    courses = (await client.get("/api/v1/courses", headers=headers)).json()["items"]
    course = next(c for c in courses if c["class"]["name"] == "5A")
    terms = (await client.get("/api/v1/terms", headers=headers)).json()
    terms = terms["items"] if isinstance(terms, dict) else terms
    term = terms[0]  # Quarter 1: "q1" in the upload
    entries = [{"weekday": day, "period": 1, "course_id": course["id"]} for day in range(5)]
    put = await client.put(
        f"/api/v1/classes/{course['class']['id']}/timetable",
        json={"entries": entries},
        headers=headers,
    )
    assert put.status_code == 200, put.text
    made = await client.post(
        "/api/v1/slots/generate", json={"term_id": term["id"]}, headers=headers
    )
    assert made.status_code in (200, 201), made.text
    journal = (
        await client.get(
            f"/api/v1/courses/{course['id']}/journal?term={term['id']}", headers=headers
        )
    ).json()
    slots, pupils = journal["slots"][:3], journal["pupils"]
    for number, slot in enumerate(slots):
        for index, pupil in enumerate(pupils):
            body = {
                "pupil_id": pupil["id"],
                "slot_id": slot["id"],
                "value": 2 + (number + index) % 4,
                "work_type": "test" if number == 1 else "classwork",
            }
            answer = await client.post("/api/v1/marks", json=body, headers=headers)
            assert answer.status_code == 201, answer.text
    journal = (
        await client.get(
            f"/api/v1/courses/{course['id']}/journal?term={term['id']}", headers=headers
        )
    ).json()
    assert journal["marks"]

    url = f"/api/v1/rosters/oneroster/results.zip?term={term['id']}"
    first = await client.get(url, headers=headers)
    assert first.status_code == 200 and first.headers["content-type"] == "application/zip"
    assert (await client.get(url, headers=headers)).content == first.content  # stable
    archive = zipfile.ZipFile(io.BytesIO(first.content))
    assert set(archive.namelist()) == {
        "manifest.csv",
        "categories.csv",
        "lineItems.csv",
        "results.csv",
    }
    manifest = {row["propertyName"]: row["value"] for row in _read(archive, "manifest.csv")}
    assert manifest["oneroster.version"] == "1.1" and manifest["file.results"] == "bulk"
    assert manifest["file.users"] == "absent"
    categories = {row["sourcedId"] for row in _read(archive, "categories.csv")}
    items = {row["sourcedId"]: row for row in _read(archive, "lineItems.csv")}
    results = {row["sourcedId"]: row for row in _read(archive, "results.csv")}

    users = {u["sourcedId"]: u["username"] for u in data["users.csv"]}
    logins = {
        p["id"]: p["login"]
        for p in (await client.get("/api/v1/users?role=pupil", headers=headers)).json()["items"]
    }
    assert len(results) == len(journal["marks"])
    for mark in journal["marks"]:
        result = results[f"eschool-mark-{mark['id']}"]
        assert users[result["studentSourcedId"]] == logins[mark["pupil_id"]]  # the imported id
        assert float(result["score"]) == float(mark["value"])
        assert result["metadata.eschool.value"] == mark["value"]
        assert result["scoreStatus"] == "fully graded"
        item = items[result["lineItemSourcedId"]]
        assert item["sourcedId"] == f"eschool-lineitem-{mark['slot_id']}-{mark['work_type']}"
        assert item["classSourcedId"] == "k-5A-math" and item["gradingPeriodSourcedId"] == "q1"
        assert item["categorySourcedId"] in categories
        assert (item["resultValueMin"], item["resultValueMax"]) == (
            "2",
            "5",
        )  # the five-point scale
    slot_dates = {s["id"]: s["date"] for s in slots}
    assert {item["assignDate"] for item in items.values()} == set(slot_dates.values())


async def test_the_export_is_for_admins_of_the_terms_school(
    client: httpx.AsyncClient, school: School
) -> None:
    assert (
        await client.get("/api/v1/rosters/oneroster/results.zip?term=999", headers=school.headers)
    ).status_code == 404
    assert (await client.get("/api/v1/rosters/oneroster/results.zip?term=1")).status_code == 401
