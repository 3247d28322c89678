"""The exception tree of lapor-publisher.

Every error we raise on purpose derives from :class:`LaporError`; callers catch the narrowest
class that tells them what to do next::

    LaporError
    ├── ConfigError                 a setting is missing or wrong (names the LAPOR_ variable)
    ├── CryptoError                 a value cannot be decrypted with any configured key
    ├── IntakeError                 a case record cannot be accepted
    │   └── RecordInvalid           one record is malformed: quarantined, the batch goes on
    ├── SourceError                 a case source cannot be read (network, HTTP status, format)
    ├── MediaRejected               a file is not an acceptable photo or video (reason given)
    ├── ReviewError                 a review action is not allowed in the post's current state
    └── PlatformError               a platform call failed; ``permanent`` says whether to retry
        ├── RetryableError          the request provably never took effect: retry with backoff
        ├── RateLimited             the platform asked us to wait until ``retry_at``
        ├── NeedsReconnect          the account's token expired or was revoked: pause the account
        ├── PermanentError          invalid content, permission, policy: a person must act
        └── UnknownOutcome          the request may have reached the platform: reconcile, no re-send

Messages are English (logs, CLI). ``user_message`` carries the Bahasa Indonesia text a person
sees in the UI. No message may contain personal data; pass identifiers such as case ids instead.
"""

from __future__ import annotations

from datetime import datetime


class LaporError(Exception):
    """Base class of every deliberate error."""

    user_message: str = "Terjadi kesalahan. Silakan coba lagi atau hubungi admin."


class ConfigError(LaporError):
    user_message = "Konfigurasi aplikasi belum lengkap. Hubungi admin."


class CryptoError(LaporError):
    user_message = "Data terenkripsi tidak dapat dibuka dengan kunci yang ada."


class IntakeError(LaporError):
    pass


class RecordInvalid(IntakeError):
    """A single record is unusable; ``reason`` is stored in the quarantine."""

    def __init__(self, reason: str, external_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.external_id = external_id


class SourceError(LaporError):
    pass


class MediaRejected(LaporError):
    def __init__(self, reason: str, user_message: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if user_message:
            self.user_message = user_message


class ReviewError(LaporError):
    def __init__(self, message: str, user_message: str | None = None) -> None:
        super().__init__(message)
        if user_message:
            self.user_message = user_message


class PlatformError(LaporError):
    """A failed platform call. ``permanent`` is False only when retrying is safe."""

    permanent: bool = True
    error_class: str = "unknown"

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
    permanent = False
    error_class = "retry"
    user_message = "Platform sedang bermasalah; pengiriman akan dicoba lagi otomatis."


class RateLimited(PlatformError):
    permanent = False
    error_class = "rate_limited"
    user_message = "Batas kiriman platform tercapai; pengiriman dijadwalkan ulang otomatis."

    def __init__(self, message: str, *, retry_at: datetime, **kwargs: str | None) -> None:
        super().__init__(message, **kwargs)
        self.retry_at = retry_at


class NeedsReconnect(PlatformError):
    error_class = "needs_reconnect"
    user_message = (
        "Token akun kedaluwarsa atau dicabut. Admin perlu menyambungkan ulang akun ini; "
        "akun dijeda sampai itu dilakukan."
    )


class PermanentError(PlatformError):
    error_class = "invalid"
    user_message = "Platform menolak kiriman ini. Periksa isi dan media, lalu kirim ulang."


class UnknownOutcome(PlatformError):
    permanent = False
    error_class = "unknown"
    user_message = (
        "Tidak jelas apakah kiriman sudah terbit (koneksi terputus). Sistem akan memeriksa "
        "sebelum mengirim lagi."
    )
