"""In Chromium: a parent makes a calendar link on the diary page and is offered both forms, the
https link to copy and a webcal:// one that opens the device's calendar app."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import sign_in

pytestmark = pytest.mark.browser


def test_parent_gets_https_and_webcal_links(chromium, demo_url: str, shots: Path) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, demo_url, "parent")
    page.goto(f"{demo_url}/diary")
    webcal = page.locator("#feed-webcal")
    assert webcal.is_hidden()
    page.on("dialog", lambda dialog: dialog.accept())  # replacing an older link asks first
    page.locator("#feed-create").click()
    page.wait_for_selector("#feed-webcal:not([hidden])")
    url = page.locator("#feed-url").input_value()
    assert url.startswith(demo_url + "/feeds/") and url.endswith(".ics")
    assert webcal.get_attribute("href") == "webcal://" + url.split("://", 1)[1]
    assert webcal.inner_text() == "Subscribe in a calendar app"
    # The link works without signing in (a fresh context has no session cookie).
    anonymous = chromium.new_context()
    assert anonymous.request.get(url).status == 200
    anonymous.close()
    page.screenshot(path=str(shots / "diary-calendar-link.png"), full_page=True)
    assert errors == []
    context.close()
