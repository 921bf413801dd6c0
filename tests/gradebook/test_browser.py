"""In Chromium: the teacher's home shows today's lessons, the teacher keeps the 7A Mathematics
journal with the keyboard only (the side panel below the top bar keeps the focus), and the
parent finds the new marks and the absence in the diary, "new" staying until marked seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import sign_in

pytestmark = pytest.mark.browser


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_keyboard_journal_and_parent_diary(chromium, demo_url: str, shots: Path) -> None:
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    page = context.new_page()
    errors = _watch_errors(page)
    sign_in(page, demo_url, "teacher")
    # The home lists today's lessons (as many as the day has) and what needs attention.
    page.goto(f"{demo_url}/")
    page.wait_for_selector("[data-my-day-lessons]:not([aria-busy])")
    page.wait_for_selector("[data-my-attention]:not([aria-busy])")
    today = page.request.get(f"{demo_url}/api/v1/my-day").json()
    assert page.locator(".day-lesson").count() == len(today["lessons"])
    if today["lessons"]:
        first = page.locator(".day-lesson").first
        assert today["lessons"][0]["class"]["name"] in first.inner_text()
        assert (
            first.get_by_role("button", name="Start live lesson").count()
            + first.get_by_role("link", name="Start live lesson…").count()
            == 1
        )
    page.screenshot(path=str(shots / "teacher-home.png"), full_page=True)
    page.goto(f"{demo_url}/journal")
    page.screenshot(path=str(shots / "journal-index.png"), full_page=True)
    page.locator("a.course-card", has=page.locator("h3", has_text="Математика")).filter(
        has_text="Анна Викторовна"
    ).first.click()
    page.wait_for_selector("#journal-grid td.cell.is-active")
    course_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    journal = page.request.get(f"{demo_url}/api/v1/courses/{course_id}/journal").json()
    assert journal["course"]["class"]["name"] == "7A"
    assert journal["course"]["subject"]["name"] == "Математика"

    # The grid opens on the first lesson from today on; walk to `pupil`'s row by keyboard.
    found = page.request.get(f"{demo_url}/api/v1/users?q=pupil&role=pupil&per_page=200").json()
    pupil = next(u for u in found["items"] if u["login"] == "pupil")
    row = [p["id"] for p in journal["pupils"]].index(pupil["id"])
    start = page.evaluate("Number(document.activeElement.dataset.col)")
    assert page.evaluate("document.activeElement.dataset.row") == "0"
    slots = journal["slots"][start : start + 4]
    assert len(slots) == 4 and all(s["date"] >= journal["today"] for s in slots)
    average = page.locator(f'[data-avg="{row}"]')
    before = average.inner_text()
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.type("5")
    page.keyboard.press("Tab")
    page.keyboard.type("4")
    page.keyboard.press("Enter")  # saved; the cursor goes down to the next pupil
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("n")  # absent
    page.wait_for_load_state("networkidle")
    page.wait_for_function("(row) => !document.querySelector('#journal-grid .is-saving')", arg=row)

    def cell(col: int):
        return page.locator(f'#journal-grid td.cell[data-row="{row}"][data-col="{col}"]')

    # The newest mark of each cell (a cell shows its marks side by side, e.g. "52" after a 5
    # another test of the demo school gave on that lesson).
    assert cell(start).locator(".mk").last.inner_text() == "2"
    assert cell(start + 1).locator(".mk").last.inner_text() == "5"
    assert cell(start + 2).locator(".mk").last.inner_text() == "4"
    assert cell(start + 3).inner_text().strip().endswith("A")  # typed n, shown as A in English
    saved = page.request.get(f"{demo_url}/api/v1/courses/{course_id}/journal").json()
    expected = saved["averages"][str(pupil["id"])]
    assert average.inner_text() == f"{expected:.2f}"
    assert average.inner_text() != before
    mine = {(m["slot_id"], m["value"]) for m in saved["marks"] if m["pupil_id"] == pupil["id"]}
    assert {(slots[0]["id"], "2"), (slots[1]["id"], "5"), (slots[2]["id"], "4")} <= mine
    assert {"pupil_id": pupil["id"], "slot_id": slots[3]["id"], "status": "absent"} in saved[
        "attendance"
    ]
    page.screenshot(path=str(shots / "journal-after-typing.png"))

    # A click on a date opens the topic and homework panel.
    page.locator(f'button.slot-head[data-col="{start}"]').click()
    page.fill("#slot-homework", "№ 512, 515")
    page.locator("#slot-form button[type=submit]").click()
    page.wait_for_selector("#journal-panel", state="hidden")

    # A cell's panel opens below the top bar and keeps the keyboard until Escape.
    cell(start).click()
    page.keyboard.press("Alt+Enter")
    panel = page.locator("#journal-panel")
    panel.wait_for(state="visible")
    top_bar = page.locator(".topbar").bounding_box()
    assert panel.bounding_box()["y"] >= top_bar["y"] + top_bar["height"] - 1
    inside = "document.getElementById('journal-panel').contains(document.activeElement)"
    assert page.evaluate(inside)
    for key in ["Tab"] * 12 + ["Shift+Tab"] * 12:
        page.keyboard.press(key)
        assert page.evaluate(inside), key
    page.screenshot(path=str(shots / "journal-panel.png"))
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.matches('td.cell')")
    assert errors == []
    context.close()

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors = _watch_errors(page)
    sign_in(page, demo_url, "parent")
    page.goto(f"{demo_url}/diary")
    assert pupil["name"] in page.locator("h1").inner_text()
    news = page.locator(".diary-news")
    assert news.get_by_text("№ 512, 515").count() == 1
    page.screenshot(path=str(shots / "parent-diary.png"), full_page=True)
    # Another week and another language keep the news; "Mark as seen" clears it.
    with page.expect_navigation():
        page.locator("a[rel=next]").click()
    assert news.get_by_text("№ 512, 515").count() == 1
    for lang in ("ru", "en"):
        with page.expect_navigation():
            page.select_option("#lang-select", lang)
        assert news.get_by_text("№ 512, 515").count() == 1
    news.locator("[data-news-seen]").click()
    news.get_by_text("Nothing new.").wait_for()
    page.reload()
    assert news.get_by_text("№ 512, 515").count() == 0
    for slot, shown in zip(slots, ("2", "5", "4", "Absent"), strict=True):
        page.goto(f"{demo_url}/diary?pupil={pupil['id']}&week={slot['date']}")
        lesson = page.locator(f'li.diary-lesson[data-slot="{slot["id"]}"]')
        assert shown in lesson.locator(".lesson-marks").inner_text()
    first = page.locator(f'li.diary-lesson[data-slot="{slots[0]["id"]}"]')
    page.goto(f"{demo_url}/diary?pupil={pupil['id']}&week={slots[0]['date']}")
    assert "№ 512, 515" in first.inner_text()
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "parent-diary-week.png"))
    assert errors == []
    context.close()


def test_phone_diary_and_tablet_journal(chromium, demo_url: str, shots: Path) -> None:
    phone = chromium.new_context(
        viewport={"width": 390, "height": 844},
        locale="ru-RU",
        extra_http_headers={"Accept-Language": "ru"},
        is_mobile=True,
        has_touch=True,
    )
    page = phone.new_page()
    errors = _watch_errors(page)
    sign_in(page, demo_url, "pupil", lang="ru")
    page.goto(f"{demo_url}/diary")
    assert page.locator("h1").inner_text().startswith("Дневник")
    assert page.locator(".diary-day").count() >= 5
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing sticks out sideways on a phone
    page.screenshot(path=str(shots / "phone-diary.png"), full_page=True)
    phone.close()

    tablet = chromium.new_context(
        viewport={"width": 1280, "height": 800}, locale="ru-RU", has_touch=True
    )
    page = tablet.new_page()
    errors += _watch_errors(page)
    sign_in(page, demo_url, "teacher")
    page.goto(f"{demo_url}/journal")
    page.locator("a.course-card").first.click()
    page.wait_for_selector("#journal-grid td.cell.is-active")
    page.screenshot(path=str(shots / "tablet-journal.png"))
    assert errors == []
    tablet.close()
