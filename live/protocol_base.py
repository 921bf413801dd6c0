"""The pieces every client command model shares: strict models, the envelope's ``id``, the
payloads of commands that carry nothing or an on/off switch.

:mod:`live.protocol` (the lesson's commands) and :mod:`live.protocol_widgets` (the board and the
classroom widgets) build their models on these; :mod:`live.protocol` joins them in one union.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

MAX_MESSAGE_ID_LENGTH = 64

MessageId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_ID_LENGTH)]


class Strict(BaseModel):
    """A frozen model that refuses unknown fields and coercion."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NoData(Strict):
    """The payload of commands that carry nothing."""


class SwitchData(Strict):
    """The payload of an on/off command."""

    on: bool


class Command(Strict):
    """A client command: ``{"type", "id", "data"}`` (each subclass fixes ``type`` and
    ``data``)."""

    id: MessageId
