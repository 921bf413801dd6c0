"""In Chromium: a parent on a phone reports an absence from the diary, with a photo of the
doctor's note; the class tutor sees the lessons marked in the journal and accepts the note."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.browser import sign_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_phone_report_and_tutor_accepts(chromium, demo_url: str, shots: Path) -> None:
    # A 7A family other than the demo's `parent` (whose diary other browser tests read).
    desk = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    tutor = desk.new_page()
    errors = _watch_errors(tutor)
    sign_in(tutor, demo_url, "teacher")
    classes = tutor.request.get(f"{demo_url}/api/v1/classes").json()["items"]
    class_7a = next(c for c in classes if c["name"] == "7A")
    pupils = tutor.request.get(f"{demo_url}/api/v1/classes/{class_7a['id']}/pupils").json()
    pupil = next(p for p in reversed(pupils["items"]) if p["login"] != "pupil")

    phone = chromium.new_context(
        viewport={"width": 390, "height": 844},
        locale="ru-RU",
        extra_http_headers={"Accept-Language": "ru"},
        is_mobile=True,
        has_touch=True,
    )
    page = phone.new_page()
    errors += _watch_errors(page)
    sign_in(page, demo_url, f"p.{pupil['login']}")
    page.goto(f"{demo_url}/diary")
    page.get_by_role("link", name="Сообщить об отсутствии").click()
    page.wait_for_selector("#absence-form")
    today = date.fromisoformat(page.locator("#note-from").input_value())
    page.fill("#note-to", (today + timedelta(days=13)).isoformat())
    assert page.locator("#note-periods").is_hidden()  # whole days unless asked
    page.locator("input[name=whole_days][value='0']").check()
    page.wait_for_selector("#note-periods", state="visible")
    page.locator("input[name=whole_days][value='1']").check()
    page.wait_for_selector("#note-periods", state="hidden")
    page.fill("#note-reason", "Санаторий по направлению врача")
    page.set_input_files(
        "#note-file", files=[{"name": "справка.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.wait_for_selector("#note-file-status:has-text('справка.pdf')")
    assert len(page.locator("#note-upload-id").input_value()) == 64
    page.get_by_role("button", name="Отправить классному руководителю").click()
    page.wait_for_selector(".alert-success")
    card = page.locator(".absence-note").first
    assert "Ждёт классного руководителя" in card.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "phone-absence-notes.png"), full_page=True)

    # The tutor's journal marks the covered lessons; the note is accepted from the list.
    course = next(
        c
        for c in tutor.request.get(f"{demo_url}/api/v1/courses?class=7A&teacher=me").json()["items"]
    )
    journal = tutor.request.get(f"{demo_url}/api/v1/courses/{course['id']}/journal").json()
    covered = [n for n in journal["absence_notes"] if n["pupil_id"] == pupil["id"]]
    tutor.goto(f"{demo_url}/journal/{course['id']}")
    tutor.wait_for_selector("#journal-grid td.cell")
    if covered and covered[0]["slot_ids"]:  # (none when the fortnight is all holidays)
        tutor.wait_for_selector(".att-note-reported")
        tutor.locator(".att-note-reported").first.scroll_into_view_if_needed()
    tutor.screenshot(path=str(shots / "desktop-journal-reported.png"))
    tutor.goto(f"{demo_url}/absence-notes")
    note = tutor.locator(".absence-note", has_text="Санаторий").first
    assert note.get_by_role("link", name="справка.pdf").count() == 1
    tutor.screenshot(path=str(shots / "desktop-tutor-notes.png"), full_page=True)
    note.get_by_role("button", name="Accept").click()
    tutor.wait_for_selector(".alert-success")
    assert "Accepted" in tutor.locator(".absence-note", has_text="Санаторий").first.inner_text()
    journal = tutor.request.get(f"{demo_url}/api/v1/courses/{course['id']}/journal").json()
    statuses = {
        a["slot_id"]: a["status"] for a in journal["attendance"] if a["pupil_id"] == pupil["id"]
    }
    for slot_id in covered[0]["slot_ids"] if covered else []:
        assert statuses.get(slot_id) in ("excused", "present", "late", "ill")
    tablet = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="ru-RU")
    view = tablet.new_page()
    sign_in(view, demo_url, "teacher")
    view.goto(f"{demo_url}/absence-notes")
    view.screenshot(path=str(shots / "tablet-tutor-notes.png"), full_page=True)
    assert errors == []
    for context in (desk, phone, tablet):
        context.close()
