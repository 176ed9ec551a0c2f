"""Signed form tokens of the public survey page (/s/{code}).

The page puts one in a hidden field when it serves the form; the POST sends it back and it
becomes the response's `clientToken`, so a double submit of the same form is an idempotent
replay. Signed with a key derived from the platform's secret and bound to the survey code
and the time it was issued, it is also the page's defence against cross-site posting: a
POST that does not carry a token this platform issued for this code, recently, is refused.

Shape (46 characters, within the service's clientToken alphabet [A-Za-z0-9_-]):
16 random characters, 8 hex digits of the issue time (Unix seconds), 22 of the HMAC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

MAX_AGE_SECONDS = 24 * 3600  # a form left open at the counter for a day is still accepted
CLOCK_SKEW_SECONDS = 300
_SHAPE = re.compile(r"[A-Za-z0-9_-]{16}[0-9a-f]{8}[A-Za-z0-9_-]{22}")


def _key(secret: str) -> bytes:
    # Derived, so a form token can never pass as (or reveal anything of) a JWT signature.
    return hashlib.sha256(b"kinerja-survey-form-token\x00" + secret.encode()).digest()


def _mac(secret: str, code: str, body: str) -> str:
    digest = hmac.new(_key(secret), f"{code}\x00{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def issue(secret: str, code: str, *, now: float | None = None) -> str:
    nonce = secrets.token_urlsafe(12)  # 16 characters, 96 random bits
    body = f"{nonce}{int(now if now is not None else time.time()):08x}"
    return body + _mac(secret, code, body)


def is_valid(secret: str, code: str, token: str, *, now: float | None = None) -> bool:
    """Issued by this platform for this code, and neither expired nor from the future."""
    if not _SHAPE.fullmatch(token or ""):
        return False
    body, mac = token[:24], token[24:]
    if not hmac.compare_digest(mac, _mac(secret, code, body)):
        return False
    age = (now if now is not None else time.time()) - int(body[16:], 16)
    return -CLOCK_SKEW_SECONDS <= age <= MAX_AGE_SECONDS
