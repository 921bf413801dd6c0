"""Passwords (argon2id), random secrets and their stored digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# A syntactically valid argon2id hash of a random string: verifying against it when the
# login does not exist costs the same time as a real check, so logins cannot be probed.
_DUMMY_PASSWORD = secrets.token_urlsafe(16)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's current recommended parameters


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(_DUMMY_PASSWORD)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; spends the same time when there is no hash."""
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret (session ids, API tokens, CSRF tokens, feed keys)."""
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """The SHA-256 hex digest under which a secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(a.encode(), b.encode())


def generate_password() -> str:
    """A readable generated password for new accounts (12 chars, no look-alike letters)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def signature(key: str, purpose: str, value: str) -> str:
    """An HMAC-SHA256 of ``value`` under the server's secret ``key``, bound to ``purpose``
    (so that a value signed for one use is never accepted for another)."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def signature_ok(key: str, purpose: str, value: str, claimed: str) -> bool:
    """True when ``claimed`` is the signature of ``value`` for ``purpose``."""
    return bool(value) and same(signature(key, purpose, value), claimed)
