"""The media store in an S3-compatible bucket (issue #23, point 6), against moto's server over
real HTTP with request signing enforced: the contract of any real S3 service (signed requests,
multipart uploads, missing keys), the bounded local cache, and the web app's media routes."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from publisher.app.factory import create_app
from publisher.core.errors import (
    ConfigError,
    MediaMissing,
    MediaStoreError,
    MediaStoreUnavailable,
)
from publisher.db.models import Delivery, Post
from publisher.fakes.server import ServerThread
from publisher.intake.records import ingest
from publisher.media.public_urls import sign_media_url
from publisher.media.s3 import LocalCache, S3Location, S3MediaStore
from publisher.ops.doctor import Result, run_checks
from publisher.outbox import deliveries as outbox
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.runtime.context import AppContext, media_store
from tests.conftest import make_context, make_settings
from tests.factories import feed_record, jpeg
from tests.flow import with_photo
from tests.s3_support import REGION, S3Server, running_s3
from tests.test_publishing import CHANNEL, TOKEN, prepare

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with running_s3() as server:
        yield server


def store(
    s3: S3Server,
    cache: Path,
    *,
    secret: str | None = None,
    part_size: int = 5 * MIB,
    cache_bytes: int = 100 * MIB,
) -> S3MediaStore:
    """Another machine's view of the bucket: its own client and local cache."""
    location = S3Location(
        bucket=s3.bucket,
        prefix="media/",
        endpoint_url=s3.url,
        region=REGION,
        access_key_id=s3.access_key_id,
        secret_access_key=secret or s3.secret_access_key,
        part_size=part_size,
        timeout_s=10.0,
    )
    return S3MediaStore(location, LocalCache(cache, cache_bytes))


def test_a_photo_put_in_the_bucket_is_read_back_by_another_machine(
    s3: S3Server, tmp_path: Path
) -> None:
    here, there = store(s3, tmp_path / "a"), store(s3, tmp_path / "b")
    data = jpeg(colour=(10, 200, 30))
    sha = here.put(data, ".jpg")
    assert sha == hashlib.sha256(data).hexdigest()
    assert s3.keys(f"media/{sha[:2]}/{sha[2:4]}/") == {
        f"media/{sha[:2]}/{sha[2:4]}/{sha}.jpg": len(data)
    }
    assert there.exists(sha, ".jpg") and there.read(sha, ".jpg") == data
    local = there.local_path(sha, ".jpg")
    assert local.read_bytes() == data and local.is_relative_to(tmp_path / "b")
    with there.open(sha, ".jpg") as body:
        assert body.read() == data


def test_putting_the_same_bytes_twice_writes_the_object_once(s3: S3Server, tmp_path: Path) -> None:
    media = store(s3, tmp_path)
    sent: list[str] = []
    # Counted on the wire: botocore announces each operation before it signs and sends it.
    media.client().meta.events.register(
        "before-call.s3", lambda model, **_: sent.append(model.name)
    )
    sha = media.put(b"same bytes", ".jpg")
    assert media.put(b"same bytes", ".jpg") == sha
    assert sent == ["HeadObject", "PutObject", "HeadObject"]


def test_a_request_signed_with_a_wrong_secret_is_refused_and_stores_nothing(
    s3: S3Server, tmp_path: Path
) -> None:
    forged = store(s3, tmp_path, secret="not-the-secret-" + "x" * 25)
    data = b"refused bytes"
    with pytest.raises(MediaStoreError) as raised:
        forged.put(data, ".jpg")
    # A configuration problem: neither "missing" nor "try later".
    assert type(raised.value) is MediaStoreError
    assert "HTTP 403" in str(raised.value)  # HeadObject's answer has no body, only 403
    sha = hashlib.sha256(data).hexdigest()
    assert not store(s3, tmp_path / "good").exists(sha, ".jpg")
    stored = store(s3, tmp_path / "good").put(b"stored bytes", ".jpg")
    with pytest.raises(MediaStoreError) as raised:
        forged.read(stored, ".jpg")  # GetObject's 403 names the reason
    assert type(raised.value) is MediaStoreError
    assert "SignatureDoesNotMatch" in str(raised.value)
    assert s3.secret_access_key not in str(raised.value)


def test_a_file_over_the_part_size_goes_up_in_parts_and_comes_back_whole(
    s3: S3Server, tmp_path: Path
) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(os.urandom(11 * MIB))  # 5 + 5 + 1 MiB
    media = store(s3, tmp_path / "cache-a", part_size=5 * MIB)
    sent: list[str] = []
    media.client().meta.events.register(
        "before-call.s3", lambda model, **_: sent.append(model.name)
    )
    sha = media.put_file(video, ".mp4")
    assert sorted(sent) == sorted(
        ["HeadObject", "CreateMultipartUpload", *["UploadPart"] * 3, "CompleteMultipartUpload"]
    )
    # On the server's side: a multipart object's ETag is not the MD5 of its bytes but ends in
    # "-<number of parts>" (AmazonS3/latest/userguide/checking-object-integrity.html).
    head = s3.client().head_object(Bucket=s3.bucket, Key=media.key(sha, ".mp4"))
    assert head["ETag"].strip('"').endswith("-3") and head["ContentLength"] == 11 * MIB
    elsewhere = store(s3, tmp_path / "cache-b")
    copy = elsewhere.local_path(sha, ".mp4")
    assert copy.stat().st_size == 11 * MIB and hashlib.sha256(copy.read_bytes()).hexdigest() == sha


def test_a_missing_key_is_a_permanent_typed_error(s3: S3Server, tmp_path: Path) -> None:
    media = store(s3, tmp_path)
    sha = hashlib.sha256(b"never stored").hexdigest()
    assert not media.exists(sha, ".jpg")
    for attempt in (media.read, media.local_path, media.open):
        with pytest.raises(MediaMissing, match=sha[:12]):
            attempt(sha, ".jpg")
    assert not list(tmp_path.rglob(f"{sha}*"))  # nothing half-written in the cache


def test_an_unreachable_store_is_a_transient_error(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: connections are refused
    location = S3Location(
        bucket="lapor-media",
        endpoint_url=f"http://127.0.0.1:{port}",
        access_key_id="k",
        secret_access_key="s",
        timeout_s=2.0,
    )
    media = S3MediaStore(location, LocalCache(tmp_path, MIB))
    with pytest.raises(MediaStoreUnavailable):
        media.read("ab" * 32, ".jpg")
    with pytest.raises(MediaStoreUnavailable):
        media.put(b"bytes", ".jpg")


def test_a_corrupt_object_is_never_handed_out_as_a_local_file(s3: S3Server, tmp_path: Path) -> None:
    media = store(s3, tmp_path)
    sha = hashlib.sha256(b"the real bytes").hexdigest()
    s3.client().put_object(Bucket=s3.bucket, Key=media.key(sha, ".jpg"), Body=b"other bytes")
    with pytest.raises(MediaStoreError, match="corrupt"):
        media.local_path(sha, ".jpg")
    assert not list(tmp_path.rglob(f"{sha}*"))


def test_the_local_cache_evicts_least_recently_used_copies_not_ones_in_use(
    s3: S3Server, tmp_path: Path
) -> None:
    media = store(s3, tmp_path, cache_bytes=2500)
    shas = [media.put(bytes([n]) * 1000, ".jpg") for n in range(3)]
    old = time.time() - 3600
    paths = []
    for sha in shas[:2]:
        paths.append(media.local_path(sha, ".jpg"))
        os.utime(paths[-1], (old, old))  # used an hour ago
    os.utime(paths[0], (old - 60, old - 60))  # the least recently used
    newest = media.local_path(shas[2], ".jpg")  # 3000 bytes: over the bound
    assert not paths[0].exists() and paths[1].exists() and newest.exists()
    # A copy used within the grace period stays even over the bound (someone may read it).
    media.cache.max_bytes = 1
    media.cache.added(0)
    assert newest.exists() and not paths[1].exists()


def test_private_media_live_under_their_own_prefix(s3: S3Server, tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 't.db'}", tmp_path, **s3.settings(tmp_path / "cache")
    )
    private = media_store(settings, private=True)
    sha = private.put(b"unblurred original", ".jpg")
    assert f"private-media/{sha[:2]}/{sha[2:4]}/{sha}.jpg" in s3.keys("private-media/")
    assert not media_store(settings, private=False).exists(sha, ".jpg")
    assert (tmp_path / "cache" / "private").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"s3_bucket": ""}, "LAPOR_S3_BUCKET"),
        ({"s3_private_prefix": "media/private/"}, "LAPOR_S3_PRIVATE_PREFIX"),
    ],
)
def test_an_incomplete_s3_configuration_names_the_variable(
    s3: S3Server, tmp_path: Path, overrides: dict[str, object], variable: str
) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 't.db'}", tmp_path, **s3.settings(tmp_path / "c", **overrides)
    )
    with pytest.raises(ConfigError, match=variable):
        AppContext.from_settings(settings)


def test_the_public_media_route_serves_from_the_bucket_and_answers_404_for_a_missing_key(
    s3: S3Server, tmp_path: Path
) -> None:
    ctx = make_context(
        f"sqlite:///{tmp_path / 't.db'}", tmp_path, **s3.settings(tmp_path / "cache")
    )
    try:
        data = jpeg(colour=(90, 30, 160))
        sha = store(s3, tmp_path / "other-machine").put(data, ".jpg")
        secret = ctx.settings.secret_keys[0]
        client = TestClient(create_app(ctx))
        found = client.get(sign_media_url("http://testserver", secret, sha, ".jpg"))
        assert found.status_code == 200 and found.content == data
        gone = hashlib.sha256(b"not in the bucket").hexdigest()
        missing = client.get(sign_media_url("http://testserver", secret, gone, ".jpg"))
        assert missing.status_code == 404
    finally:
        ctx.close()


def test_the_public_media_route_answers_503_when_the_bucket_cannot_be_reached(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx = make_context(
        f"sqlite:///{tmp_path / 't.db'}",
        tmp_path,
        media_store="s3",
        s3_endpoint_url=f"http://127.0.0.1:{port}",
        s3_bucket="lapor-media",
        s3_access_key_id="k",
        s3_secret_access_key="s",
        media_cache_dir=tmp_path / "cache",
    )
    try:
        sha = hashlib.sha256(b"somewhere").hexdigest()
        url = sign_media_url("http://testserver", ctx.settings.secret_keys[0], sha, ".jpg")
        answer = TestClient(create_app(ctx)).get(url)
        assert answer.status_code == 503 and answer.headers["retry-after"] == "30"
    finally:
        ctx.close()


def test_a_delivery_whose_photo_is_gone_from_the_bucket_fails_with_a_reason_and_sends_nothing(
    s3: S3Server, tmp_path: Path
) -> None:
    ctx = make_context(
        f"sqlite:///{tmp_path / 't.db'}", tmp_path, **s3.settings(tmp_path / "cache")
    )
    fake = FakeTelegram(tokens={TOKEN}, channels={CHANNEL})
    try:
        with ServerThread(fake.app()) as server:
            prepare(ctx, server.url)
            with ctx.sessions() as session:
                (entry,) = session.scalars(select(Post)).one().media
            sha = str(entry["sha256"])
            media = cast(S3MediaStore, ctx.media)
            s3.client().delete_object(Bucket=s3.bucket, Key=media.key(sha, ".jpg"))
            for copy in (tmp_path / "cache").rglob(f"{sha}*"):
                copy.unlink()  # this machine's cached copy too: as on another machine
            assert outbox.publish_due(ctx).published == 0
        with ctx.sessions() as session:
            delivery = session.scalars(select(Delivery)).one()
        assert delivery.state == "failed"
        assert "tidak ditemukan di penyimpanan media" in delivery.last_error
        assert fake.sent == []
    finally:
        ctx.close()


def test_doctor_checks_the_latest_media_in_the_bucket_and_names_a_wrong_secret(
    s3: S3Server, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    overrides = s3.settings(tmp_path / "cache")
    ctx = make_context(url, tmp_path, **overrides)
    try:
        with ctx.sessions() as session, session.begin():
            ingest(session, ctx.vault, "app", [feed_record(1)])
        with_photo(ctx)
        key = ctx.settings.secret_key
    finally:
        ctx.close()

    def media_check(**changes: object) -> Result:
        settings = make_settings(url, tmp_path, **{**overrides, "secret_key": key, **changes})
        (found,) = [r for r in run_checks(lambda: settings) if r.name == "media store"]
        return found

    good = media_check()
    assert good.status == "ok" and "1 files checked" in good.detail
    wrong = media_check(s3_secret_access_key="not-the-secret-" + "y" * 25)
    assert wrong.status == "fail" and "403" in wrong.detail and "LAPOR_S3_" in wrong.fix
    assert "not-the-secret" not in wrong.detail


def test_a_store_without_credentials_is_a_configuration_error_not_a_transient_one(
    s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    location = S3Location(bucket=s3.bucket, endpoint_url=s3.url, timeout_s=5.0)
    media = S3MediaStore(location, LocalCache(tmp_path / "cache", MIB))
    with pytest.raises(MediaStoreError, match="no credentials") as raised:
        media.put(b"bytes", ".jpg")
    assert type(raised.value) is MediaStoreError
