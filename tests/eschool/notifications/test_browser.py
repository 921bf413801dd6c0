"""In Chromium: the parent's open page (on a phone) shows the bell count go up when the
teacher enters a mark, with no reload; the notifications page lists it and marks it read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest

from tests.browser import sign_in

pytestmark = pytest.mark.browser

ARRIVAL_MS = 15_000  # generous: a bound so that a broken push fails instead of hanging


def _teacher_marks_pupil(base_url: str) -> None:
    """The teacher gives ``pupil`` a mark in 7A Mathematics through the API."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        token = http.post("/api/v1/auth/token", json={"login": "teacher", "password": "demo"})
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        courses = http.get("/api/v1/courses?teacher=me", headers=headers).json()["items"]
        course = next(c for c in courses if c["class"]["name"] == "7A")
        journal = http.get(f"/api/v1/courses/{course['id']}/journal", headers=headers).json()
        pupils = http.get("/api/v1/users?q=pupil&role=pupil&per_page=200", headers=headers)
        pupil = next(u for u in pupils.json()["items"] if u["login"] == "pupil")
        today = date.today().isoformat()
        slot = [s for s in journal["slots"] if s["date"] <= today][-1]
        response = http.post(
            "/api/v1/marks",
            headers=headers,
            json={"pupil_id": pupil["id"], "slot_id": slot["id"], "value": "5"},
        )
        assert response.status_code == 201, response.text


def test_the_parent_sees_the_bell_count_go_up_live(chromium, demo_url: str, shots: Path) -> None:
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU")
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, demo_url, "parent", lang="ru")
    page.goto(f"{demo_url}/")
    page.wait_for_selector("#notif-bell[data-live]")
    before = page.evaluate(
        "document.getElementById('notif-count').hidden ? 0 : "
        "Number(document.getElementById('notif-count').textContent)"
    )
    _teacher_marks_pupil(demo_url)
    # A function, not an expression: Playwright evaluates an expression with eval, which
    # the page's Content-Security-Policy (no 'unsafe-eval') refuses.
    page.wait_for_function(
        "(expected) => { const bell = document.getElementById('notif-count');"
        " return !bell.hidden && Number(bell.textContent) === expected; }",
        arg=before + 1,
        timeout=ARRIVAL_MS,
    )
    page.screenshot(path=str(shots / "phone-home-bell.png"))

    page.click("#notif-bell")
    page.wait_for_url("**/notifications")
    first = page.locator(".notif-item").first
    assert "отметка 5" in first.inner_text()
    assert "is-unread" in (first.get_attribute("class") or "")
    page.screenshot(path=str(shots / "phone-notifications.png"), full_page=True)
    first.locator("a").click()
    page.wait_for_url("**/diary?**")
    page.goto(f"{demo_url}/notifications")
    assert "is-unread" not in (page.locator(".notif-item").first.get_attribute("class") or "")
    for width, height in ((1920, 1080), (1024, 768)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{demo_url}/notifications")
        page.wait_for_selector("#notif-bell[data-live]")
        page.screenshot(path=str(shots / f"notifications-{width}.png"), full_page=True)
        page.goto(f"{demo_url}/account#notifications")
        page.screenshot(path=str(shots / f"account-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{demo_url}/account#notifications")
    page.select_option("#notif-news", "off")
    page.click("#notifications button.btn-primary")
    page.wait_for_url("**/account?notifications=saved*")
    assert page.locator("#notif-news").input_value() == "off"
    page.screenshot(path=str(shots / "phone-account.png"), full_page=True)
    assert errors == []
    phone.close()
