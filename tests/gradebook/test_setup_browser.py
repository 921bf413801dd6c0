"""In Chromium: a new administrator sets up a subject and a course on the ten-point scale with
a teacher through the set-up pages, seeing the API's refusals next to the fields first."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import sign_in

pytestmark = pytest.mark.browser
PASSWORD = "set-up-pass"


def test_new_admin_creates_a_subject_and_a_course(chromium, demo_url: str, shots: Path) -> None:
    # The demo admin adds a second administrator, who does the set-up.
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="en-US")
    page = context.new_page()
    sign_in(page, demo_url, "admin")
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
    added = page.request.post(
        f"{demo_url}/api/v1/users",
        data={
            "login": "setup.admin",
            "name": "Set-up Admin",
            "role": "admin",
            "password": PASSWORD,
        },
        headers={"X-CSRF-Token": csrf or ""},
    )
    assert added.status == 201, added.text()
    context.close()

    context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, demo_url, "setup.admin", PASSWORD)
    page.goto(f"{demo_url}/admin/setup")
    page.get_by_role("link", name="Open Subjects").click()
    page.wait_for_url("**/admin/subjects")

    # A taken name: the API's 409 appears next to the name field, which gets the focus.
    page.fill("#subject-new-name", "Математика")
    page.keyboard.press("Enter")
    error = page.locator('[data-field="name"] .field-error').first
    error.wait_for()
    assert "already a subject" in error.inner_text()
    assert page.evaluate("document.activeElement.id") == "subject-new-name"
    assert page.get_attribute("#subject-new-name", "aria-invalid") == "true"
    page.screenshot(path=str(shots / "subject-taken.png"), full_page=True)
    page.fill("#subject-new-name", "Astronomy")
    page.fill("#subject-new-short_name", "Astro")
    page.keyboard.press("Enter")
    page.locator(".toast-success").wait_for()
    assert page.locator('input[value="Astronomy"]').count() == 1

    # A course without a subject: the API's 422 names the field; then the real one.
    page.get_by_role("link", name="Next: courses").click()
    page.wait_for_url("**/admin/courses")
    page.select_option("#course-new-class_id", label="7B")
    page.select_option("#course-new-scale", value="ten")
    page.get_by_role("button", name="Add course").click()
    subject_error = page.locator('[data-field="subject_id"] .field-error')
    subject_error.wait_for()
    assert page.evaluate("document.activeElement.id") == "course-new-subject_id"
    page.screenshot(path=str(shots / "course-missing-subject.png"), full_page=True)
    page.select_option("#course-new-subject_id", label="Astronomy")
    assert subject_error.count() == 1  # stays until the next try
    page.get_by_label("Анна Викторовна Петрова").check()
    page.get_by_role("button", name="Add course").click()
    page.locator(".toast-success").wait_for()
    assert page.locator('[data-field="subject_id"] .field-error').count() == 0
    row = page.locator("tr", has_text="Astronomy")
    assert "ten-point" in row.inner_text() and "Анна Викторовна Петрова" in row.inner_text()
    page.screenshot(path=str(shots / "course-added.png"), full_page=True)

    courses = page.request.get(f"{demo_url}/api/v1/courses?class=7B").json()["items"]
    astronomy = next(c for c in courses if c["subject"]["name"] == "Astronomy")
    assert astronomy["scale"] == "ten"
    assert [t["name"] for t in astronomy["teachers"]] == ["Анна Викторовна Петрова"]
    assert errors == []
    context.close()
