"""The library in a real browser: write a lesson in the editor, publish it, find it as a
colleague by a word of its text, copy it, and present it with the keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import sign_in

pytestmark = pytest.mark.browser

TITLE = "Периметр прямоугольника"
TEXT = "Периметр — это сумма длин всех сторон многоугольника: $P = 2(a + b)$."


def new_page(chromium: Browser, base_url: str, login: str) -> Page:
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    sign_in(page, base_url, login)
    return page


def write_lesson(page: Page, base_url: str, shots: Path) -> int:
    """Build a lesson with a text block and a two-question quiz; return its id."""
    page.goto(f"{base_url}/lessons/new")
    status = page.locator("[data-save-status]")
    page.fill("#m-title", TITLE)
    page.fill("#m-summary", "Формула периметра и задачи на неё")
    page.fill("#m-subject", "Mathematics")
    page.locator(".grade-chips label").filter(has_text=re.compile(r"^\s*5\s*$")).click()
    page.fill("#m-tags", "геометрия, периметр")

    page.click("[data-add=text]")
    page.locator(".block-editor-text textarea").fill(TEXT)
    expect(page.locator(".text-preview")).to_contain_text("сумма длин всех сторон")

    page.click("[data-add=quiz]")
    quiz = page.locator(".block-editor-quiz")
    first = quiz.locator(".question-editor").nth(0)
    first.locator(".prompt-input").fill("Периметр прямоугольника 3 × 5?")
    first.locator(".option-rows input[aria-label]").nth(0).fill("8")
    first.locator(".option-rows input[aria-label]").nth(1).fill("16")
    first.locator("input[type=radio]").nth(1).check()
    quiz.get_by_role("button", name="+ Add a question").click()
    second = quiz.locator(".question-editor").nth(1)
    second.locator("select").first.select_option("number")
    second = quiz.locator(".question-editor").nth(1)
    second.locator(".prompt-input").fill("Сторона квадрата 4 см. Периметр в см?")
    second.get_by_label("Right number").fill("16")

    # Reorder: drag the quiz above the text by its handle, then back with the buttons.
    headings = page.locator(".block-editor h3")
    page.evaluate("window.scrollTo(0, 0)")  # both blocks in view: a drag does not scroll
    page.locator(".block-editor-quiz .drag-handle").drag_to(
        page.locator(".block-editor-text"), target_position={"x": 80, "y": 10}
    )
    expect(headings.first).to_have_text("1. Quiz")
    page.locator(".block-editor-quiz").get_by_role("button", name="Move down").click()
    expect(headings.first).to_have_text("1. Text")
    page.locator(".block-editor-quiz").get_by_role("button", name="Move up").click()
    expect(headings.first).to_have_text("1. Quiz")
    page.locator(".block-editor-text").get_by_role("button", name="Move up").click()
    expect(headings.first).to_have_text("1. Text")

    expect(status).to_have_text("All changes saved.", timeout=10_000)
    expect(page).to_have_url(re.compile(r"/lessons/\d+/edit$"))
    page.click("[data-publish]")
    expect(status).to_have_text("Published as version 1.", timeout=10_000)
    page.screenshot(path=shots / "1-editor-published.png", full_page=True)
    return int(re.search(r"/lessons/(\d+)/edit", page.url).group(1))


def test_write_publish_find_copy_and_present(demo_url: str, chromium: Browser, shots: Path):
    author = new_page(chromium, demo_url, "teacher")
    lesson_id = write_lesson(author, demo_url, shots)

    # The saved lesson shows the rendered text and, for a teacher, the answers on request.
    author.goto(f"{demo_url}/lessons/{lesson_id}")
    expect(author.locator(".lesson-main")).to_contain_text("сумма длин всех сторон")
    author.get_by_role("button", name="Show answers").click()
    expect(author.locator(".block-quiz .answer-key")).to_contain_text("16")
    author.screenshot(path=shots / "2-lesson-page.png", full_page=True)

    # A colleague finds it by a word from its text, and copies it.
    colleague = new_page(chromium, demo_url, "teacher2")
    colleague.goto(f"{demo_url}/lessons")
    colleague.fill("#q", "многоугольника")
    colleague.get_by_role("button", name="Search").click()
    cards = colleague.locator(".lesson-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(TITLE)
    colleague.screenshot(path=shots / "3-colleague-search.png", full_page=True)
    cards.first.get_by_role("link", name=TITLE).click()
    colleague.get_by_role("button", name="Copy to my library").click()
    expect(colleague).to_have_url(re.compile(r"/lessons/\d+/edit$"))
    expect(colleague.locator("#m-title")).to_have_value(f"Copy of {TITLE}")  # titled as a copy
    copy_id = int(re.search(r"/lessons/(\d+)/edit", colleague.url).group(1))
    assert copy_id != lesson_id
    colleague.goto(f"{demo_url}/lessons/{copy_id}")
    expect(colleague.locator(".attribution")).to_contain_text(TITLE)
    expect(colleague.locator(".attribution")).to_contain_text("Анна Викторовна Петрова")
    colleague.screenshot(path=shots / "4-colleague-copy.png", full_page=True)

    # Presentation mode: the arrow keys walk the slides; the teacher reveals the answers.
    author.goto(f"{demo_url}/lessons/{lesson_id}/present")
    counter = author.locator("[data-current]")
    expect(counter).to_have_text("1")
    expect(author.locator(".slide-title")).to_be_visible()
    author.keyboard.press("ArrowRight")
    expect(counter).to_have_text("2")
    expect(author.locator(".slide-text")).to_contain_text("сумма длин всех сторон")
    expect(author.locator(".slide-title")).to_be_hidden()
    author.screenshot(path=shots / "5-present-text.png")
    author.keyboard.press("ArrowRight")
    expect(counter).to_have_text("3")
    quiz_slide = author.locator(".slide-quiz")
    expect(quiz_slide).to_contain_text("Периметр прямоугольника 3 × 5?")
    expect(quiz_slide.locator(".is-correct .answer-mark")).to_be_hidden()
    author.locator("[data-reveal]").click()
    expect(quiz_slide.locator(".is-correct .answer-mark")).to_be_visible()
    author.screenshot(path=shots / "6-present-quiz-revealed.png")
    author.keyboard.press("ArrowRight")  # the last slide: stays there
    expect(counter).to_have_text("3")
    author.keyboard.press("ArrowLeft")
    expect(counter).to_have_text("2")

    # A pupil sees the published lesson without any answer key.
    pupil = new_page(chromium, demo_url, "pupil")
    pupil.goto(f"{demo_url}/lessons/{lesson_id}")
    expect(pupil.locator(".block-quiz")).to_contain_text("Периметр прямоугольника 3 × 5?")
    expect(pupil.get_by_role("button", name="Show answers")).to_have_count(0)
    assert "is-correct" not in pupil.content()
    for page in (author, colleague, pupil):
        page.context.close()


def test_autosave_conflict_is_told_clearly(demo_url: str, chromium: Browser, shots: Path):
    page = new_page(chromium, demo_url, "teacher")
    page.goto(f"{demo_url}/lessons/new")
    page.fill("#m-title", "Конфликт правок")
    expect(page.locator("[data-save-status]")).to_have_text("All changes saved.", timeout=10_000)
    # Someone saves the same lesson elsewhere (another tab) in between.
    other = page.context.new_page()
    other.goto(page.url)
    other.fill("#m-summary", "Изменено в другой вкладке")
    expect(other.locator("[data-save-status]")).to_have_text("All changes saved.", timeout=10_000)
    page.fill("#m-summary", "А это правка в первой вкладке")
    expect(page.locator("[data-conflict]")).to_be_visible(timeout=10_000)
    expect(page.locator("[data-save-status]")).to_contain_text("changed elsewhere")
    page.screenshot(path=shots / "conflict.png")
    # Reloading continues from the newer version; nothing was silently overwritten.
    page.get_by_role("button", name="Reload the lesson").click()
    expect(page.locator("#m-summary")).to_have_value("Изменено в другой вкладке")
    page.context.close()
