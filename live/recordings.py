"""Recordings of a live lesson's video: where they go, what they are called, which exist.

A recording is ``<recordings dir>/<lesson code>/<UTC start>-<publication>.webm``; the media home
writes it (:func:`start_recording`), the lesson's pages list and serve it (:func:`recordings_of`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from live.rtc import MediaRoom, RtcError

logger = logging.getLogger(__name__)

# A recording's file name: when it started (UTC) and the publication's number.
RECORDING_NAME = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9]+\.webm$")


async def start_recording(room: MediaRoom, folder: Path, room_id: str) -> bool:
    """Start recording the room's live publication into ``folder``; whether it started."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}-{room.state()['publication']}.webm"
    try:
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        await room.start_recording(path)
    except RtcError as exc:
        if exc.code != "already_recording":
            logger.warning("live room %s: not recorded: %s", room_id, exc.message)
        return False
    except OSError:
        logger.warning("live room %s: no folder for recordings", room_id, exc_info=True)
        return False
    return True


def recordings_of(recordings_dir: Path, room_id: str) -> list[dict[str, Any]]:
    """The lesson's recordings, oldest first: ``[{"name", "size", "started"}]`` (blocking I/O:
    run it in a thread). Files stopped before any video came (empty ones) are left out."""
    folder = recordings_dir / room_id
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if not RECORDING_NAME.match(path.name) or not path.is_file():
            continue
        size = path.stat().st_size
        if size == 0:
            continue
        started = datetime.strptime(path.name[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        found.append({"name": path.name, "size": size, "started": started.isoformat()})
    return found
