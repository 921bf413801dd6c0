"""In Chromium, a school made with `eschool school add` (its service) on an empty server: the
new admin creates a subject and a ten-point course with a teacher on the set-up pages, sets
the school's bell times and the class's week in the timetable grid (keyboard included),
generates the term's lesson slots, and the teacher finds them in the course's journal."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from eschool.db import create_engine, create_sessionmaker
from eschool.migrate import migrate
from eschool.models import ClassCreate, Role, UserCreate
from eschool.schools import school_add
from eschool.services import class_create, user_create, year_create
from eschool.settings import Settings
from tests.browser import free_port, sign_in, wait_healthy

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
TEACHER_PASSWORD = "teacher-password-1"


@dataclass
class NewSchool:
    base_url: str
    admin_password: str


async def _new_school(data_dir: Path) -> str:
    """`eschool school add`'s service on a fresh database, then what an import would bring."""
    settings = Settings.from_env()
    engine = create_engine(f"sqlite+aiosqlite:///{data_dir / 'eschool.db'}")
    try:
        await migrate(engine)
        async with create_sessionmaker(engine)() as session:
            added = await school_add(session, name="Лицей № 2", admin_login="lyceum.admin")
            # The year, the class and the people would come from an import (tests/gradebook/
            # rosters) or /admin/terms, /admin/classes, /admin/people (tested on their own):
            # made here directly, so that this test stays on the set-up pages and the grid.
            today = datetime.now(ZoneInfo(settings.timezone)).date()
            starts = today - timedelta(days=100)
            await year_create(
                session,
                actor=None,
                school=added.school,
                name=f"{starts.year}/{starts.year + 1}",
                starts=starts,
                ends=starts + timedelta(days=300),
            )
            await class_create(session, actor=added.admin, data=ClassCreate(name="5B"))
            await user_create(
                session,
                actor=added.admin,
                data=UserCreate(
                    login="new.teacher",
                    name="Вера Николаевна Соколова",
                    role=Role.teacher,
                    password=TEACHER_PASSWORD,
                ),
            )
            await user_create(
                session,
                actor=added.admin,
                data=UserCreate.model_validate(
                    {"login": "new.pupil", "name": "Артём Ильин", "role": "pupil", "class": "5B"}
                ),
            )
            return added.password
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def new_school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewSchool]:
    """`eschool serve` on a database that holds only the new school."""
    data_dir = tmp_path_factory.mktemp("new-school")
    # Playwright's sync API may already run an event loop in this thread.
    with ThreadPoolExecutor(1) as pool:
        password = pool.submit(asyncio.run, _new_school(data_dir)).result()
    port = free_port()
    env = {**os.environ, "ESCHOOL_DATA_DIR": str(data_dir), "ESCHOOL_DATABASE_URL": ""}
    with (data_dir / "server.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "eschool.cli", "serve", "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base_url, process)
            yield NewSchool(base_url, password)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _watch_errors(page) -> list[str]:
    """Script errors and failed requests, but for the 4xx answers the test asks for."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "status of 4" not in msg.text
            else None
        ),
    )
    return errors


def test_new_school_sets_up_and_the_teacher_sees_the_journal(
    chromium, new_school: NewSchool, shots: Path
) -> None:
    base = new_school.base_url
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    page = context.new_page()
    errors = _watch_errors(page)
    sign_in(page, base, "lyceum.admin", new_school.admin_password)
    assert page.request.get(f"{base}/api/v1/me").json()["login"] == "lyceum.admin"

    # A subject, then a course on the ten-point scale taught by the new teacher.
    page.goto(f"{base}/admin/subjects")
    page.fill("#subject-new-name", "Математика")
    page.get_by_role("button", name="Add subject").click()
    page.get_by_text("Subject added.").first.wait_for()
    page.goto(f"{base}/admin/courses")
    page.select_option("#course-new-class_id", label="5B")
    page.select_option("#course-new-subject_id", label="Математика")
    page.select_option("#course-new-scale", value="ten")
    page.get_by_label("Вера Николаевна Соколова").check()
    page.get_by_role("button", name="Add course").click()
    page.get_by_text("Course added.").first.wait_for()
    course = page.request.get(f"{base}/api/v1/courses").json()["items"][0]
    assert course["scale"] == "ten" and course["teacher"]["name"] == "Вера Николаевна Соколова"

    # The school's bell times: an overlap is named at its row; then 08:00 starts.
    page.goto(f"{base}/admin/timetable")
    assert page.locator("#tt-bells-default").is_visible()
    bells = page.locator("#tt-bells tbody tr")
    bells.nth(1).locator(".tt-bell-starts").fill("08:30")
    page.click("#tt-bells-save")
    page.wait_for_selector("#tt-bells-error:not([hidden])")
    assert "Row 2" in page.inner_text("#tt-bells-error")
    assert bells.nth(1).locator(".tt-bell-starts").get_attribute("aria-invalid") == "true"
    bells.nth(0).locator(".tt-bell-starts").fill("08:00")
    bells.nth(0).locator(".tt-bell-ends").fill("08:45")
    bells.nth(1).locator(".tt-bell-starts").fill("08:55")
    bells.nth(1).locator(".tt-bell-ends").fill("09:40")
    with page.expect_navigation():
        page.click("#tt-bells-save")
    page.wait_for_selector(".toast-success")
    assert "08:00–08:45" in page.inner_text("#tt-grid tbody tr:first-child th")
    assert not page.locator("#tt-bells-default").count()

    # The week in the grid, with the keyboard: Monday 1, Wednesday 2, Friday 3 (then emptied).
    first = page.get_by_label("Monday, period 1")
    first.focus()
    first.select_option(str(course["id"]))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Wednesday, period 2"
    page.get_by_label("Wednesday, period 2").select_option(str(course["id"]))
    friday = page.get_by_label("Friday, period 3")
    friday.select_option(str(course["id"]))
    friday.focus()
    page.keyboard.press("Delete")
    assert friday.input_value() == ""
    assert page.inner_text("#tt-state") == "Unsaved changes"
    page.click("#tt-save")
    page.locator("#tt-state", has_text="Saved.").wait_for()
    class_id = page.get_attribute("#tt-grid", "data-class-id")
    timetable = page.request.get(f"{base}/api/v1/classes/{class_id}/timetable").json()
    assert sorted((e["weekday"], e["period"], e["starts"]) for e in timetable["items"]) == [
        (0, 1, "08:00"),
        (2, 2, "08:55"),
    ]

    # The term's lesson slots.
    page.click("#tt-generate")
    page.locator("#tt-generated", has_text="created").wait_for()
    created = int(re.search(r"(\d+) created", page.inner_text("#tt-generated")).group(1))
    assert created > 0
    for width, height in ((1920, 1080), (1024, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        page.wait_for_selector("#tt-grid")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(shots / f"timetable-{width}.png"), full_page=True)
    assert errors == []
    context.close()

    # The teacher sees the course's journal with those lessons.
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    page = context.new_page()
    errors = _watch_errors(page)
    sign_in(page, base, "new.teacher", TEACHER_PASSWORD)
    page.goto(f"{base}/journal")
    page.click(f'a[href="/journal/{course["id"]}"]')
    page.wait_for_selector("#journal-grid")
    journal = page.request.get(f"{base}/api/v1/courses/{course['id']}/journal").json()
    assert len(journal["slots"]) == created
    assert [p["name"] for p in journal["pupils"]] == ["Артём Ильин"]
    assert {date.fromisoformat(s["date"]).weekday() for s in journal["slots"]} == {0, 2}
    assert page.locator("#journal-grid thead th").count() > len(journal["slots"])
    page.screenshot(path=str(shots / "teacher-journal.png"))
    assert errors == []
    context.close()
