"""The board's way in: read-only board passes, short pairing codes, and who a connection is.

A **board pass** is a signed token (``board.<body>.<signature>``) naming one live session and
one board; it lets the projector's page and socket in as role ``board`` without anyone signing
in, until it expires. The teacher's console asks for one (``POST /api/v1/live/{code}/board``):
the answer carries the pass and a **pairing code** (``K7QF-29`` style, the join codes'
alphabet) that the board computer types at ``/board`` within :data:`PAIRING_SECONDS`; the code
works once and pairs that screen to this lesson only (it is kept in the broker, so every
process of the server knows it). The teacher's own session opens the board view too, as a
second window (``?view=board``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.broker.base import Broker
from eschool.direct_read import DirectReads
from eschool.errors import Conflict, Forbidden, NotFound, Unauthorized
from eschool.i18n import gettext as _
from eschool.models import User
from live import services
from live.models import LiveSession, SessionStatus
from live.queries import CODE_ALPHABET, code_display, code_normalize
from live.room import Actor

BOARD_PASS_SECONDS = 12 * 3600
PAIRING_SECONDS = 600
BOARD_MARK = "board."
BOARD_NAME = "Board"
_PASS_PURPOSE = b"eschool live board pass v1"
_PAIRING_KEY = "live-board-pair:"
_PAIRING_ATTEMPTS = 20


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _signature(secret: str, body: str) -> str:
    key = hmac.new(secret.encode(), _PASS_PURPOSE, hashlib.sha256).digest()
    return _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def is_board_pass(token: str | None) -> bool:
    """Whether ``token`` has the shape of a board pass (observer passes never do)."""
    return bool(token) and str(token).startswith(BOARD_MARK)


def board_pass_issue(
    *, secret: str, session_id: int, now: float | None = None, ttl: int = BOARD_PASS_SECONDS
) -> tuple[str, Actor]:
    """A signed pass that lets one board show one session until it expires: ``(pass,
    board)``; the board is an actor of role ``board`` with a fresh id."""
    board = Actor(id=f"b-{secrets.token_urlsafe(6)}", role="board", name=BOARD_NAME)
    expires = int((time.time() if now is None else now) + ttl)
    payload = {"s": session_id, "b": board.id, "e": expires}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{BOARD_MARK}{body}.{_signature(secret, body)}", board


def board_pass_read(
    *, secret: str, token: str, session_id: int, now: float | None = None
) -> Actor | None:
    """The board a pass names, or ``None`` when it is forged, expired or for another session."""
    # A pass we issued is ASCII: anything else is forged (not a UnicodeEncodeError).
    if not is_board_pass(token) or len(token) > 1024 or not token.isascii():
        return None
    body, _dot, signature = token[len(BOARD_MARK) :].partition(".")
    if not body or not signature or not hmac.compare_digest(signature, _signature(secret, body)):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(payload, dict) or payload.get("s") != session_id:
        return None
    expires, board_id = payload.get("e"), payload.get("b")
    if not isinstance(expires, int) or expires < (time.time() if now is None else now):
        return None
    if not isinstance(board_id, str) or not board_id.startswith("b-"):
        return None
    return Actor(id=board_id, role="board", name=BOARD_NAME)


def teacher_board(live: LiveSession) -> Actor:
    """The board the teacher opens from the console as a second window (one per lesson)."""
    return Actor(id=f"b-t{live.teacher_id}", role="board", name=BOARD_NAME)


# --- pairing codes ---------------------------------------------------------------------------


def _pairing_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


async def pairing_create(
    broker: Broker, *, session_id: int, now: float | None = None, ttl: int = PAIRING_SECONDS
) -> tuple[str, float]:
    """A fresh pairing code for a session, kept ``ttl`` seconds: ``(canonical code, expires
    at)``."""
    expires = (time.time() if now is None else now) + ttl
    value = json.dumps({"s": session_id, "e": expires})
    for _attempt in range(_PAIRING_ATTEMPTS):
        code = _pairing_code()
        if await broker.set_value(_PAIRING_KEY + code, value, ttl=ttl, only_if_absent=True):
            return code, expires
    raise Conflict(_("Could not make a board code; try again."))  # pragma: no cover


async def pairing_claim(broker: Broker, *, code: str, now: float | None = None) -> int | None:
    """The session a pairing code pairs to, once: the code is used up. ``None`` for a code
    that is wrong, used or expired."""
    canonical = code_normalize(code)
    if canonical is None:
        return None
    key = _PAIRING_KEY + canonical
    raw = await broker.get_value(key)
    if raw is None:
        return None
    await broker.delete_value(key)
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    session_id, expires = value.get("s"), value.get("e")
    if type(session_id) is not int or not isinstance(expires, int | float):
        return None
    return session_id if expires > (time.time() if now is None else now) else None


# --- services ------------------------------------------------------------------------------


async def board_pass_create(
    session: AsyncSession,
    *,
    actor: User,
    live: LiveSession,
    broker: Broker,
    secret: str,
    now: float | None = None,
) -> dict[str, Any]:
    """A board pass and a pairing code for a running lesson (its teacher only):
    ``{"code", "token", "expires_at", "expires_in"}`` (``code`` shown as ``K7QF-29``)."""
    if actor.school_id != live.school_id:
        raise NotFound(_("No live lesson has this code."), code="unknown_code")
    if actor.id != live.teacher_id:
        raise Forbidden(_("Only the teacher who runs this lesson may do this."))
    if live.status != SessionStatus.active:
        raise Conflict(_("This live lesson has ended."), code="ended")
    token, _board = board_pass_issue(secret=secret, session_id=live.id or 0, now=now)
    code, expires = await pairing_create(broker, session_id=live.id or 0, now=now)
    return {
        "code": code_display(code),
        "token": token,
        "expires_at": expires,
        "expires_in": PAIRING_SECONDS,
    }


async def board_pair(
    session: AsyncSession, *, code: str, broker: Broker, secret: str, now: float | None = None
) -> tuple[LiveSession, str]:
    """Pair a screen with the pairing code from the console: ``(the session, a new board
    pass)``. 404 ``bad_board_code`` for a wrong, used or expired code (a lesson's join code is
    told apart, so a teacher who typed that knows what to do); 409 when the lesson has ended."""
    session_id = await pairing_claim(broker, code=code, now=now)
    live = await session.get(LiveSession, session_id) if session_id is not None else None
    if live is None:
        message = _("This board code is wrong or has expired. Press “Pair a board” again.")
        canonical = code_normalize(code)
        if canonical is not None:
            from sqlmodel import select

            found = await session.exec(select(LiveSession.id).where(LiveSession.code == canonical))
            if found.first() is not None:
                message = _(
                    "This is the lesson's join code. On the teacher's console press "
                    "“Pair a board” and type the board code shown there."
                )
        raise NotFound(message, code="bad_board_code")
    if live.status != SessionStatus.active:
        raise Conflict(_("This live lesson has ended."), code="ended")
    token, _board = board_pass_issue(secret=secret, session_id=live.id or 0, now=now)
    return live, token


async def participant(
    session: AsyncSession,
    *,
    live: LiveSession,
    user: User | None,
    token: str | None,
    secret: str,
    view: str | None = None,
    reads: DirectReads | None = None,
) -> Actor:
    """Who someone is in a session's room, the board included.

    A board pass names a board; otherwise :func:`live.services.participant_for` decides
    (its reads straight on the driver with ``reads``). With ``view="board"`` the session's
    teacher gets the board of their second window; anyone else asking for the board view is
    refused (403).
    """
    if is_board_pass(token):
        board = board_pass_read(secret=secret, token=str(token), session_id=live.id or 0)
        if board is None:
            raise Unauthorized(_("This board pass is not valid any more. Pair the board again."))
        return board
    actor = await services.participant_for(
        session, live=live, user=user, token=token, secret=secret, reads=reads
    )
    if view != "board":
        return actor
    if actor.role != "teacher":
        raise Forbidden(_("Only the teacher or a paired board can open the board view."))
    return teacher_board(live)
