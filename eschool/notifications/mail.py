"""E-mail through SMTP (``aiosmtplib``): the server named by ``ESCHOOL_SMTP_URL``."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

SEND_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Mailer:
    """Where and how to send: ``smtp://[user:pass@]host[:port][?from=addr&starttls=1]``, or
    ``smtps://`` for TLS from the first byte."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = None  # None: upgrade when the server offers it

    @classmethod
    def from_url(cls, url: str) -> Mailer:
        """Parse an SMTP URL; a wrong one is refused at start with :class:`ValueError`."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("ESCHOOL_SMTP_URL must look like smtp://host:25 or smtps://host:465")
        query = parse_qs(parts.query)
        starttls = query.get("starttls", [""])[-1]
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError as exc:
            raise ValueError("ESCHOOL_SMTP_URL has a wrong port") from exc
        return cls(
            host=parts.hostname,
            port=port,
            sender=query.get("from", [""])[-1] or f"eschool@{parts.hostname}",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls={"1": True, "true": True, "0": False, "false": False}.get(starttls),
        )

    def message(self, *, to: str, subject: str, text: str) -> EmailMessage:
        """A plain-text UTF-8 message from this mailer's sender."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text)
        return message

    async def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the server; raises on any failure (the outbox retries)."""
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=SEND_TIMEOUT_SECONDS,
        )
