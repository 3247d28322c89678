"""Settings: one pydantic-settings class, every variable prefixed ``LAPOR_``.

Nothing reads the environment at import time: call :func:`get_settings` (cached) or build
``Settings()`` yourself in tests. A missing or invalid value stops start-up with one line that
names the variable (:func:`load_settings_or_exit`).
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_VAR = Path("var")


class SourceConfig(BaseModel):
    """One configured case source (``LAPOR_SOURCES`` is a JSON list of these)."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["json_feed", "open311", "sp4n"] = "json_feed"
    url: str
    token: str | None = None
    interval_minutes: int = Field(default=10, ge=1)
    # --- intake: per-kind options (publisher/intake/sources/*: each module documents its own) ---
    # open311 + sp4n: their codes -> ours. Unmapped agencies fall back to default_agency.
    agency_map: dict[str, str] = Field(default_factory=dict)
    category_map: dict[str, str] = Field(default_factory=dict)
    default_agency: str | None = None
    tracking_prefix: str = ""  # open311: prefix of the public tracking number (default NAME-)
    api_key: str | None = None  # open311
    jurisdiction_id: str | None = None  # open311
    history_days: int = Field(default=365, ge=1)  # open311: how far back the first run walks
    lookback_days: int = Field(default=90, ge=0)  # open311: re-walked each run (late closures)
    field_map: dict[str, str] = Field(default_factory=dict)  # sp4n: our field -> dotted path
    status_map: dict[str, str] = Field(default_factory=dict)  # sp4n: their status -> ours


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LAPOR_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_VAR / 'lapor.db'}",
        description="SQLAlchemy URL. SQLite (WAL) by default; postgresql+psycopg://... for more.",
    )
    media_dir: Path = Field(default=DEFAULT_VAR / "media")
    # Where retrained classifier models are promoted; empty means the committed model is used.
    model_dir: Path = Field(default=DEFAULT_VAR / "model")
    # Unblurred originals: outside anything served, readable only by the app itself.
    private_media_dir: Path = Field(default=DEFAULT_VAR / "private-media")
    # Where the media stores live: the local disk (the two folders above), or an S3-compatible
    # bucket shared by several machines (publisher.media.s3).
    media_store: Literal["local", "s3"] = "local"
    s3_endpoint_url: str = ""  # empty: AWS S3; else MinIO, Ceph, Garage, ... (path-style)
    s3_region: str = "us-east-1"
    s3_bucket: str = ""
    s3_prefix: str = "media/"
    # Unblurred originals: their own bucket (empty: the same one) and prefix, never public.
    s3_private_bucket: str = ""
    s3_private_prefix: str = "private-media/"
    # Empty: boto3's own chain (AWS_* environment, ~/.aws, an instance role).
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    # Files at least this big go up as a multipart upload of parts this big (S3: >= 5 MiB).
    s3_part_size_mb: int = Field(default=8, ge=5, le=5 * 1024)
    # Local copies of objects read from the bucket (PyAV, Pillow and uploads need a file).
    media_cache_dir: Path = Field(default=DEFAULT_VAR / "media-cache")
    media_cache_mb: int = Field(default=2048, ge=1)
    # PICs' resumable (tus) uploads until their follow-up is sent; one folder per user.
    upload_dir: Path = Field(default=DEFAULT_VAR / "uploads")
    # What one PIC's unfinished and unsent uploads may hold on disk, in bytes.
    upload_quota_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    # Uploads not sent with a follow-up within this many hours are removed by `cleanup`.
    upload_max_age_hours: int = Field(default=72, ge=1)
    # How long an admin's grant of a reporter's contact to a PIC lasts, in days.
    contact_grant_days: int = Field(default=7, ge=1)
    # Comma-separated Fernet keys, newest first (MultiFernet): rotation adds a key at the front.
    secret_key: str = Field(
        default="",
        description="Fernet key(s) encrypting reporter fields and credentials at rest.",
    )
    timezone: str = "Asia/Jakarta"
    public_base_url: str = "http://127.0.0.1:8000"
    folder_platform_dir: Path = Field(default=DEFAULT_VAR / "posts")
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"
    sources: list[SourceConfig] = Field(default_factory=list)
    http_timeout_s: float = Field(default=20.0, gt=0)
    # A "sending" delivery older than this is presumed crashed and goes to reconciliation.
    sending_lease_s: int = Field(default=300, ge=30)
    max_delivery_attempts: int = Field(default=8, ge=1)
    # --- operations (issue 10) ----------------------------------------------------------
    # Per-job schedule overrides, JSON: {"publish": "15s", "digest": "cron:0 7 * * *",
    # "retrain": "off"}; units s/m/h. Jobs left out keep jobs/scheduler.py's defaults.
    schedule: dict[str, str] = Field(default_factory=dict)
    # A scheduler that has not renewed its lease for this long is presumed dead: another may
    # take over, and /readyz reports the scheduler as stale.
    scheduler_lease_s: int = Field(default=90, ge=10)
    # Bearer token for /metrics (when set) and for the dashboard until login lands (required).
    ops_token: str = ""
    # Extra holiday / collective-leave files (JSON, see publisher/monitoring/holidays_id.json);
    # they add to the bundled list.
    holiday_files: list[Path] = Field(default_factory=list)
    overdue_working_days: int = Field(default=3, ge=1)
    ranking_min_cases: int = Field(default=5, ge=1)
    # Seconds a dashboard report (per period and agency) is reused before it is recomputed;
    # 0 computes every request afresh.
    dashboard_cache_s: int = Field(default=30, ge=0)
    # Daily digest by Telegram: {"dpupr": ["123456789", "@kadis_dpupr"]} (agency code -> chats).
    digest_recipients: dict[str, list[str]] = Field(default_factory=dict)
    digest_telegram_bot_token: str = ""
    digest_telegram_api_base: str = "https://api.telegram.org"
    # Reviewers' Telegram chats told of new posts in the queue (the digest's bot sends it).
    review_notice_chats: list[str] = Field(default_factory=list)
    backup_dir: Path = Field(default=DEFAULT_VAR / "backups")
    # Where citizens complain, printed on the public pages: the point of publishing is that
    # people know where to go. The app link is empty until the regency publishes one.
    complaint_whatsapp: str = "085600080709"
    complaint_app_url: str = ""
    log_format: Literal["text", "json"] = "text"

    # Instagram announced a cut from 30 hashtags to 5 in late 2025; kept as a setting (posts).
    instagram_hashtag_cap: int = Field(default=5, ge=1, le=30)
    # --- intake: push endpoint and WhatsApp Cloud API (publisher/intake/routes.py) ---
    push_secret: str = ""  # HMAC key(s) of POST /api/v1/cases, comma-separated (rotation)
    push_source: str = "app"  # the source name pushed cases are stored under
    whatsapp_app_secret: str = ""  # signs X-Hub-Signature-256
    whatsapp_verify_token: str = ""  # the hub.verify_token of the webhook handshake
    whatsapp_access_token: str = ""  # bearer token for the Graph API (media, messages)
    whatsapp_phone_number_id: str = ""  # our business number's id: replies are sent from it
    whatsapp_graph_url: str = "https://graph.facebook.com/v21.0"
    # --- public page and reporter notification (issue 11) ------------------------------
    # SP4N-LAPOR!'s public tracking page of a report; {tracking_id} is the case's tracking
    # number from a source of kind "sp4n". Empty: no link is shown.
    sp4n_tracking_url: str = ""
    # Seconds the public page keeps its snapshot and aggregates before refreshing them.
    public_cache_s: int = Field(default=60, ge=1)
    # Reporter notification (publisher/public/notify.py): off until Meta approves the templates.
    notify_enabled: bool = False
    notify_template_published: str = "lapor_tindak_lanjut_terbit"
    notify_template_handled: str = "lapor_tindak_lanjut_selesai"
    notify_template_language: str = "id"
    # Cases published / resolved longer ago than this are not notified (no backlog blast).
    notify_max_age_days: int = Field(default=14, ge=1)
    # A resolved case with nothing published after this many days gets the "handled" message.
    notify_unpublished_after_days: int = Field(default=7, ge=0)
    notify_max_attempts: int = Field(default=6, ge=1)
    # --- alerts to the admins (publisher/outbox/alerts.py, issue 19) ---------------------
    # Telegram: a bot and the admins' chat(s); WhatsApp: the admins' numbers, sent from our
    # business number (LAPOR_WHATSAPP_*) as an approved template. Empty: that channel is off.
    alert_telegram_bot_token: str = ""
    alert_telegram_api_base: str = "https://api.telegram.org"
    alert_telegram_chats: list[str] = Field(default_factory=list)
    alert_whatsapp_numbers: list[str] = Field(default_factory=list)
    alert_whatsapp_template: str = "lapor_peringatan_admin"
    # A source or job is "failing" after this many failed runs in a row.
    alert_failures_in_a_row: int = Field(default=3, ge=1)
    # A token that cannot renew itself is announced this many days before it expires.
    alert_token_days: int = Field(default=7, ge=1)
    alert_max_attempts: int = Field(default=6, ge=1)
    # --- connecting accounts by logging in (issue 19; docs/deploy.md) -------------------
    # The app registered at X (OAuth 2.0, PKCE) and at Meta (Facebook Login). The callbacks
    # are {public_base_url}/admin/accounts/oauth/x/callback and .../meta/callback.
    x_client_id: str = ""
    x_client_secret: str = ""  # empty for a public client (PKCE only)
    x_authorize_url: str = "https://x.com/i/oauth2/authorize"
    x_api_base: str = "https://api.x.com"
    meta_app_id: str = ""
    meta_app_secret: str = ""
    meta_dialog_url: str = "https://www.facebook.com/v21.0/dialog/oauth"
    meta_graph_url: str = "https://graph.facebook.com/v21.0"
    meta_video_url: str = ""  # the video host; empty: graph-video beside the Graph host
    telegram_api_base: str = "https://api.telegram.org"  # Telegram accounts connected here

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("secret_key")
    @classmethod
    def _valid_fernet_keys(cls, value: str) -> str:
        from cryptography.fernet import Fernet

        for key in [k.strip() for k in value.split(",") if k.strip()]:
            try:
                Fernet(key.encode())
            except (ValueError, TypeError) as exc:
                raise ValueError(
                    "each key must be 32 url-safe base64-encoded bytes "
                    "(make one with `lapor keys new`)"
                ) from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def secret_keys(self) -> list[str]:
        return [k.strip() for k in self.secret_key.split(",") if k.strip()]


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming the first bad variable, as an operator would type it."""
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else "?"
    return f"invalid setting LAPOR_{field.upper()}: {err['msg']}"


def load_settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        print(describe_validation_error(exc), file=sys.stderr)
        raise SystemExit(2) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
