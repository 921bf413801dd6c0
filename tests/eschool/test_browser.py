"""In Chromium: the demo teacher signs in and lands on the teacher's home page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import sign_in

pytestmark = pytest.mark.browser


def test_teacher_signs_in_and_sees_home(chromium, demo_url: str, shots: Path) -> None:
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{demo_url}/")
    assert "/login" in page.url
    page.screenshot(path=str(shots / "login.png"))
    sign_in(page, demo_url, "teacher")
    assert page.url.rstrip("/") == demo_url
    assert page.locator("h1").inner_text().startswith("Good day")
    assert page.locator(".role-badge").inner_text() == "Teacher"
    assert page.locator("nav .nav-link", has_text="Journal").count() == 1
    page.screenshot(path=str(shots / "teacher-home.png"), full_page=True)
    assert (shots / "teacher-home.png").stat().st_size > 10_000
    assert errors == []
    context.close()


def test_phone_layout_and_wrong_password(chromium, demo_url: str, shots: Path) -> None:
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        locale="ru-RU",
        extra_http_headers={"Accept-Language": "ru"},
    )
    page = context.new_page()
    page.goto(f"{demo_url}/login")
    page.fill("#login", "parent")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".alert-error").is_visible()
    page.screenshot(path=str(shots / "phone-login-error.png"))
    sign_in(page, demo_url, "parent")
    assert page.locator(".card-link").count() >= 1
    page.screenshot(path=str(shots / "phone-parent-home.png"), full_page=True)
    context.close()
