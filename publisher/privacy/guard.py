"""Where the detector meets the rest of the product: the case's known identities, scrubbing
text before it enters a caption, and the check that no post with personal data is approved or
published.

A reviewer can mark a finding as a false positive with a reason; it is stored on the post as
its kind and a hash of the matched text (never the text), so the same words no longer block.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from publisher.core.crypto import Vault
from publisher.db.models import Case
from publisher.privacy.detector import PersonalDataDetector
from publisher.privacy.model import Finding, KnownIdentities
from publisher.privacy.redaction import redact


@cache
def default_detector(public_phones: tuple[str, ...] = ()) -> PersonalDataDetector:
    """One detector per allow-list, built on first use (it compiles its patterns once)."""
    return PersonalDataDetector(public_phone_allowlist=public_phones)


def _strings(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in values if isinstance(v, str | int) and str(v).strip())


def case_identities(case: Case, vault: Vault) -> KnownIdentities:
    """Everything the case record knows about the reporter and the party complained about."""
    people: list[dict[str, Any]] = []
    for token in (case.reporter, case.reported_party):
        if token:
            value = vault.decrypt_json(token)
            if isinstance(value, dict):
                people.append(value)
            elif isinstance(value, list):
                people.extend(v for v in value if isinstance(v, dict))

    def field(*keys: str) -> tuple[str, ...]:
        return _strings(p.get(k) for p in people for k in keys)

    return KnownIdentities(
        names=field("name"),
        phones=field("phone", "whatsapp"),
        niks=field("nik", "kk"),
        addresses=field("address"),
        emails=field("email"),
        plates=field("plate"),
    )


def scrub(text: str, known: KnownIdentities | None, public_phones: Sequence[str] = ()) -> str:
    detector = default_detector(tuple(public_phones))
    return redact(text, detector.detect(text, known)).text


def finding_key(kind: str, matched: str) -> str:
    return hashlib.sha256(f"{kind}\x00{matched.casefold()}".encode()).hexdigest()


def unresolved_findings(
    text: str,
    known: KnownIdentities | None,
    allowed: Sequence[dict[str, Any]] = (),
    public_phones: Sequence[str] = (),
) -> list[Finding]:
    """Findings in ``text`` that no reviewer has marked a false positive."""
    keys = {str(a.get("key")) for a in allowed}
    detector = default_detector(tuple(public_phones))
    return [f for f in detector.detect(text, known) if finding_key(f.kind, f.text) not in keys]


def describe(findings: Sequence[Finding]) -> str:
    """Kinds and offsets only: safe for logs and error messages."""
    return ", ".join(f"{f.kind}@{f.start}-{f.end}" for f in findings)


# Every tag of every scrubber: the detector's (REDACTION_TAGS), the caption's "[nomor
# disamarkan]", intake's "[email disamarkan]", and any added later in the same form.
_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{0,40}\bdisamarkan\]", re.IGNORECASE)


def placeholders_in(text: str) -> list[str]:
    """The redaction tags left in ``text`` (``[nama disamarkan]``, ...). A sentence that had to be
    scrubbed reads wrong in public and tells that someone was named: it is rewritten, never
    published with the tag."""
    return _PLACEHOLDER.findall(text)
