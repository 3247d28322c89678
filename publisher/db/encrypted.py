"""Free text that can hold identities, encrypted at rest (issue #16).

Complaint texts, PICs' notes and reviewers' notes name reporters, neighbours and phone numbers
the way people write them, so the database, its backups and anything that reads its files hold
them only as Fernet tokens (the :class:`~publisher.core.crypto.Vault` of ``LAPOR_SECRET_KEY``).

:class:`EncryptedText` is a column type: every reader keeps reading ``case.complaint_text`` as a
``str``. The vault is bound to an engine's dialect by :func:`bind_vault` (``AppContext`` does it
when it builds the engine), because a type's hooks receive only the dialect; an engine without
a vault refuses to read or write these columns rather than store plaintext.

The empty string is stored as itself: that a note is empty says nothing about anyone, and the
columns' server defaults stay valid. Fernet tokens are ASCII, so the columns stay ``TEXT`` and
searching them in SQL is impossible by design: filter in Python after loading.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from publisher.core.crypto import Vault
from publisher.core.errors import ConfigError

_VAULTS: WeakKeyDictionary[Dialect, Vault] = WeakKeyDictionary()


def bind_vault(engine: Engine, vault: Vault) -> None:
    """Let ``engine`` (and every engine sharing its dialect) read and write encrypted text."""
    _VAULTS[engine.dialect] = vault


def vault_for(dialect: Dialect) -> Vault | None:
    return _VAULTS.get(dialect)


def _vault(dialect: Dialect) -> Vault:
    vault = _VAULTS.get(dialect)
    if vault is None:
        raise ConfigError(
            "this database engine has no key for encrypted texts: build it with "
            "AppContext.from_settings (LAPOR_SECRET_KEY) or call publisher.db.encrypted.bind_vault"
        )
    return vault


class EncryptedText(TypeDecorator[str]):
    """``str`` in Python, a Fernet token (ASCII) in the database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return _vault(dialect).encrypt(value).decode("ascii")

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value == "":
            return ""
        return _vault(dialect).decrypt(str(value).encode("ascii"))
