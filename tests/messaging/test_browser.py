"""In Chromium, on a phone: a parent writes to the child's form tutor from the recipient
picker (which offers only the child's teachers) with a PDF attached, the tutor sees it
unread on the home page, opens the attachment, answers, and the parent reads the answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_a_parent_and_the_tutor_talk_on_phones(
    chromium: Browser, demo_url: str, shots: Path
) -> None:
    parent = chromium.new_context(viewport=PHONE, locale="ru-RU").new_page()
    teacher = chromium.new_context(viewport=PHONE, locale="ru-RU").new_page()
    errors: list[str] = []
    for page in (parent, teacher):
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(parent, demo_url, "parent", lang="ru")
    sign_in(teacher, demo_url, "teacher", lang="ru")

    parent.goto(f"{demo_url}/messages/new")
    picker = parent.locator(".msg-picker")
    expect(picker).to_contain_text("Анна Викторовна Петрова")  # the tutor of 7A
    expect(picker).not_to_contain_text("Ольга Сергеевна Миронова")  # the admin: not offered
    picker.get_by_label("Анна Викторовна Петрова").check()
    parent.fill("#subject", "Справка после болезни")
    parent.fill("#text", "Добрый день! Справку принесём в среду.")
    parent.set_input_files(
        "#new-files", files=[{"name": "справка.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    expect(parent.locator(".msg-attached-name")).to_have_text("справка.pdf")
    parent.screenshot(path=shots / "parent-new-phone.png", full_page=True)
    parent.get_by_role("button", name="Отправить").click()
    expect(parent.locator(".msg-bubble.is-mine").last).to_contain_text("Справку принесём")

    teacher.goto(demo_url + "/")
    expect(teacher.locator(".msg-home-inbox .msg-badge")).to_be_visible()
    teacher.goto(f"{demo_url}/messages")
    teacher.locator(".msg-item.is-unread", has_text="Справка после болезни").click()
    link = teacher.locator(".msg-files a", has_text="справка.pdf")
    expect(link).to_be_visible()
    got = teacher.request.get(demo_url + str(link.get_attribute("href")))
    assert got.status == 200 and got.body() == PDF
    teacher.fill("#reply-text", "Спасибо, жду.")
    teacher.get_by_role("button", name="Отправить").click()
    expect(teacher.locator(".msg-bubble.is-mine").last).to_contain_text("Спасибо, жду.")

    parent.reload()
    expect(parent.locator(".msg-bubble").last).to_contain_text("Спасибо, жду.")
    parent.screenshot(path=shots / "parent-thread-phone.png", full_page=True)
    assert errors == []
