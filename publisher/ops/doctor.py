"""``lapor doctor``: checks a deployment and says what to fix, one line per check.

The checks are a table (:data:`CHECKS`) of functions taking the :class:`Probe` (settings plus,
once the database answers, a context); each returns a :class:`Result` with a status, what it
found and, when something is wrong, the command or setting that fixes it. ``info`` results
(a scheduler not running right now) never turn the verdict red; ``warn`` and ``fail`` do.

Nothing here creates state: a missing SQLite file is reported, not created (connecting would
create an empty one), and platform checks are dry calls (Telegram ``getMe``), never posts.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from publisher.core.errors import ConfigError, LaporError, MediaStoreError
from publisher.core.settings import Settings, describe_validation_error
from publisher.db.models import SocialAccount
from publisher.runtime.context import AppContext

Status = Literal["ok", "info", "warn", "fail"]
DEMO_ROOT = Path("var/demo")


@dataclass(frozen=True)
class Result:
    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass
class Probe:
    settings: Settings | None
    ctx: AppContext | None = None
    database_ok: bool = False
    schema_ok: bool = False
    notes: dict[str, str] = field(default_factory=dict)


def demo_settings(root: Path = DEMO_ROOT) -> Settings:
    """The settings ``make demo`` used (its key is in ``var/demo/secret.key``)."""
    key_file = root / "secret.key"
    key = key_file.read_text().strip() if key_file.is_file() else ""
    return Settings(
        database_url=f"sqlite:///{root / 'lapor.db'}",
        media_dir=root / "media",
        folder_platform_dir=root / "posts",
        secret_key=key,
    )


def check_settings(probe: Probe) -> Result:
    s = probe.settings
    if s is None:
        return Result(
            "settings",
            "fail",
            probe.notes.get("settings", "settings are invalid"),
            "fix the variable named above (see README, Configuration)",
        )
    if not s.secret_keys:
        return Result(
            "settings",
            "fail",
            "LAPOR_SECRET_KEY is not set",
            "make one with `lapor keys new` and keep it safe",
        )
    return Result("settings", "ok", f"time zone {s.timezone}, {len(s.secret_keys)} key(s)")


def check_database(probe: Probe) -> Result:
    s = probe.settings
    if s is None or not s.secret_keys:
        return Result("database", "fail", "not checked: settings are incomplete")
    url = make_url(s.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_file():
            return Result(
                "database",
                "fail",
                f"SQLite file {path} does not exist",
                "run `lapor db upgrade && lapor seed` (for the demo: `make demo`), "
                "or point LAPOR_DATABASE_URL at the right file",
            )
    try:
        probe.ctx = AppContext.from_settings(s, worker_id="doctor")
        with probe.ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (LaporError, Exception) as exc:  # any driver error is the finding itself
        return Result(
            "database",
            "fail",
            f"cannot connect: {type(exc).__name__}",
            "check LAPOR_DATABASE_URL and that the server is running",
        )
    probe.database_ok = True
    return Result("database", "ok", f"{url.get_backend_name()} answers")


def check_migrations(probe: Probe) -> Result:
    if not probe.database_ok or probe.ctx is None:
        return Result("migrations", "fail", "not checked: no database")
    from publisher.db import migrate

    current, head = migrate.current_revision(probe.ctx.engine), migrate.head_revision()
    if current != head:
        return Result(
            "migrations",
            "fail",
            f"database at {current}, code expects {head}",
            "run `lapor db upgrade`",
        )
    probe.schema_ok = True
    return Result("migrations", "ok", f"at {head}")


def check_reference_data(probe: Probe) -> Result:
    if not probe.database_ok or probe.ctx is None:
        return Result("reference data", "fail", "not checked: no database")
    from publisher.db.models import Agency

    try:
        with probe.ctx.readonly_sessions() as session:
            agencies = session.scalar(select(func.count()).select_from(Agency)) or 0
    except Exception as exc:
        return Result(
            "reference data", "fail", f"cannot read: {type(exc).__name__}", "run `lapor db upgrade`"
        )
    if not agencies:
        return Result("reference data", "fail", "no agencies", "run `lapor seed`")
    return Result("reference data", "ok", f"{agencies} agencies")


def check_secret_key(probe: Probe) -> Result:
    if not probe.schema_ok or probe.ctx is None:
        return Result("secret key", "fail", "not checked: database missing or not migrated")
    from publisher.db.models import Case

    with probe.ctx.readonly_sessions() as session:
        token = session.scalar(
            select(SocialAccount.credentials).where(SocialAccount.credentials.is_not(None))
        ) or session.scalar(select(Case.reporter).where(Case.reporter.is_not(None)))
    if token is None:
        return Result("secret key", "ok", "nothing encrypted yet")
    try:
        probe.ctx.vault.decrypt_json(token)
    except LaporError:
        return Result(
            "secret key",
            "fail",
            "LAPOR_SECRET_KEY does not decrypt stored data",
            "set the key this database was written with (older keys go after it)",
        )
    return Result("secret key", "ok", "decrypts stored data")


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=".doctor-")
        os.close(fd)
        os.unlink(name)
    except OSError:
        return False
    return True


def check_media(probe: Probe) -> Result:
    s = probe.settings
    if s is None:
        return Result("media store", "fail", "not checked: settings are invalid")
    if s.media_store == "s3":
        return _check_bucket(probe)
    if not _writable(s.media_dir):
        return Result(
            "media store",
            "fail",
            f"{s.media_dir} is not writable",
            "create it and give the service user write access, or set LAPOR_MEDIA_DIR",
        )
    if probe.schema_ok and probe.ctx is not None:
        from publisher.db.models import Media

        with probe.ctx.readonly_sessions() as session:
            hashes = session.scalars(
                select(Media.sha256)
                .where(Media.state == "ok", Media.sha256 != "")
                .order_by(Media.id.desc())
                .limit(1000)
            ).all()
        missing = [h for h in hashes if not any((s.media_dir / h[:2] / h[2:4]).glob(f"{h}*"))]
        if missing:
            return Result(
                "media store",
                "fail",
                f"{len(missing)} of the last {len(hashes)} media files are missing",
                "restore the media folder from a backup (`lapor restore`)",
            )
        return Result("media store", "ok", f"{s.media_dir} writable, {len(hashes)} files checked")
    return Result("media store", "ok", f"{s.media_dir} writable")


def _check_bucket(probe: Probe) -> Result:
    """The S3-compatible store: the cache folder writable, the latest files in the bucket."""
    s = probe.settings
    assert s is not None
    if not s.s3_bucket:
        return Result(
            "media store", "fail", "LAPOR_MEDIA_STORE=s3 without a bucket", "set LAPOR_S3_BUCKET"
        )
    where = f"s3 bucket {s.s3_bucket!r} prefix {s.s3_prefix!r}"
    if not _writable(s.media_cache_dir):
        return Result(
            "media store",
            "fail",
            f"{s.media_cache_dir} is not writable",
            "create it and give the service user write access, or set LAPOR_MEDIA_CACHE_DIR",
        )
    if not (probe.schema_ok and probe.ctx is not None):
        return Result("media store", "ok", f"{where}: not checked without a database")
    from publisher.db.models import Media

    with probe.ctx.readonly_sessions() as session:
        rows = session.execute(
            select(Media.sha256, Media.kind)
            .where(Media.state == "ok", Media.sha256 != "")
            .order_by(Media.id.desc())
            .limit(100)  # one request each: the latest are enough to show the bucket is right
        ).all()
    try:
        missing = [
            sha
            for sha, kind in rows
            if not probe.ctx.media.exists(sha, ".mp4" if kind == "video" else ".jpg")
        ]
    except MediaStoreError as exc:
        return Result(
            "media store",
            "fail",
            f"{where}: {exc}",
            "check LAPOR_S3_ENDPOINT_URL, LAPOR_S3_BUCKET and the access key (docs/deploy.md)",
        )
    if missing:
        return Result(
            "media store",
            "fail",
            f"{where}: {len(missing)} of the last {len(rows)} media files are missing",
            "copy the media into the bucket (docs/deploy.md: aws s3 sync)",
        )
    return Result("media store", "ok", f"{where}: {len(rows)} files checked")


def check_model(probe: Probe) -> Result:
    from classifiers import ModelError, load_model

    try:
        model = load_model()
    except ModelError as exc:
        return Result(
            "conflict model",
            "warn",
            f"{type(exc).__name__}: every case goes to manual review",
            "restore the model artefact (classifiers/artifacts/)",
        )
    return Result("conflict model", "ok", f"version {model.version}")


FONT_CANDIDATES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LiberationSans-Regular.ttf")


def check_fonts(probe: Probe) -> Result:
    from PIL import ImageFont, features

    if not features.check("freetype2"):
        return Result(
            "fonts",
            "warn",
            "Pillow has no FreeType: banners use a bitmap font",
            "install Pillow wheels from PyPI (they bundle FreeType)",
        )
    for name in FONT_CANDIDATES:
        try:
            ImageFont.truetype(name, 24)
        except OSError:
            continue
        return Result("fonts", "ok", f"{name} available")
    ImageFont.load_default(size=24)
    return Result("fonts", "ok", "Pillow's bundled scalable font (no system TrueType font)")


def check_templates(probe: Probe) -> Result:
    from publisher.core.paths import templates_dir

    try:
        root = templates_dir()
    except FileNotFoundError:
        return Result("templates", "fail", "templates/ not found", "reinstall the package")
    return Result("templates", "ok", str(root))


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _dry_call(
    ctx: AppContext, account: SocialAccount, creds: dict[str, object]
) -> tuple[Status, str]:
    """The adapter's own harmless authenticated call (``Platform.check``)."""
    from publisher.core.errors import PlatformError
    from publisher.platforms.registry import platform_for

    try:
        # The worker's construction: with sessions, so an X token due for renewal is renewed
        # (and stored) here too instead of failing the check.
        return "ok", platform_for(ctx, account).check()
    except PlatformError as exc:
        base = str(creds.get("api_base") or "")
        if base and _loopback(base):
            return "ok", "local fake platform (demo), not running now: nothing to check"
        return "fail", exc.user_message


def check_platforms(probe: Probe) -> Result:
    if not probe.schema_ok or probe.ctx is None:
        return Result("platform accounts", "fail", "not checked: database missing or not migrated")
    ctx = probe.ctx
    with ctx.readonly_sessions() as session:
        accounts = session.scalars(select(SocialAccount).order_by(SocialAccount.id)).all()
    if not accounts:
        return Result(
            "platform accounts",
            "warn",
            "no accounts: nothing can be published",
            "add one with `lapor accounts add`",
        )
    problems: list[str] = []
    for account in accounts:
        if account.status != "active":
            problems.append(f"account {account.id} ({account.platform}) is {account.status}")
            continue
        try:
            creds = ctx.vault.decrypt_json(account.credentials) if account.credentials else {}
        except LaporError:
            problems.append(f"account {account.id}: credentials do not decrypt")
            continue
        status, detail = _dry_call(ctx, account, dict(creds) if isinstance(creds, dict) else {})
        if status != "ok":
            problems.append(f"account {account.id} ({account.platform}): {detail}")
    if problems:
        return Result(
            "platform accounts",
            "warn",
            "; ".join(problems[:5]),
            "reconnect the accounts (`lapor accounts list` shows them)",
        )
    return Result("platform accounts", "ok", f"{len(accounts)} accounts, dry calls passed")


# The SKB 3 Menteri for the next year usually appears in September.
NEXT_YEAR_EXPECTED_FROM_MONTH = 10


def check_holidays(probe: Probe, *, today: date | None = None) -> Result:
    """Working-day figures (the dashboard's response times) need this year's holidays."""
    if probe.settings is None:
        return Result("holiday calendar", "info", "not checked: settings invalid")
    from publisher.monitoring.workdays import load_calendar

    try:
        calendar = load_calendar(probe.settings.tz, probe.settings.holiday_files)
    except ConfigError as exc:
        return Result("holiday calendar", "fail", str(exc), "fix or remove the file named")
    today = today or datetime.now(probe.settings.tz).date()
    years = sorted({h.day.year for h in calendar.holidays})
    covered = f"covers {', '.join(str(y) for y in years) or 'no year'}"
    fix = (
        "add that year's libur nasional and cuti bersama from the SKB 3 Menteri in a JSON file "
        "(the format of publisher/monitoring/holidays_id.json) named in LAPOR_HOLIDAY_FILES"
    )
    if today.year not in years:
        return Result(
            "holiday calendar",
            "warn",
            f"{covered}, not {today.year}: its holidays count as working days",
            fix,
        )
    if today.month >= NEXT_YEAR_EXPECTED_FROM_MONTH and today.year + 1 not in years:
        return Result("holiday calendar", "info", f"{covered}; {today.year + 1} not yet", fix)
    return Result("holiday calendar", "ok", covered)


def check_scheduler(probe: Probe) -> Result:
    if not probe.schema_ok or probe.ctx is None:
        return Result("scheduler", "info", "not checked: database missing or not migrated")
    from publisher.core.clock import utcnow
    from publisher.ops import lease

    with probe.ctx.readonly_sessions() as session:
        state = lease.read(session)
    if state is not None and state.alive(utcnow()):
        return Result("scheduler", "ok", f"{state.holder} alive (heartbeat {state.heartbeat_at})")
    return Result(
        "scheduler",
        "info",
        "no scheduler is running now",
        "start `lapor run` or `lapor scheduler` (one per database)",
    )


CHECKS: tuple[Callable[[Probe], Result], ...] = (
    check_settings,
    check_database,
    check_migrations,
    check_reference_data,
    check_secret_key,
    check_media,
    check_model,
    check_fonts,
    check_templates,
    check_platforms,
    check_holidays,
    check_scheduler,
)


def run_checks(load: Callable[[], Settings]) -> list[Result]:
    """Run every check; ``load`` builds the settings (errors become the first finding)."""
    probe = Probe(settings=None)
    try:
        probe.settings = load()
    except ValidationError as exc:
        probe.notes["settings"] = describe_validation_error(exc)
    except ConfigError as exc:
        probe.notes["settings"] = str(exc)
    try:
        return [_guarded(check, probe) for check in CHECKS]
    finally:
        if probe.ctx is not None:
            probe.ctx.close()


def _guarded(check: Callable[[Probe], Result], probe: Probe) -> Result:
    try:
        return check(probe)
    except Exception as exc:  # a check that breaks is itself a finding, not a crash
        name = check.__name__.removeprefix("check_").replace("_", " ")
        return Result(name, "fail", f"check failed: {type(exc).__name__}", "see the log")


def healthy(results: list[Result]) -> bool:
    return all(r.status in ("ok", "info") for r in results)
