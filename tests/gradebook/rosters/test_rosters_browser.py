"""In Chromium on a phone-sized screen: the admin previews a broken OneRoster zip (the
problems listed with file, line and column, Apply stays off), then previews and applies a
people CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import sign_in
from tests.conftest import TODAY
from tests.gradebook.rosters.oneroster_data import small_set, to_zip

pytestmark = pytest.mark.browser


def test_admin_previews_and_applies_a_roster(
    chromium, demo_url: str, shots: Path, tmp_path: Path
) -> None:
    broken = small_set(TODAY)
    broken["users.csv"][1]["role"] = "wizard"
    (tmp_path / "broken.zip").write_bytes(to_zip(broken))
    (tmp_path / "people.csv").write_text(
        "login,name,role\r\nroster.browser,Roster Browser Parent,parent\r\n", encoding="utf-8"
    )
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, locale="en-US", has_touch=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, demo_url, "admin")
    page.goto(f"{demo_url}/admin/rosters")

    page.set_input_files("#roster-file", str(tmp_path / "broken.zip"))
    page.get_by_role("button", name="Preview").click()
    problems = page.locator("[data-error-rows] tr")
    problems.first.wait_for()
    assert problems.count() == 1
    assert [cell.inner_text() for cell in problems.first.locator("td").all()][:3] == [
        "users.csv", "3", "role",
    ]  # fmt: skip
    assert page.get_by_role("button", name="Apply").is_disabled()
    page.screenshot(path=str(shots / "problems-390.png"), full_page=True)

    page.get_by_label("People CSV").check()
    page.set_input_files("#roster-file", str(tmp_path / "people.csv"))
    page.get_by_role("button", name="Preview").click()
    created = page.locator('[data-kind="users"] [data-n="create"]')
    page.wait_for_selector("[data-changes]:not([hidden])")
    assert created.inner_text() == "1"
    assert page.locator("[data-errors]").is_hidden()
    page.get_by_role("button", name="Apply").tap()
    page.locator("[data-status]", has_text="Applied").wait_for()
    page.screenshot(path=str(shots / "applied-390.png"), full_page=True)
    assert page.get_by_role("button", name="Apply").is_disabled()
    assert not errors
    context.close()
