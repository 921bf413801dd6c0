"""The library's import dialog in a real browser: choosing a file shows the dry run's report
(format, counts, what is left out and why); Cancel closes it, Import opens the new draft."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import sign_in

pytestmark = pytest.mark.browser

AIKEN = """Сколько будет 2 + 2?
A. 3
B. 4
ANSWER: B

Столица Франции?
A) Париж
B) Лион
ANSWER: A

Вопрос без ответа
A. да
B. нет
"""


def test_dry_run_report_then_import_opens_the_draft(demo_url: str, chromium: Browser, shots: Path):
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="en-US")
    page = context.new_page()
    sign_in(page, demo_url, "teacher2")
    page.goto(f"{demo_url}/lessons")
    mine = f"{demo_url}/api/v1/lessons?author=me"
    lessons_before = page.request.get(mine).json()["total"]
    upload = {"name": "Проверочные вопросы.txt", "mimeType": "text/plain", "buffer": AIKEN.encode()}

    dialog = page.locator("#import-dialog")
    page.set_input_files("#import-file", files=[upload])
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-import-field=format]")).to_have_text("Moodle Aiken")
    expect(dialog.locator("[data-import-field=title]")).to_have_text("Проверочные вопросы")
    expect(dialog.locator("[data-import-field=questions]")).to_have_text("2")
    expect(dialog.locator("#import-skipped")).to_contain_text("Not imported (1):")
    expect(dialog.locator("#import-skipped-list li")).to_have_text(re.compile(r"^line 11 — .+"))
    page.screenshot(path=shots / "1-import-report.png")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert page.request.get(mine).json()["total"] == lessons_before  # a dry run stores nothing

    page.set_input_files("#import-file", files=[upload])
    dialog.get_by_role("button", name="Import").click()
    expect(page).to_have_url(re.compile(r"/lessons/\d+/edit$"), timeout=15_000)
    expect(page.locator("#m-title")).to_have_value("Проверочные вопросы")
    page.screenshot(path=shots / "2-imported-draft.png")
    context.close()
