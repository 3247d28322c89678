"""Encryption of secrets at rest: reporter fields, platform credentials, quarantined payloads.

One :class:`Vault` wraps a MultiFernet built from ``LAPOR_SECRET_KEY`` (comma-separated keys,
newest first). Rotating means putting a new key first and running ``lapor keys rotate``, which
re-encrypts every stored value with it; old keys can then be dropped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import cast

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from publisher.core.errors import ConfigError, CryptoError

JSONValue = str | int | float | bool | None | list["JSONValue"] | dict[str, "JSONValue"]


def new_key() -> str:
    return Fernet.generate_key().decode()


class Vault:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ConfigError(
                "LAPOR_SECRET_KEY is not set: generate one with `lapor keys new` and export it"
            )
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise CryptoError("value cannot be decrypted with the configured keys") from None

    def encrypt_json(self, value: JSONValue) -> bytes:
        return self.encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def decrypt_json(self, token: bytes) -> JSONValue:
        return cast(JSONValue, json.loads(self.decrypt(token)))

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt ``token`` with the newest key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise CryptoError("value cannot be decrypted with the configured keys") from None
