"""The exception tree of lapor-publisher.

Every error we raise on purpose derives from :class:`LaporError`; callers catch the narrowest
class that tells them what to do next. Classes defined outside this module are drawn with
their module (``tests/test_exception_tree.py`` checks that this drawing is true)::

    LaporError
    ├── ConfigError                 a setting is missing or wrong (names the LAPOR_ variable)
    ├── CryptoError                 a value cannot be decrypted with any configured key
    ├── SigningError                a signed media URL cannot be made (also a ValueError)
    ├── IntakeError                 a case record cannot be accepted
    │   ├── RecordInvalid           one record is malformed: quarantined, the batch goes on
    │   └── UnsafeJson              JSON too deep, or with a lone surrogate (also a ValueError)
    ├── SourceError                 a case source cannot be read (network, HTTP status, format)
    ├── DownloadFailed              a media file could not be fetched this time: try later
    ├── MediaRejected               a file is not an acceptable photo or video (reason given)
    ├── MediaStoreError             the media store refused a request (credentials, bucket)
    │   ├── MediaMissing            permanent: no file under that hash in the store
    │   └── MediaStoreUnavailable   transient: the store answered 5xx or not at all: try later
    ├── PrivacyError                the personal-data tools were used wrongly
    │   ├── RedactionError          findings handed to ``redact`` do not fit the text
    │   └── RedactInputError        a line of a ``redact`` JSONL input is not valid
    ├── ReviewError                 a review action is not allowed in the post's current state
    ├── TemplateRejected            publisher.posts.captions: a caption template is refused
    ├── OverrideRejected            publisher.posts.overrides: a template override is refused
    ├── PreviewError                publisher.posts.preview: a preview cannot be made
    ├── OpsError                    publisher.ops: an operation cannot proceed
    │   └── BackupError             publisher.ops: a backup cannot be written or restored
    ├── WebError                    publisher.web.auth: a request is answered with ``status``
    │   ├── NotAuthenticated        401
    │   ├── Forbidden               403
    │   ├── NotFound                404
    │   ├── Conflict                409
    │   ├── BadInput                400
    │   ├── TooManyAttempts         429
    │   └── PayloadTooLarge         413: a body over its route's cap, refused while streaming
    ├── ConnectFailed               publisher.platforms.connect: an account cannot be connected
    ├── LeaseLost                   a claim on an outbound message was taken over: not sent
    └── PlatformError               an outbound call failed (a platform, WhatsApp, Telegram)
        ├── RetryableError          retry: the request provably never took effect
        ├── RateLimited             wait: the other side asked us to wait until ``retry_at``
        ├── NeedsReconnect          reconnect: the token expired or was revoked
        │   ├── PermissionDenied    publisher.platforms.errors: the token lacks a permission
        │   └── UnknownPlatform     publisher.platforms.registry: no adapter for the account
        ├── PermanentError          permanent: refused as is (content, number): a person acts
        │   └── PolicyBlocked       publisher.platforms.errors: blocked by the platform's policy
        └── UnknownOutcome          unknown: it may have taken effect: reconcile, never re-send
            └── DuplicateContent    publisher.platforms.errors: "already posted": look for it

A send failure is a :class:`PlatformError`; its ``outcome`` is one word of :data:`OUTCOMES`
(what the sender does next) and its ``reason`` the finer word stored as
``deliveries.last_error_class`` and shown to people (``rate_limited``, ``permission``, ...).
The classes, their outcomes and the classification table of
:mod:`publisher.platforms.errors` are one vocabulary.

Messages are English (logs, CLI). ``user_message`` carries the Bahasa Indonesia text a person
sees in the UI. No message may contain personal data; pass identifiers such as case ids instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

Outcome = Literal["retry", "wait", "reconnect", "permanent", "unknown"]
OUTCOMES: tuple[Outcome, ...] = ("retry", "wait", "reconnect", "permanent", "unknown")


class LaporError(Exception):
    """Base class of every deliberate error. ``field`` names the form field a person should
    fix ("" when it is the whole form): pages show the message next to it and keep the input."""

    user_message: str = "Terjadi kesalahan. Silakan coba lagi atau hubungi admin."
    field: str = ""


class ConfigError(LaporError):
    user_message = "Konfigurasi aplikasi belum lengkap. Hubungi admin."


class CryptoError(LaporError):
    user_message = "Data terenkripsi tidak dapat dibuka dengan kunci yang ada."


class SigningError(LaporError, ValueError):
    """The arguments cannot produce a valid URL (bad hash, suffix, secret or expiry)."""


class IntakeError(LaporError):
    pass


class RecordInvalid(IntakeError):
    """A single record is unusable; ``reason`` is stored in the quarantine."""

    def __init__(self, reason: str, external_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.external_id = external_id


class UnsafeJson(IntakeError, ValueError):
    """JSON from outside nests too deeply or holds a string no database takes."""


class SourceError(LaporError):
    pass


class DownloadFailed(LaporError):
    """Transient: the file could not be fetched this time."""


class MediaRejected(LaporError):
    def __init__(self, reason: str, user_message: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if user_message:
            self.user_message = user_message


class MediaStoreError(LaporError):
    """The media store refused a request as made (wrong credentials, no such bucket): a
    person fixes the configuration; trying again the same way does not help."""

    user_message = "Penyimpanan media menolak permintaan. Hubungi admin."


class MediaMissing(MediaStoreError):
    """Permanent: the content-addressed store holds nothing under that hash and suffix."""

    user_message = "Media tidak ditemukan."


class MediaStoreUnavailable(MediaStoreError):
    """Transient: the store answered 5xx, timed out or could not be reached: try later."""

    user_message = "Penyimpanan media sedang tidak dapat dihubungi; coba lagi sebentar lagi."


class PrivacyError(LaporError):
    """Base class of the errors raised by ``publisher.privacy``."""


class RedactionError(PrivacyError):
    """Findings that cannot be applied to the text they are said to come from."""


class RedactInputError(PrivacyError):
    """A line of the ``redact`` JSONL input that cannot be processed."""


class ReviewError(LaporError):
    def __init__(self, message: str, user_message: str | None = None, *, field: str = "") -> None:
        super().__init__(message)
        if user_message:
            self.user_message = user_message
        self.field = field


class PlatformError(LaporError):
    """A failed outbound call: ``outcome`` says what the sender does next, ``reason`` why."""

    outcome: ClassVar[Outcome] = "permanent"
    reason: ClassVar[str] = "invalid"

    def __init__(
        self,
        message: str,
        *,
        user_message: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        if user_message:
            self.user_message = user_message


class RetryableError(PlatformError):
    outcome = "retry"
    reason = "retry"
    user_message = "Platform sedang bermasalah; pengiriman akan dicoba lagi otomatis."


class RateLimited(PlatformError):
    outcome = "wait"
    reason = "rate_limited"
    user_message = "Batas kiriman platform tercapai; pengiriman dijadwalkan ulang otomatis."

    def __init__(self, message: str, *, retry_at: datetime, **kwargs: str | None) -> None:
        super().__init__(message, **kwargs)
        self.retry_at = retry_at


class NeedsReconnect(PlatformError):
    outcome = "reconnect"
    # The account's status word too (``social_accounts.status``).
    reason = "needs_reconnect"
    user_message = (
        "Token akun kedaluwarsa atau dicabut. Admin perlu menyambungkan ulang akun ini; "
        "akun dijeda sampai itu dilakukan."
    )


class PermanentError(PlatformError):
    outcome = "permanent"
    reason = "invalid"
    user_message = "Platform menolak kiriman ini. Periksa isi dan media, lalu kirim ulang."


class UnknownOutcome(PlatformError):
    outcome = "unknown"
    reason = "unknown"
    user_message = (
        "Tidak jelas apakah kiriman sudah terbit (koneksi terputus). Sistem akan memeriksa "
        "sebelum mengirim lagi."
    )


class LeaseLost(LaporError):
    """A worker's claim on an outbound message was taken over (reconciled); nothing is sent."""
