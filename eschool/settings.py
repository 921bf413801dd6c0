"""Settings read once from ``ESCHOOL_*`` environment variables into one object."""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc


def _number(env: dict[str, str], name: str, kind: type[int] | type[float]) -> int | float:
    raw = env[name].strip()
    try:
        return kind(raw)
    except ValueError as exc:
        noun = "a whole number" if kind is int else "a number"
        raise ValueError(f"{name} must be {noun}, not {raw!r}") from exc


def _tunable(variable: str, default: float, lowest: float, highest: float) -> Any:
    """A number read from ``variable``: its default and its bounds, declared once here and
    checked whenever settings are built (from the environment or by ``replace()``)."""
    return field(default=default, metadata={"env": variable, "bounds": (lowest, highest)})


def _networks(env: dict[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated addresses or CIDRs, each checked: a typo fails at start, not silently."""
    found = []
    for item in env.get(name, "").split(","):
        if item.strip():
            try:
                found.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError as exc:
                raise ValueError(f"{name}: {item.strip()!r} is not an address or CIDR") from exc
    return tuple(found)


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know about its surroundings."""

    data_dir: Path
    database_url: str
    broker_url: str = "memory://"
    secret_key: str = ""
    static_dir: Path = PROJECT_ROOT / "static"
    upload_limit: int = 50 * 1024 * 1024
    session_days: int = 14
    # Sign-in throttling (eschool/signin.py): a client's free failures on one login before it
    # must wait (1 s, 2 s, 4 s ... up to the window), and failures an address may have across
    # logins within the window.
    login_max_failures: int = 5
    login_window_seconds: int = 900
    address_max_failures: int = 30
    allowed_origins: tuple[str, ...] = ()
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (a reverse proxy).
    trusted_proxies: tuple[str, ...] = ()
    rtc_ice_servers: tuple[str, ...] = ()
    rtc_ice_username: str | None = None
    rtc_ice_credential: str | None = None
    rtc_max_viewers: int = 200
    secure_cookies: bool = False
    timezone: str = "Europe/Moscow"
    # Notifications by e-mail (eschool/notifications/mail.py): ``smtp://[user:pass@]host:port
    # [?from=addr]`` (``smtps://`` for TLS, ``?starttls=1``); None: in-app only. Links in the
    # e-mails start with ``public_url``. A failed send is retried after ``notify_retry_seconds``,
    # doubling each time; the daily digest goes at ``digest_hour`` in ``timezone``.
    smtp_url: str | None = None
    public_url: str = ""
    notify_retry_seconds: float = 30.0
    digest_hour: int = 18
    # Live lessons (live/): a connection's outbox in frames (a client that falls further behind
    # resyncs); how often the room's presence is sent; the silence after which a socket is
    # closed; the commands a socket may send (a token bucket: a rate and a burst); how often a
    # page pings the room (shorter than the idle limit).
    live_outbox_size: int = _tunable("ESCHOOL_LIVE_OUTBOX_SIZE", 256, 8, 100_000)
    live_presence_tick: float = _tunable("ESCHOOL_LIVE_PRESENCE_TICK", 0.15, 0.01, 60)
    live_idle_seconds: float = _tunable("ESCHOOL_LIVE_IDLE_SECONDS", 60.0, 1, 86_400)
    live_rate_per_second: float = _tunable("ESCHOOL_LIVE_RATE_PER_SECOND", 20.0, 0.1, 10_000)
    live_rate_burst: float = _tunable("ESCHOOL_LIVE_RATE_BURST", 40.0, 1, 100_000)
    live_ping_seconds: float = _tunable("ESCHOOL_LIVE_PING_SECONDS", 20.0, 0.1, 3_600)
    # How long a process may answer who is signed in from the row it kept, on PostgreSQL
    # (eschool/auth_cache.py: changes drop it at once; this bounds it whatever happens); 0
    # reads it for every request.
    sign_in_keep_seconds: float = _tunable("ESCHOOL_SIGN_IN_KEEP_SECONDS", 60.0, 0, 3_600)
    # How often the retention purge runs (eschool/privacy/routes.py).
    purge_interval_seconds: float = _tunable(
        "ESCHOOL_PURGE_INTERVAL_SECONDS", 3600.0, 0.01, 604_800
    )

    def __post_init__(self) -> None:
        for tunable in fields(self):
            if "env" not in tunable.metadata:
                continue
            value = getattr(self, tunable.name)
            lowest, highest = tunable.metadata["bounds"]
            kind = int if tunable.type == "int" else int | float
            number = isinstance(value, kind) and not isinstance(value, bool)
            if not number or math.isnan(value) or not lowest <= value <= highest:
                raise ValueError(
                    f"{tunable.metadata['env']} must be between {lowest} and {highest}, "
                    f"not {value!r}"
                )
        if self.live_ping_seconds >= self.live_idle_seconds:
            raise ValueError(
                "ESCHOOL_LIVE_PING_SECONDS must be shorter than ESCHOOL_LIVE_IDLE_SECONDS "
                f"({self.live_ping_seconds} >= {self.live_idle_seconds}): the server would close "
                "the sockets of pages that wait between pings"
            )

    @classmethod
    def _tunables_from(cls, env: dict[str, str]) -> dict[str, Any]:
        """The tunable numbers whose variables are set (the others keep their defaults), each
        an int or a float as its field is declared (so ``Any``: the type varies by key)."""
        found: dict[str, Any] = {}
        for tunable in fields(cls):
            variable = tunable.metadata.get("env")
            if variable and env.get(variable, "").strip():
                found[tunable.name] = _number(
                    env, variable, int if tunable.type == "int" else float
                )
        return found

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from the environment (or the mapping given)."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("ESCHOOL_DATA_DIR") or "./var").resolve()
        database_url = env.get("ESCHOOL_DATABASE_URL") or (
            f"sqlite+aiosqlite:///{data_dir / 'eschool.db'}"
        )
        origins = tuple(o.strip() for o in env.get("ESCHOOL_ALLOWED_ORIGINS", "").split(",") if o)
        ice = tuple(s.strip() for s in env.get("ESCHOOL_RTC_ICE_SERVERS", "").split(",") if s)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            broker_url=env.get("ESCHOOL_BROKER_URL") or "memory://",
            secret_key=env.get("ESCHOOL_SECRET_KEY", ""),
            upload_limit=_int(env, "ESCHOOL_UPLOAD_LIMIT", 50 * 1024 * 1024),
            allowed_origins=origins,
            trusted_proxies=_networks(env, "ESCHOOL_TRUSTED_PROXIES"),
            rtc_ice_servers=ice,
            rtc_ice_username=env.get("ESCHOOL_RTC_ICE_USERNAME") or None,
            rtc_ice_credential=env.get("ESCHOOL_RTC_ICE_CREDENTIAL") or None,
            rtc_max_viewers=_int(env, "ESCHOOL_RTC_MAX_VIEWERS", 200),
            secure_cookies=env.get("ESCHOOL_SECURE_COOKIES", "") in ("1", "true", "yes"),
            timezone=env.get("ESCHOOL_TIMEZONE") or "Europe/Moscow",
            smtp_url=env.get("ESCHOOL_SMTP_URL") or None,
            public_url=(env.get("ESCHOOL_PUBLIC_URL") or "").rstrip("/"),
            digest_hour=_int(env, "ESCHOOL_DIGEST_HOUR", 18) % 24,
            **cls._tunables_from(env),
        )

    def with_secret(self) -> Settings:
        """Return settings whose secret key is set, generating one into the data dir if needed."""
        if self.secret_key:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return replace(self, secret_key=key_file.read_text().strip())

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded files live: outside ``static/``."""
        return self.data_dir / "uploads"
