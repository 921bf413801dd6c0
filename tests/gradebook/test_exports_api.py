"""The journal exports read back (parse_journal_csv/xlsx) to exactly the JSON journal."""

from __future__ import annotations

from typing import Any

import httpx

from gradebook.exports import ATTENDANCE_CODES, parse_journal_csv, parse_journal_xlsx
from tests.gradebook.conftest import Gradebook


async def _fill(client: httpx.AsyncClient, headers: dict, gradebook: Gradebook) -> None:
    slots = gradebook.recent_slots(gradebook.math_7a, 3)
    pupils = gradebook.pupils_7a
    entries = [
        (pupils[0], slots[0], "5", "classwork"),
        (pupils[0], slots[0], "4", "test"),
        (pupils[1], slots[-1], "3", "homework"),
        (pupils[2], slots[-1], "2", "classwork"),
    ]
    for pupil, slot, value, work_type in entries:
        response = await client.post(
            "/api/v1/marks",
            json={"pupil_id": pupil.id, "slot_id": slot.id, "value": value, "work_type": work_type},
            headers=headers,
        )
        assert response.status_code == 201
    for pupil, status in ((pupils[3], "absent"), (pupils[4], "late"), (pupils[5], "present")):
        await client.put(
            "/api/v1/attendance",
            json={"pupil_id": pupil.id, "slot_id": slots[0].id, "status": status},
            headers=headers,
        )


def _expected_cells(journal: dict[str, Any], headers: list[str]) -> dict[str, dict[str, str]]:
    """What each pupil's cell should show, built from the JSON journal independently."""
    ordered = sorted(journal["slots"], key=lambda s: (s["date"], s["period"], s["id"]))
    column = {slot["id"]: f"{slot['date']} ({slot['period']})" for slot in ordered}
    assert list(column.values()) == headers
    cells: dict[str, dict[str, str]] = {}
    for pupil in journal["pupils"]:
        row = {}
        for slot in ordered:
            values = [
                m["value"]
                for m in sorted(journal["marks"], key=lambda m: m["id"])
                if m["pupil_id"] == pupil["id"] and m["slot_id"] == slot["id"]
            ]
            status = next(
                (
                    a["status"]
                    for a in journal["attendance"]
                    if a["pupil_id"] == pupil["id"] and a["slot_id"] == slot["id"]
                ),
                "present",
            )
            code = ATTENDANCE_CODES[status]
            row[column[slot["id"]]] = " ".join([*values, code] if code else values)
        cells[pupil["name"]] = row
    return cells


async def test_csv_and_xlsx_read_back_to_the_json_journal(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    await _fill(client, teacher, gradebook)
    journal = (
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=teacher)
    ).json()
    csv_response = await client.get(
        f"/api/v1/courses/{gradebook.math_7a}/journal.csv",
        params={"term": gradebook.term_id},
        headers=teacher,
    )
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_response.headers["content-disposition"]
    xlsx_response = await client.get(
        f"/api/v1/courses/{gradebook.math_7a}/journal.xlsx", headers=teacher
    )
    assert xlsx_response.status_code == 200
    assert xlsx_response.content[:2] == b"PK"

    for parsed in (
        parse_journal_csv(csv_response.content.decode("utf-8")),
        parse_journal_xlsx(xlsx_response.content),
    ):
        assert parsed["meta"]["class"] == "7A"
        assert parsed["meta"]["subject"] == "Математика"
        assert parsed["meta"]["teacher"] == journal["course"]["teacher"]["name"]
        assert parsed["meta"]["term"] == journal["term"]["name"]
        assert parsed["meta"]["term_start"] == journal["term"]["start"]
        assert parsed["pupils"] == _expected_cells(journal, parsed["slots"])
        averages = {p["name"]: journal["averages"][str(p["id"])] for p in journal["pupils"]}
        assert parsed["averages"] == averages
    # The data really is in there: a double mark, an absence, an average of 4.33.
    first = journal["pupils"][0]["name"]
    assert any(cell == "5 4" for cell in parsed["pupils"][first].values())
    assert parsed["averages"][first] == 4.33
    assert any(cell == "н" for cell in parsed["pupils"][journal["pupils"][3]["name"]].values())


async def test_semicolon_csv_for_spreadsheets(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    await _fill(client, teacher, gradebook)
    response = await client.get(
        f"/api/v1/courses/{gradebook.math_7a}/journal.csv",
        params={"delimiter": ";"},
        headers=teacher,
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffClass;")
    assert parse_journal_csv(text)["meta"]["class"] == "7A"
