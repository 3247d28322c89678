"""Signed, expiring URLs for media renditions (what Instagram fetches by URL).

The media engineer's ``publisher.media`` may offer its own signer; until it is merged this
small HMAC helper is the one place that signs and verifies. The signing key is derived from the
Fernet secret keys (HMAC-SHA256 of a fixed label), so rotating ``LAPOR_SECRET_KEY`` keeps URLs
signed under the previous key valid until they expire.

URL shape: ``{base}/media/{sha256}{suffix}?exp={unix seconds}&sig={hex}``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from publisher.clock import utcnow

LABEL = b"lapor-media-url-v1"
DEFAULT_TTL = timedelta(hours=6)
NAME = re.compile(r"^(?P<sha>[0-9a-f]{64})(?P<suffix>\.[a-z0-9]{2,5})$")


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), LABEL, hashlib.sha256).digest()


def _signature(key: bytes, name: str, expires: int) -> str:
    return hmac.new(key, f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()


def sign_media_url(
    base_url: str,
    secret: str,
    sha256: str,
    suffix: str,
    *,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> str:
    expires = int(((now or utcnow()) + ttl).timestamp())
    name = f"{sha256}{suffix}"
    sig = _signature(_key(secret), name, expires)
    return f"{base_url.rstrip('/')}/media/{name}?exp={expires}&sig={sig}"


def verify_media_signature(
    secrets: Sequence[str], name: str, expires: int, sig: str, *, now: datetime | None = None
) -> bool:
    """True when ``sig`` is valid under any configured key and the URL has not expired."""
    if expires < int((now or utcnow()).timestamp()) or not NAME.match(name):
        return False
    return any(
        hmac.compare_digest(_signature(_key(secret), name, expires), sig) for secret in secrets
    )
