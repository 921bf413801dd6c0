"""Bell times (`/api/v1/bell-times`), the teacher-clash check of a timetable, and who may
open the timetable grid (`/admin/timetable`)."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from eschool.schools import school_add
from eschool.seed import DemoPeople
from tests.gradebook.conftest import Gradebook
from tests.login_form import form_login

# 40-minute lessons from 08:00 with 10-minute breaks.
BELLS = [
    {"period": 1, "starts": "08:00", "ends": "08:40"},
    {"period": 2, "starts": "08:50", "ends": "09:30"},
    {"period": 3, "starts": "09:40", "ends": "10:20"},
    {"period": 4, "starts": "10:30", "ends": "11:10"},
    {"period": 5, "starts": "11:20", "ends": "12:00"},
    {"period": 6, "starts": "12:10", "ends": "12:50"},
]


async def test_bell_times_validate_move_the_timetable_and_the_slots(
    client: httpx.AsyncClient, gradebook: Gradebook, people: DemoPeople, as_user
) -> None:
    admin, teacher = await as_user("admin"), await as_user("teacher")
    default = (await client.get("/api/v1/bell-times", headers=teacher)).json()
    assert default["default"] is True and default["periods"][0] == {
        "period": 1,
        "starts": "08:30",
        "ends": "09:15",
    }
    refused = await client.put("/api/v1/bell-times", json={"periods": BELLS}, headers=teacher)
    assert refused.status_code == 403

    def bad(row: int, **change: str | int) -> list[dict]:
        periods = [dict(bell) for bell in BELLS]
        periods[row - 1].update(change)
        return periods

    for periods, row, field in (
        (bad(3, starts="08:45"), 3, "starts"),  # overlaps period 2
        (bad(4, period=2), 4, "period"),  # out of order
        (bad(2, ends="08:50"), 2, "ends"),  # ends before it starts
    ):
        response = await client.put("/api/v1/bell-times", json={"periods": periods}, headers=admin)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["details"]["row"] == row and error["details"]["field"] == field
        assert f"Row {row}" in error["message"]
    for wrong in ("25:00", "8.30", "08:30+03:00"):
        response = await client.put(
            "/api/v1/bell-times", json={"periods": bad(1, starts=wrong)}, headers=admin
        )
        assert response.status_code == 422, wrong
    assert (await client.get("/api/v1/bell-times", headers=admin)).json()["default"] is True

    saved = await client.put("/api/v1/bell-times", json={"periods": BELLS}, headers=admin)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["default"] is False and body["periods"] == BELLS
    assert body["timetable_updated"] == 10  # every fixture lesson is in periods 1-5
    seven_a = people.classes["7A"].id
    timetable = (await client.get(f"/api/v1/classes/{seven_a}/timetable", headers=admin)).json()
    first = next(e for e in timetable["items"] if e["period"] == 1)
    assert (first["starts"], first["ends"]) == ("08:00", "08:40")

    generated = await client.post(
        "/api/v1/slots/generate", json={"term_id": gradebook.term_id}, headers=admin
    )
    assert generated.json()["updated"] > 0
    journal = (
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=admin)
    ).json()
    assert journal["slots"] and all(
        slot["starts"] == BELLS[slot["period"] - 1]["starts"] for slot in journal["slots"]
    )

    # A lesson saved without times takes the school's bells.
    placed = await client.put(
        f"/api/v1/classes/{seven_a}/timetable",
        json={"entries": [{"weekday": 5, "period": 6, "course_id": gradebook.russian_7a}]},
        headers=admin,
    )
    assert placed.json()["items"][0]["starts"] == BELLS[5]["starts"]
    # Back to the defaults with an empty list.
    reset = await client.put("/api/v1/bell-times", json={"periods": []}, headers=admin)
    assert (
        reset.json()["default"] is True and reset.json()["timetable_updated"] == 6
    )  # 7A now has one lesson, 7B five


async def test_a_teacher_in_two_classes_at_once_is_refused(
    client: httpx.AsyncClient, gradebook: Gradebook, people: DemoPeople, as_user
) -> None:
    admin = await as_user("admin")
    seven_b = people.classes["7B"].id
    before = (await client.get(f"/api/v1/classes/{seven_b}/timetable", headers=admin)).json()
    # `teacher` has Mathematics in 7A on Monday, period 1.
    response = await client.put(
        f"/api/v1/classes/{seven_b}/timetable",
        json={"entries": [{"weekday": 0, "period": 1, "course_id": gradebook.math_7b}]},
        headers=admin,
    )
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "teacher_busy" and "7A" in error["message"]
    clash = error["details"]["clashes"][0]
    assert (clash["weekday"], clash["period"], clash["class"]["name"]) == (0, 1, "7A")
    after = (await client.get(f"/api/v1/classes/{seven_b}/timetable", headers=admin)).json()
    assert after == before


async def test_the_grid_page_is_for_the_schools_admin(
    app: Starlette, client: httpx.AsyncClient, gradebook: Gradebook, people: DemoPeople
) -> None:
    seven_a = people.classes["7A"].id
    async with app.state.sessionmaker() as session:
        other = await school_add(session, name="Гимназия № 9", admin_login="gym9.admin")
    for login, password, status in (
        ("teacher", "demo", 403),
        ("pupil", "demo", 403),
        ("gym9.admin", other.password, 404),
    ):
        client.cookies.clear()
        assert (await form_login(client, login, password)).status_code == 303
        assert (await client.get(f"/admin/timetable?class={seven_a}")).status_code == status
    # The other school's admin sees an empty school: no class to pick, the default bells.
    empty = await client.get("/admin/timetable")
    assert empty.status_code == 200 and "7A" not in empty.text
    client.cookies.clear()
    await form_login(client, "admin")
    page = await client.get(f"/admin/timetable?class={seven_a}")
    assert page.status_code == 200
    assert "/static/js/gradebook/timetable.js" in page.text and "style=" not in page.text
    assert page.text.count('class="tt-select"') == 6 * 8  # Monday–Saturday × 8 default periods
    assert 'aria-label="Monday, period 1"' in page.text
    assert (await client.get("/admin/timetable?class=99999999")).status_code == 404
    first = await client.get("/admin/timetable")
    assert first.status_code == 200 and "tt-grid" in first.text
