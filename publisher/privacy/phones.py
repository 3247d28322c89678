"""Phone numbers, never stored in clear: normalised to E.164 digits and looked up by a keyed hash.

``users.phone_lookup`` and ``whatsapp_opt_outs`` hold :func:`phone_lookup`, an HMAC-SHA256 of the
digits under a key derived from ``LAPOR_SECRET_KEY``; every configured key is tried
(:func:`phone_lookups`), so key rotation keeps look-ups working.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence


def normalise_phone(number: str) -> str:
    """E.164 digits without '+', Indonesian local forms included: 0812... -> 62812..."""
    digits = re.sub(r"\D", "", number)
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8") and 9 <= len(digits) <= 12:
        digits = "62" + digits
    return digits


def _lookup_key(secret_key: str) -> bytes:
    return hashlib.sha256(b"lapor-publisher/phone-lookup/v1\0" + secret_key.encode()).digest()


def phone_lookup(secret_keys: Sequence[str], number: str) -> str:
    """The keyed hash stored in ``users.phone_lookup`` (under the newest key)."""
    return phone_lookups(secret_keys, number)[0]


def phone_lookups(secret_keys: Sequence[str], number: str) -> list[str]:
    digits = normalise_phone(number).encode()
    return [hmac.new(_lookup_key(k), digits, hashlib.sha256).hexdigest() for k in secret_keys]
