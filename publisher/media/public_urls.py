"""Signed, expiring URLs for media renditions (what Instagram fetches by URL).

A thin layer over :mod:`publisher.media.signing` (the one signer): it derives the signing key
from each Fernet secret key (HMAC-SHA256 of a fixed label), so rotating ``LAPOR_SECRET_KEY``
keeps URLs signed under the previous key valid until they expire, and it fixes the route.

URL shape: ``{base}/public-media/{sha256}{suffix}?expires={unix seconds}&sig={hex}``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from publisher.core.clock import utcnow
from publisher.media.signing import sign_media_url as _sign
from publisher.media.signing import verify_media_signature as _verify

LABEL = b"lapor-media-url-v1"
ROUTE = "/public-media"
DEFAULT_TTL = timedelta(hours=6)
NAME = re.compile(r"^(?P<sha>[0-9a-f]{64})(?P<suffix>\.[a-z0-9]{2,5})$")


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), LABEL, hashlib.sha256).digest()


def sign_media_url(
    base_url: str,
    secret: str,
    sha256: str,
    suffix: str,
    *,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> str:
    expires_at = (now or utcnow()) + ttl
    return _sign(f"{base_url.rstrip('/')}{ROUTE}", sha256, suffix, _key(secret), expires_at)


def verify_media_signature(
    secrets: Sequence[str], name: str, expires: int, sig: str, *, now: datetime | None = None
) -> bool:
    """True when ``sig`` is valid under any configured key and the URL has not expired."""
    match = NAME.match(name)
    if match is None:
        return False
    sha, suffix = match.group("sha"), match.group("suffix")
    return any(_verify(sha, suffix, expires, sig, _key(s), now=now) for s in secrets)
