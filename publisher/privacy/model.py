"""Value types shared by the personal-data detector, redaction and the logging filter.

Errors (a branch of the tree in :mod:`publisher.core.errors`, re-exported here):

* ``PrivacyError`` - base class of everything this package raises on purpose.
  * ``RedactionError`` - findings handed to :func:`redact` do not fit the text
    (out of range, overlapping, or their recorded text differs from the text).
  * ``RedactInputError`` - a line of a ``redact`` JSONL input is not valid (the message names
    the line number and the problem, never the line's content).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from publisher.core.errors import PrivacyError as PrivacyError
from publisher.core.errors import RedactInputError as RedactInputError
from publisher.core.errors import RedactionError as RedactionError

KINDS: Final[tuple[str, ...]] = (
    "nik",
    "kk",
    "phone",
    "email",
    "address",
    "rt_rw",
    "house_number",
    "plate",
    "bank_account",
    "name",
)

# Tags stay readable in a caption or a log line, and say what kind of thing was removed
# without saying anything about it.
REDACTION_TAGS: Final = MappingProxyType(
    {
        "nik": "[NIK disamarkan]",
        "kk": "[nomor KK disamarkan]",
        "phone": "[nomor telepon disamarkan]",
        "email": "[email disamarkan]",
        "address": "[alamat disamarkan]",
        "rt_rw": "[RT/RW disamarkan]",
        "house_number": "[nomor rumah disamarkan]",
        "plate": "[nomor kendaraan disamarkan]",
        "bank_account": "[nomor rekening disamarkan]",
        "name": "[nama disamarkan]",
    }
)


@dataclass(frozen=True, slots=True)
class KnownIdentities:
    """Identities held on the case record (reporter, party complained about, ...)."""

    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    niks: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    plates: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (
            self.names or self.phones or self.niks or self.addresses or self.emails or self.plates
        )


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data at ``text[start:end]``.

    ``text`` is the matched personal data itself: keep it inside the encrypted case record and
    the audit history, never in a log line, an error message or a rendered post.
    """

    kind: str
    start: int
    end: int
    text: str = field(repr=False)

    def __repr__(self) -> str:
        # The default repr would print the personal data into any log that formats a Finding.
        return f"Finding(kind={self.kind!r}, start={self.start}, end={self.end})"


@dataclass(frozen=True, slots=True)
class RedactionResult:
    """A redacted text and the findings that were replaced by tags."""

    text: str
    removed: list[Finding]
