"""Personal-data protection: detect, redact, and keep personal data out of logs.

Public API::

    from publisher.privacy import (
        KnownIdentities, Finding, PersonalDataDetector, redact, RedactionResult,
        PersonalDataFilter, REDACTION_TAGS, cli_redact,
        PrivacyError, RedactionError, RedactInputError,
    )

Errors: ``PrivacyError`` > ``RedactionError`` (findings do not fit the text),
``RedactInputError`` (invalid line in a ``redact`` JSONL input). See docs/privacy.md.
"""

from publisher.privacy.cli import cli_redact
from publisher.privacy.detector import PersonalDataDetector
from publisher.privacy.logfilter import PersonalDataFilter
from publisher.privacy.model import (
    KINDS,
    REDACTION_TAGS,
    Finding,
    KnownIdentities,
    PrivacyError,
    RedactInputError,
    RedactionError,
    RedactionResult,
)
from publisher.privacy.redaction import redact

__all__ = [
    "KINDS",
    "REDACTION_TAGS",
    "Finding",
    "KnownIdentities",
    "PersonalDataDetector",
    "PersonalDataFilter",
    "PrivacyError",
    "RedactInputError",
    "RedactionError",
    "RedactionResult",
    "cli_redact",
    "redact",
]
