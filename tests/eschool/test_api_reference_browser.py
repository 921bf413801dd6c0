"""In Chromium: the API reference page (static/api/index.html, reached from ``/api``) renders
every operation of the OpenAPI document with its schemas, and its filter narrows the list."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser

SIZES = {"board": (1920, 1080), "tablet": (1024, 768), "phone": (390, 844)}


def test_the_reference_shows_every_operation(chromium: Browser, demo_url: str, shots: Path) -> None:
    with urllib.request.urlopen(f"{demo_url}/api/v1/openapi.json") as response:  # noqa: S310
        document = json.load(response)
    operations = sum(len(item) for item in document["paths"].values())
    errors: list[str] = []
    for name, (width, height) in SIZES.items():
        page = chromium.new_context(viewport={"width": width, "height": height}).new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{demo_url}/api")
        expect(page.locator(".api-op")).to_have_count(operations)
        classes = page.locator(".api-op", has=page.locator("code", has_text="/api/v1/classes"))
        expect(classes.first).to_contain_text("Responses")
        page.screenshot(path=shots / f"api-reference-{name}.png")
    page.fill("#api-filter", "openapi.json")
    expect(page.locator(".api-op:visible")).to_have_count(1)
    assert errors == []
