"""The board and the console apart, in real browsers: the teacher runs a quiz from the console
on a 1024×768 tablet, a board computer (1920×1080, nobody signed in) is paired with a code,
two pupils answer over the WebSocket. The board never shows a pupil's name, an answer or a key
before the reveal; every step is photographed into ``test-output/``."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.sync.client import connect

from tests.live.test_browser import open_page, start_lesson_with_a_quiz

pytestmark = pytest.mark.browser

CONSOLE = {"width": 1024, "height": 768}
BOARD = {"width": 1920, "height": 1080}
PUPILS = ("pupil", "pupil2")


def answers_for(block: dict[str, Any], right: bool) -> list[Any]:
    """One answer per question: the first option (or a number) for one pupil, the second for
    the other, so the class's histogram has two bars."""
    answers: list[Any] = []
    for question in block["questions"]:
        kind = question["kind"]
        if kind == "single":
            answers.append(0 if right else 1)
        elif kind == "multiple":
            answers.append([0] if right else [1])
        elif kind == "number":
            answers.append(4)
        elif kind == "text":
            answers.append("pupil-answer-xyz")
        else:
            answers.append(None)
    return answers


def join_pupils(demo_url: str, code: str, sockets: ExitStack) -> list[dict[str, Any]]:
    """Two pupils on the WebSocket (closed with ``sockets``): their sockets and welcomes."""
    ws_base = demo_url.replace("http://", "ws://")
    joined = []
    for login in PUPILS:
        signed = httpx.post(
            f"{demo_url}/api/v1/auth/token", json={"login": login, "password": "demo"}
        )
        headers = {"Authorization": f"Bearer {signed.json()['token']}"}
        socket = sockets.enter_context(
            connect(f"{ws_base}/live/{code}/ws", additional_headers=headers)
        )
        welcome = json.loads(socket.recv(timeout=10))
        assert welcome["type"] == "welcome" and welcome["data"]["you"]["role"] == "pupil"
        joined.append({"socket": socket, "welcome": welcome})
    return joined


def pair_a_board(console: Page, chromium: Browser, demo_url: str) -> Page:
    console.click("[data-action=board-pair]")
    dialog = console.locator("[data-pair-dialog]")
    expect(dialog).to_be_visible()
    pairing = console.locator("[data-pair-code]").inner_text()
    assert pairing != console.locator("[data-code]").inner_text()
    board = open_page(chromium, BOARD, demo_url, None)
    board.goto(f"{demo_url}/board")
    board.fill("#code", "WRONG-1")
    board.click("button[type=submit]")
    expect(board.locator(".alert-error")).to_contain_text("wrong or has expired")
    board.fill("#code", pairing.lower())
    board.click("button[type=submit]")
    expect(board.locator("[data-status]")).to_have_attribute("data-state", "online")
    dialog.locator("button[type=submit]").click()
    expect(console.locator("[data-board-status]")).to_have_text("Board connected")
    return board


def test_the_console_runs_a_quiz_and_the_board_shows_only_what_the_class_may_see(
    demo_url: str, chromium: Browser, shots: Path
) -> None:
    with ExitStack() as sockets:
        run_the_lesson(demo_url, chromium, shots, sockets)


def run_the_lesson(demo_url: str, chromium: Browser, shots: Path, sockets: ExitStack) -> None:
    console = open_page(chromium, CONSOLE, demo_url, "teacher")
    code = start_lesson_with_a_quiz(console, demo_url)
    console.click("[data-action=join-hide]")
    board = pair_a_board(console, chromium, demo_url)
    expect(board.locator("[data-code]")).to_have_text(code)
    pupils = join_pupils(demo_url, code, sockets)
    names = [pupil["welcome"]["data"]["you"]["name"] for pupil in pupils]
    expect(board.locator("[data-pupil-count]")).to_have_text("2")
    console.screenshot(path=shots / "1-console.png")
    board.screenshot(path=shots / "2-board-paired.png")

    # The teacher goes to the quiz with the thumbnails and opens it.
    console.locator(".console-thumb", has_text="Quiz").first.click()
    expect(board.locator(".live-quiz")).to_have_attribute("data-phase", "idle")
    console.click("[data-action=quiz-open]")
    expect(board.locator(".live-quiz")).to_have_attribute("data-phase", "open")
    index = int(console.locator("[data-slide-counter]").first.inner_text().split("/")[0]) - 1
    block = pupils[0]["welcome"]["data"]["state"]["slides"][index]
    for number, pupil in enumerate(pupils):
        answers = answers_for(block, right=number == 0)
        message = {
            "type": "quiz.answer",
            "id": f"a{number}",
            "data": {"block_id": str(block["id"]), "answers": answers},
        }
        pupil["socket"].send(json.dumps(message))

    # The console names who answered what; the board only counts.
    results = console.locator("[data-console-results]")
    for name in names:
        expect(results).to_contain_text(name)
    expect(board.locator("[data-answered-count]")).to_have_text("2 / 2")
    expect(board.locator(".live-bars")).to_have_count(0)  # no results while answers may change
    expect(board.locator(".live-key, .is-correct")).to_have_count(0)
    console.screenshot(path=shots / "3-console-answers.png")
    board.screenshot(path=shots / "4-board-quiz-open.png")

    # Closed: the class's histogram; still no key.
    console.click("[data-action=quiz-close]")
    expect(board.locator(".live-quiz")).to_have_attribute("data-phase", "closed")
    expect(board.locator(".live-bars").first).to_be_visible()
    expect(board.locator(".live-key, .is-correct")).to_have_count(0)
    board.screenshot(path=shots / "5-board-histogram.png")

    # Revealed: the keys.
    console.click("[data-action=quiz-reveal]")
    expect(board.locator(".live-quiz")).to_have_attribute("data-phase", "revealed")
    expect(board.locator(".live-key, .is-correct").first).to_be_visible()

    # The widgets: a countdown, a picked pupil named only when the teacher shows it.
    console.click("[data-action=timer-start]")
    expect(board.locator("[data-widget-timer]")).to_be_visible()
    console.click("[data-action=picker-pick]")
    expect(board.locator("[data-picker-name]")).to_have_text("A pupil has been picked")
    board_text = board.locator("body").inner_text()
    for name in names:
        assert name not in board_text
    assert "pupil-answer-xyz" not in board_text
    console.click("[data-action=picker-show]")
    expect(board.locator("[data-picker-name]")).to_have_text(
        console.locator("[data-widgets-panel] [data-picker-name]").inner_text()
    )
    console.evaluate("document.querySelector('.live-side').scrollTop = 0")
    console.screenshot(path=shots / "6-console-widgets.png")
    board.screenshot(path=shots / "7-board-revealed-and-widgets.png")

    # Pupil-paced: the board counts the pupils on each slide, never who.
    console.click("[data-action=pace]")
    pace = board.locator("[data-pace-box]")
    expect(pace.locator(f"[data-pace-slide='{index + 1}'] .board-count-value")).to_have_text("2")
    target = 0 if index else 1
    goto = {"type": "pupil.goto", "id": "g0", "data": {"index": target}}
    pupils[0]["socket"].send(json.dumps(goto))
    expect(pace.locator(f"[data-pace-slide='{target + 1}'] .board-count-value")).to_have_text("1")
    expect(pace).to_contain_text(f"Slide {target + 1}")

    console.click("[data-action=end]")
    expect(board.locator("[data-closed]")).to_be_visible()
