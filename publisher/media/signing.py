"""Signed, expiring URLs for renditions (Instagram and the review UI fetch media by URL).

``sign_media_url`` appends ``?expires=<unix seconds>&sig=<hex>`` where ``sig`` is
HMAC-SHA256 over ``"<sha256><suffix>\\n<expires>"`` with the server's secret. The path names
only the content hash, never a case or a person. ``verify_media_signature`` checks the hash
format, the suffix allow-list, the expiry and the signature in constant time; it returns a bool
and never raises on hostile input, so the web handler can answer 403 for every ``False``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from urllib.parse import parse_qs, urlsplit

from publisher.core.errors import SigningError as SigningError

SERVED_SUFFIXES = frozenset({".jpg", ".mp4"})
MAX_LIFETIME = dt.timedelta(days=7)
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _mac(sha256: str, suffix: str, expires: int, secret: bytes) -> str:
    message = f"{sha256}{suffix}\n{expires}".encode("ascii")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign_media_url(
    base_url: str, sha256: str, suffix: str, secret: bytes, expires_at: dt.datetime
) -> str:
    """``{base_url}/{sha256}{suffix}?expires=..&sig=..``; ``expires_at`` must be aware."""
    if not _SHA256.fullmatch(sha256):
        raise SigningError("sha256 must be 64 lowercase hex digits")
    if suffix not in SERVED_SUFFIXES:
        raise SigningError(f"suffix {suffix!r} is not served")
    if len(secret) < 32:
        raise SigningError("the signing secret must be at least 32 bytes")
    if expires_at.tzinfo is None:
        raise SigningError("expires_at must be timezone-aware")
    expires = int(expires_at.timestamp())
    signature = _mac(sha256, suffix, expires, secret)
    return f"{base_url.rstrip('/')}/{sha256}{suffix}?expires={expires}&sig={signature}"


def verify_media_signature(
    sha256: str,
    suffix: str,
    expires: str | int,
    signature: str,
    secret: bytes,
    *,
    now: dt.datetime | None = None,
    max_lifetime: dt.timedelta = MAX_LIFETIME,
) -> bool:
    """True when the signature is ours, unexpired and not valid absurdly far into the future."""
    try:
        expires_s = int(expires)
    except (TypeError, ValueError):
        return False
    if not _SHA256.fullmatch(sha256) or suffix not in SERVED_SUFFIXES:
        return False
    if not isinstance(signature, str) or not re.fullmatch(r"[0-9a-f]{64}", signature):
        return False
    current = (now or dt.datetime.now(dt.UTC)).timestamp()
    if not current <= expires_s <= current + max_lifetime.total_seconds():
        return False
    return hmac.compare_digest(_mac(sha256, suffix, expires_s, secret), signature)


def verify_media_url(url: str, secret: bytes, *, now: dt.datetime | None = None) -> bool:
    """Convenience for a full URL as produced by :func:`sign_media_url`."""
    parts = urlsplit(url)
    name = parts.path.rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    if not dot:
        return False
    query = parse_qs(parts.query)
    return verify_media_signature(
        stem,
        f".{ext}",
        (query.get("expires") or [""])[0],
        (query.get("sig") or [""])[0],
        secret,
        now=now,
    )
