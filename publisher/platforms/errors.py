"""Platform error meanings as data, shared by every adapter.

Each adapter declares a tuple of :class:`ErrorRule` rows; :func:`classify` finds the first row
matching an HTTP status, the platform's own error code and subcode and a fragment of its
message, and turns it into one exception of :mod:`publisher.core.errors`. A row names a
*reason*, a key of :data:`REASONS`; each reason is one exception class, whose ``outcome`` is one
of the five words of the transport error model (:data:`publisher.core.errors.OUTCOMES`)::

    reason           class              outcome    what happens
    retry            RetryableError     retry      provably not taken effect: retry with backoff
    rate_limited     RateLimited        wait       retry at the time it gave (or a default)
    needs_reconnect  NeedsReconnect     reconnect  token expired or revoked: pause the account
    permission       PermissionDenied   reconnect  the token lacks a permission or role: pause
    invalid          PermanentError     permanent  the content is refused: a person edits it
    policy           PolicyBlocked      permanent  blocked for policy reasons: a person decides
    duplicate        DuplicateContent   unknown    already there: reconcile, never re-send
    unknown          UnknownOutcome     unknown    may have taken effect: reconcile, no re-send

One more word is allowed in a row: ``server``, a server-side failure, which is ``retry`` for
calls without a visible effect (uploads, containers, reads) and ``unknown`` for the call that
publishes. The reason is what ``deliveries.last_error_class`` stores.

Every rule carries the Bahasa Indonesia message that tells an admin what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from publisher.core.clock import utcnow
from publisher.core.errors import (
    NeedsReconnect,
    PermanentError,
    PlatformError,
    RateLimited,
    RetryableError,
    UnknownOutcome,
)


class PermissionDenied(NeedsReconnect):
    reason = "permission"
    user_message = (
        "Akun tidak punya izin untuk memposting (peran atau izin aplikasi dicabut). Admin perlu "
        "memberi izin lagi lalu melanjutkan akun; akun dijeda sampai itu dilakukan."
    )


class PolicyBlocked(PermanentError):
    reason = "policy"
    user_message = (
        "Platform memblokir kiriman ini karena kebijakannya. Periksa isi kiriman dan "
        "status akun di platform sebelum mengirim ulang."
    )


class DuplicateContent(UnknownOutcome):
    reason = "duplicate"
    user_message = (
        "Platform menyebut isi yang sama sudah pernah terbit. Sistem mencari kiriman itu di "
        "akun sebelum memutuskan; tidak dikirim ulang."
    )


# Keyed by each class's own ``reason``, so the table and the classes cannot disagree.
REASONS: dict[str, type[PlatformError]] = {
    cls.reason: cls
    for cls in (
        RetryableError,
        RateLimited,
        NeedsReconnect,
        PermissionDenied,
        PermanentError,
        PolicyBlocked,
        DuplicateContent,
        UnknownOutcome,
    )
}

DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)


@dataclass(frozen=True)
class ErrorRule:
    """One row of an adapter's error table. ``None`` / ``""`` match anything."""

    reason: str
    message: str
    status: int | None = None
    code: int | None = None
    subcode: int | None = None
    fragment: str = ""

    def matches(self, status: int, code: int | None, subcode: int | None, text: str) -> bool:
        return (
            (self.status is None or self.status == status)
            and (self.code is None or self.code == code)
            and (self.subcode is None or self.subcode == subcode)
            and self.fragment.lower() in text.lower()
        )


@dataclass(frozen=True)
class ApiFailure:
    """What an adapter extracted from one failed response."""

    platform: str
    status: int
    code: int | None = None
    subcode: int | None = None
    text: str = ""
    retry_at: datetime | None = None


FALLBACK_MESSAGES = {
    "server": "Platform sedang bermasalah; sistem akan mencoba lagi atau memeriksa statusnya.",
    "invalid": "Platform menolak kiriman ini. Periksa isi dan media, lalu kirim ulang.",
}


def classify(
    rules: tuple[ErrorRule, ...], failure: ApiFailure, *, effectful: bool
) -> PlatformError:
    """The exception for ``failure`` per ``rules``; unmatched 5xx are server errors, the rest
    invalid. ``effectful`` says whether the failed call is the one that makes a post visible."""
    rule = next(
        (
            r
            for r in rules
            if r.matches(failure.status, failure.code, failure.subcode, failure.text)
        ),
        None,
    )
    if rule is None:
        reason = "server" if failure.status >= 500 else "invalid"
        rule = ErrorRule(reason, FALLBACK_MESSAGES[reason])
    reason = rule.reason
    if reason == "server":
        reason = "unknown" if effectful else "retry"
    code = f"{failure.code}" if failure.code is not None else str(failure.status)
    detail = f"{failure.platform} HTTP {failure.status} code {code}"
    if failure.subcode is not None:
        detail += f"/{failure.subcode}"
    # Platform texts are about our request, never about a person, but keep them short.
    detail += f": {failure.text[:200]}"
    if reason == RateLimited.reason:
        retry_at = failure.retry_at or utcnow() + DEFAULT_RATE_LIMIT_WAIT
        return RateLimited(detail, retry_at=retry_at, user_message=rule.message, code=code)
    return REASONS[reason](detail, user_message=rule.message, code=code)
