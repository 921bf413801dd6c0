"""A real SMTP server (aiosmtpd) for the notification tests, and waiting helpers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    """What the server received: one parsed message per recipient."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        for recipient in envelope.rcpt_tos:
            self.messages.append((recipient, parsed))  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages that went to ``address``."""
        return [message for recipient, message in self.messages if recipient == address]


def smtp_server(port: int) -> tuple[Controller, Inbox]:
    """Start an SMTP server on 127.0.0.1:``port`` (stop it with ``controller.stop()``)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    """Wait until ``check()`` is true (polling), failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.05)
