"""The live protocol as one JSON Schema document (draft 2020-12), generated from the models.

``GET /api/v1/live/protocol.schema.json`` serves :func:`protocol_schema`. The document:

- ``$defs/ClientMessage``: every client → server frame, from the union the server parses with
  (:data:`live.protocol.ClientMessage`); the data of ``rtc.offer`` and ``rtc.stop`` is the
  shape the media layer validates it with (:class:`~live.protocol.RtcOfferData`,
  :class:`~live.protocol.RtcStopData`);
- ``$defs/ServerMessage``: every server → client frame (:mod:`live.server_messages`);
- ``$defs/CloseCode`` and ``x-close-codes``: the socket's close codes (:mod:`live.close_codes`);
- ``x-rtc``: the media signalling messages in both directions.

The document itself validates either kind of frame (``oneOf`` the two).
"""

from __future__ import annotations

import copy
import functools
import json
import operator
from functools import cache
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, create_model

from live.close_codes import CLOSE_MEANINGS, RECONNECT_AFTER, CloseCode
from live.protocol import (
    CLIENT_MESSAGE_TYPES,
    MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
    SIGNALLING_TYPES,
    ClientMessage,
    RtcOfferData,
    RtcStopData,
)
from live.server_messages import DIRECT_DATA, SERVER_FRAMES, SERVER_MESSAGE_TYPES

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_PATH = "/api/v1/live/protocol.schema.json"
SCHEMA_MEDIA_TYPE = "application/schema+json"
_REF = "#/$defs/{model}"

# Every server frame, told apart by ``type`` (the frames' models are built from a table, so
# the union is too).
ServerMessage: Any = Annotated[
    functools.reduce(operator.or_, SERVER_FRAMES), Field(discriminator="type")
]

# Signalling messages the parser accepts but the media layer answers with
# ``error unsupported`` (the server makes the offers' answers; ICE is gathered in full).
_UNSUPPORTED_SIGNALLING = frozenset({"rtc.answer", "rtc.candidate", "rtc.state"})
_RTC_DATA = {"rtc.offer": RtcOfferData, "rtc.stop": RtcStopData}


# Both directions in one generation, so the models' names in ``$defs`` never clash.
_Protocol = create_model(
    "LiveProtocol",
    client=(ClientMessage, ...),
    server=(ServerMessage, ...),
    rtc_offer=(RtcOfferData, ...),
    rtc_stop=(RtcStopData, ...),
)


def _def_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _client_defs(union: dict[str, Any], defs: dict[str, Any]) -> None:
    """Give the signalling messages the data the media layer checks, and say which ones the
    server refuses (the parser's models take any object)."""
    mapping: dict[str, str] = union["discriminator"]["mapping"]
    for kind, ref in mapping.items():
        model = defs[_def_name(ref)]
        if kind in _RTC_DATA:
            model["properties"]["data"] = {"$ref": _REF.format(model=_RTC_DATA[kind].__name__)}
            if kind == "rtc.offer":
                model["required"] = sorted({*model.get("required", []), "data"})
        if kind in _UNSUPPORTED_SIGNALLING:
            model["description"] = (
                f"`{kind}`: accepted by the parser, answered with `error` `unsupported`: "
                "send one complete offer (ICE gathered) with `rtc.offer`."
            )


def _close_codes() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    one_of = [
        {"const": int(code), "title": code.name, "description": CLOSE_MEANINGS[code]}
        for code in CloseCode
    ]
    table = [
        {
            "code": int(code),
            "name": code.name,
            "meaning": CLOSE_MEANINGS[code],
            "reconnect": code in RECONNECT_AFTER,
        }
        for code in CloseCode
    ]
    definition = {
        "title": "CloseCode",
        "description": "Why the server closed the socket; reconnect (with `?since=`) only "
        "after " + " and ".join(str(int(c)) for c in sorted(RECONNECT_AFTER)) + ".",
        "type": "integer",
        "oneOf": one_of,
    }
    return definition, table


def _rtc_table() -> dict[str, list[str]]:
    client = sorted(kind for kind in CLIENT_MESSAGE_TYPES if kind.startswith("rtc."))
    server = sorted(kind for kind in SERVER_MESSAGE_TYPES if kind.startswith("rtc."))
    return {
        "client": client,
        "server": server,
        "signalling": sorted(SIGNALLING_TYPES),
        "direct": sorted(kind for kind in DIRECT_DATA if kind.startswith("rtc.")),
    }


def build_protocol_schema() -> dict[str, Any]:
    """The whole document (see the module's docstring)."""
    generated = TypeAdapter(_Protocol).json_schema(ref_template=_REF)
    defs: dict[str, Any] = generated["$defs"]
    client = generated["properties"]["client"]
    server = generated["properties"]["server"]
    _client_defs(client, defs)
    close_code, close_table = _close_codes()
    defs["ClientMessage"] = {
        "title": "ClientMessage",
        "description": "A client → server frame `{type, id, data}` (at most "
        f"{MAX_FRAME_BYTES} bytes); answered with `ack` or `error`.",
        **client,
    }
    defs["ServerMessage"] = {
        "title": "ServerMessage",
        "description": "A server → client frame: an event `{v, type, seq, data}`, a direct "
        "frame `{v, type, data}`, `ack` or `error`.",
        **server,
    }
    defs["CloseCode"] = close_code
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_PATH,
        "title": "eschool live lesson protocol",
        "description": "The frames of `GET /live/{code}/ws` (JSON text frames) in both "
        "directions, and the socket's close codes. See docs/live-protocol.md.",
        "x-protocol-version": PROTOCOL_VERSION,
        "oneOf": [{"$ref": "#/$defs/ClientMessage"}, {"$ref": "#/$defs/ServerMessage"}],
        "$defs": defs,
        "x-close-codes": close_table,
        "x-rtc": _rtc_table(),
    }


@cache
def _built() -> dict[str, Any]:
    return build_protocol_schema()


def protocol_schema() -> dict[str, Any]:
    """The document, built once per process (a copy: the caller may change it)."""
    return copy.deepcopy(_built())


@cache
def protocol_schema_json() -> bytes:
    """The document encoded as JSON, once per process (what the endpoint serves)."""
    return json.dumps(_built(), ensure_ascii=False, separators=(",", ":")).encode()
