"""Seams between the domain packages, so that none imports another it may not.

The lesson library registers a resolver here (from its routes' ``lifespan``); the gradebook
uses it to link a journal slot to a library lesson without importing ``lessons``. (Who may
fetch an uploaded file is decided by ``eschool.uploads``, with ``app.state.file_audiences``.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import NotFound
from eschool.models import User

# (session, actor, lesson_id) -> {"lesson_id", "version", "title"} of the latest published
# version the actor may see, or None when there is no such lesson for them.
LessonResolver = Callable[[AsyncSession, User, int], Awaitable[dict[str, Any] | None]]
_lesson_resolver: list[LessonResolver] = []


def register_lesson_resolver(resolver: LessonResolver) -> None:
    """Install the library's lesson resolver (replacing any earlier one)."""
    _lesson_resolver[:] = [resolver]


async def resolve_lesson(session: AsyncSession, actor: User, lesson_id: int) -> dict[str, Any]:
    """The published lesson version a journal slot may link to; 404 when there is none."""
    found = await _lesson_resolver[0](session, actor, lesson_id) if _lesson_resolver else None
    if found is None:
        raise NotFound("No such published lesson in the library.")
    return found
