"""The board's pages and API: the projector's view of a lesson, pairing a board computer, and
the teacher asking for a board pass.

- ``POST /api/v1/live/{code}/board`` (the lesson's teacher) → ``{"code", "token", "url",
  "pair_url", "expires_at", "expires_in"}``: a pairing code for ``/board`` and a board pass.
- ``GET /board``: the form a board computer types the pairing code into (nobody signs in);
  ``POST /board`` pairs the screen (sets the pass as a cookie) and opens the board.
- ``GET /live/{code}/board``: the board, for a paired screen or the teacher's second window.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eschool.api_schema import operation
from eschool.errors import DomainError, Forbidden, TooManyRequests
from eschool.i18n import gettext as _
from eschool.models import Role
from eschool.signin_pages import presession_cookie, presession_ok, presession_token
from eschool.web import (
    api_endpoint,
    client_address,
    current_user,
    db,
    deprecated_path,
    json_ok,
    read_form,
    render,
)
from live import queries, services
from live.board_pass import BOARD_PASS_SECONDS, board_pair, board_pass_create, participant
from live.page_context import room_context
from live.public_models import BoardPassPublic
from live.route_helpers import base_url, secret_of
from live.visitor_pass import BOARD_COOKIE_PREFIX, pass_cookie

# Wrong pairing codes an address may type in the window before it is stopped (429).
PAIRING_GUESSES = 10


PAIR_PATH = "/board"
_PAIR_PURPOSE = "board-pair-form"


def _pair_form(
    request: Request,
    *,
    code: str,
    error: str | None = None,
    status: int = 200,
    exc: DomainError | None = None,
) -> Response:
    """The pairing form; a screen nobody signed in on carries the sign-in form's kind of token
    (:mod:`eschool.signin_pages`), a 429 says when to try again."""
    token, fresh = (
        presession_token(request, _PAIR_PURPOSE) if current_user(request) is None else ("", None)
    )
    response = render(
        request, "live/board_pair.html", status=status, code=code, error=error, pair_csrf=token
    )
    presession_cookie(request, response, fresh, PAIR_PATH)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


# Wrong pairing codes per address, counted in the database (apart from the join codes).
_GUESSES = services.CodeGuesses(kind="live:pair", limit=PAIRING_GUESSES)


def board_cookie(request: Request) -> str | None:
    """The board pass a paired screen keeps for the lesson in the path, if any."""
    return pass_cookie(request, BOARD_COOKIE_PREFIX)


@api_endpoint(Role.teacher)
@operation(
    "POST",
    "A board pass and a pairing code for a running lesson",
    description="The lesson's teacher: the code is typed on the board computer at `/board` "
    "(or the pass sent as `Authorization: Bearer` / `?token=`). 409 `ended`.",
    responses={200: BoardPassPublic},
    roles=(Role.teacher,),
    errors=(409,),
)
async def api_board_pass(request: Request) -> Response:
    """``POST /api/v1/live/{code}/board`` (the lesson's teacher): a pairing code and a pass."""
    user = current_user(request)
    assert user is not None  # the guard made sure
    live = await queries.session_by_code(
        db(request), code=str(request.path_params["code"]), school_id=user.school_id
    )
    body = await board_pass_create(
        db(request),
        actor=user,
        live=live,
        broker=request.app.state.broker,
        secret=secret_of(request.app),
    )
    display = queries.code_display(live.code)
    base = base_url(request)
    url = f"{base}/live/{display}/board"
    return json_ok(BoardPassPublic(**body, url=url, pair_url=f"{base}/board"))


async def _old_board_pass(request: Request) -> Response:
    """``POST /live/{code}/board``: the pass at its old bare path, for one release."""
    response = await api_board_pass(request)
    return deprecated_path(request, response, successor=f"/api/v1{request.url.path}")


async def board_pair_page(request: Request) -> Response:
    """``GET /board``: the board computer's form for the pairing code."""
    code = request.query_params.get("code", "")[:32]
    error = None
    if request.query_params.get("error") == "expired":
        error = _("This board's pass is not valid any more. Type a new board code.")
    return _pair_form(request, code=code, error=error)


async def board_pair_submit(request: Request) -> Response:
    """``POST /board``: pair this screen with the code from the console and open the board.
    A wrong or expired code is refused with a clear message; an address that keeps guessing
    is stopped for a while (429)."""
    form = await read_form(request)
    code = form.get("code", "").strip()[:32]
    address = client_address(request)
    try:
        if current_user(request) is None and not presession_ok(
            request, _PAIR_PURPOSE, form.get("csrf_token", "")
        ):
            raise Forbidden(_("The form had expired. Please try again."))
        await _GUESSES.check(db(request), address)
        try:
            live, token = await board_pair(
                db(request),
                code=code,
                broker=request.app.state.broker,
                secret=secret_of(request.app),
            )
        except DomainError as exc:
            if exc.status == 404:
                await _GUESSES.failed(db(request), address)
            raise
    except DomainError as exc:
        return _pair_form(request, code=code, error=exc.message, status=exc.status, exc=exc)
    display = queries.code_display(live.code)
    response = RedirectResponse(f"/live/{display}/board", status_code=303)
    response.set_cookie(
        BOARD_COOKIE_PREFIX + live.code,
        token,
        max_age=BOARD_PASS_SECONDS,
        path="/live/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response


async def board_page(request: Request) -> Response:
    """``GET /live/{code}/board``: what the projector shows. A paired screen comes with its
    pass; the lesson's teacher opens it from the console as a second window. Anyone else is
    sent to ``/board`` to pair."""
    user = current_user(request)
    token = board_cookie(request)
    if user is None and token is None:
        return RedirectResponse("/board", status_code=303)
    school_id = user.school_id if user is not None and token is None else None
    live = await queries.session_by_code(
        db(request), code=str(request.path_params["code"]), school_id=school_id
    )
    try:
        actor = await participant(
            db(request),
            live=live,
            user=user,
            token=token,
            secret=secret_of(request.app),
            view="board",
        )
    except DomainError as exc:
        if user is None and exc.status == 401:
            return RedirectResponse(f"/board?error={quote('expired')}", status_code=303)
        raise
    context = await room_context(request, live, actor, token=token or "", view="board")
    return render(request, "live/board.html", **context)


routes: list[BaseRoute] = [
    Route("/api/v1/live/{code}/board", api_board_pass, methods=["POST"]),
    Route("/live/{code}/board", _old_board_pass, methods=["POST"]),
    Route("/live/{code}/board", board_page, methods=["GET"]),
    Route("/board", board_pair_page, methods=["GET"]),
    Route("/board", board_pair_submit, methods=["POST"]),
]
