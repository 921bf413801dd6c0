"""The observers' command: ``note.add {text, criterion?, level?}`` — a note, a score, or both.

Never an event of the room: :mod:`live.handlers.notes` stores it apart (``live_notes``) and
nobody but its author sees it during the lesson (docs/open-lessons.md). :mod:`live.protocol`
joins the model into the one union of client commands.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from live.models import CRITERION_ID_PATTERN, MAX_LEVELS, MAX_NOTE_TEXT
from live.protocol_base import Command, Strict

CriterionId = Annotated[str, StringConstraints(pattern=CRITERION_ID_PATTERN)]


class NoteAddData(Strict):
    """A note's text (may be empty only when the note scores a criterion), and optionally the
    criterion it is about and the level (an index into the criterion's levels, lowest first)
    the observer gives it. A level needs a criterion."""

    text: Annotated[str, StringConstraints(max_length=MAX_NOTE_TEXT)] = ""
    criterion: CriterionId | None = None
    level: Annotated[int, Field(ge=0, lt=MAX_LEVELS)] | None = None

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        if self.level is not None and self.criterion is None:
            raise ValueError("a level needs a criterion")
        if not self.text.strip() and self.level is None:
            raise ValueError("write a note or choose a level")
        return self


class NoteAdd(Command):
    type: Literal["note.add"]
    data: NoteAddData
