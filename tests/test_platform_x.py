"""X API v2 through the fake over HTTP: chunked media upload, every error class, reconciliation
by marker or by text hash; the fake's request and response shapes checked against X's
official OpenAPI document."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator

from publisher.core.clock import utcnow
from publisher.core.errors import RetryableError
from publisher.db.models import Post, SocialAccount
from publisher.fakes.faults import Fault
from publisher.outbox import deliveries as outbox
from publisher.platforms.base import MediaFile, PublishRequest
from publisher.platforms.x.adapter import XPlatform, post_text
from publisher.platforms.x.twitter_text import weighted_length
from publisher.runtime.context import AppContext
from tests.conftest import shared_path
from tests.flow import add_account
from tests.publishing_env import (
    X_TOKEN,
    X_USER,
    Fakes,
    account_status,
    add_platform_account,
    approved_posts,
    credentials,
    only_delivery,
    running_fakes,
)


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with running_fakes() as running:
        yield running


@pytest.fixture
def account(ctx: AppContext, fakes: Fakes) -> int:
    account_id = add_platform_account(ctx, "x", fakes)
    approved_posts(ctx, 1)
    # The foundation's X template does not fit 280 weighted characters yet (captions issue).
    _shorten_caption(ctx)
    return account_id


def _shorten_caption(ctx: AppContext) -> None:
    with ctx.sessions() as session, session.begin():
        for post in session.query(Post):
            post.caption = "Jalan sudah ditambal. #LaporBupatiTegal"


def test_a_post_uploads_its_photo_in_chunks_and_carries_the_marker(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    assert outbox.publish_due(ctx).published == 1
    (post,) = fakes.x.live_posts(X_USER)
    delivery = only_delivery(ctx)
    # This caption lost its report number line, so the number is put back as one.
    assert post.text.endswith(f"No. laporan: {delivery.marker}") and "Ref." not in post.text
    assert len(post.media_ids) == 1
    ops = [op for op, *_ in fakes.x.exchanges]
    assert ops == [
        "initializeMediaUpload",
        "appendMediaUpload",
        "finalizeMediaUpload",
        "createPosts",
    ]
    assert delivery.remote_url == f"https://x.com/dpupr_tegal/status/{post.id}"


def test_an_empty_2xx_answer_to_append_is_success(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    """X media upload guide, APPEND: "A successful response returns HTTP 2xx code and an empty
    response body" (the fake answers 204 without a body by default)."""
    assert outbox.publish_due(ctx).published == 1
    appends = [(status, body) for op, _, status, body in fakes.x.exchanges if "append" in op]
    assert appends == [(204, None)]
    assert len(fakes.x.live_posts(X_USER)) == 1


def _video(tmp_path: Path, size: int) -> MediaFile:
    path = tmp_path / "clip.mp4"
    path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    return MediaFile(path, "video", "video/mp4")


def _adapter(fakes: Fakes, **options: Any) -> XPlatform:
    return XPlatform(
        httpx.Client(timeout=10), X_TOKEN, X_USER, "dpupr_tegal", fakes.urls["x"], **options
    )


def test_video_processing_is_polled_no_sooner_than_check_after_secs(
    fakes: Fakes, tmp_path: Path
) -> None:
    """X media upload guide, STATUS: poll after ``processing_info.check_after_secs`` seconds.
    The fake counts every STATUS call made before that time as early."""
    fakes.x.video_polls, fakes.x.check_after_secs = 2, 1
    result = _adapter(fakes).publish(
        PublishRequest(
            1, "LBT-1-aa", "Video perbaikan. #LaporBupatiTegal", (_video(tmp_path, 3000),)
        )
    )
    (upload,) = fakes.x.uploads.values()
    assert upload.state == "succeeded" and upload.early_polls == 0
    statuses = [op for op, *_ in fakes.x.exchanges if op == "getMediaUploadStatus"]
    assert len(statuses) == 2
    assert [p.id for p in fakes.x.live_posts(X_USER)] == [result.remote_id]


def test_a_retry_resumes_the_upload_from_the_last_acknowledged_segment(
    fakes: Fakes, tmp_path: Path
) -> None:
    """Segments are acknowledged one by one (APPEND with ``segment_index``); the upload session
    lives ``expires_after_secs``, so a retry continues it instead of sending the video again."""
    fakes.x.video_polls = 0
    saved: dict[str, str] = {}

    def checkpoint(state: dict[str, str]) -> None:
        saved.clear()
        saved.update(state)
        if state.get("x_acked_0") == "2" and not fakes.x.faults.injected:
            fakes.x.fail_next(Fault("server_error", op="appendMediaUpload"))

    video = _video(tmp_path, 3500)  # four segments of 1,000 bytes
    adapter = _adapter(fakes, chunk_size=1000)
    request = PublishRequest(1, "LBT-1-bb", "Video. #LaporBupatiTegal", (video,), {}, checkpoint)
    with pytest.raises(RetryableError):
        adapter.publish(request)
    assert saved["x_acked_0"] == "2"
    retry = PublishRequest(1, "LBT-1-bb", request.caption, (video,), dict(saved), checkpoint)
    adapter.publish(retry)
    (upload,) = fakes.x.uploads.values()
    assert upload.appends == 4 and sorted(upload.received) == [0, 1, 2, 3]
    ops = [op for op, *_ in fakes.x.exchanges]
    assert ops.count("initializeMediaUpload") == 1 and ops.count("appendMediaUpload") == 5
    assert len(fakes.x.live_posts(X_USER)) == 1


def _oauth_account(ctx: AppContext, fakes: Fakes, lifetime_s: float) -> tuple[int, str]:
    """An X account connected through OAuth 2.0: a pair issued by the fake's token endpoint."""
    fakes.x.clients["lapor-app"] = ""  # a public client (PKCE), as the connect flow makes
    fakes.x.token_lifetime_s = lifetime_s
    pair = fakes.x.issue(X_USER)
    fakes.x.token_lifetime_s = 7200.0  # renewed pairs last X's two hours
    creds = {
        **credentials("x", fakes),
        "access_token": pair["access_token"],
        "refresh_token": pair["refresh_token"],
        "expires_at": str(int(time.time() + lifetime_s)),
        "client_id": "lapor-app",
        "token_url": f"{fakes.urls['x']}/2/oauth2/token",
    }
    account_id = add_account(ctx, "x", "dpupr_tegal", creds)
    approved_posts(ctx, 1)
    _shorten_caption(ctx)
    return account_id, pair["refresh_token"]


def _stored(ctx: AppContext, account_id: int) -> dict[str, Any]:
    with ctx.sessions() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None and account.credentials
        creds = ctx.vault.decrypt_json(account.credentials)
    assert isinstance(creds, dict)
    return creds


def test_an_x_token_about_to_expire_is_refreshed_first_and_the_rotated_pair_stored(
    ctx: AppContext, fakes: Fakes
) -> None:
    """X OAuth 2.0: access tokens last ``expires_in`` (two hours); a refresh answers a new
    refresh token and the used one stops working, so the new pair is stored before use."""
    account_id, first_refresh = _oauth_account(ctx, fakes, lifetime_s=120)
    assert outbox.publish_due(ctx).published == 1
    assert fakes.x.refreshes == 1
    stored = _stored(ctx, account_id)
    assert stored["refresh_token"] != first_refresh
    assert first_refresh not in fakes.x.refresh_tokens  # rotated away
    assert stored["refresh_token"] in fakes.x.refresh_tokens
    assert fakes.x.tokens[stored["access_token"]] == X_USER
    assert float(stored["expires_at"]) > time.time() + 100


def test_an_x_token_refused_with_401_is_refreshed_once_and_the_call_repeated(
    ctx: AppContext, fakes: Fakes
) -> None:
    account_id, _ = _oauth_account(ctx, fakes, lifetime_s=7200)
    old = _stored(ctx, account_id)["access_token"]
    fakes.x.expiry[old] = time.time() - 1  # lapsed early (revoked session, clock skew)
    assert outbox.publish_due(ctx).published == 1
    assert fakes.x.refreshes == 1
    statuses = [status for op, _, status, _ in fakes.x.exchanges if op == "initializeMediaUpload"]
    assert statuses == [401, 200]
    assert len(fakes.x.live_posts(X_USER)) == 1


def test_a_refused_refresh_pauses_the_account_for_a_new_login(
    ctx: AppContext, fakes: Fakes
) -> None:
    account_id, _ = _oauth_account(ctx, fakes, lifetime_s=60)
    fakes.x.refresh_tokens.clear()  # the person revoked the app on X
    outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert delivery.last_error_class == "needs_reconnect" and "Sambungkan" in delivery.last_error
    assert account_status(ctx, account_id) == "needs_reconnect"
    assert fakes.x.live_posts() == []


def test_a_429_waits_until_x_rate_limit_reset(ctx: AppContext, fakes: Fakes, account: int) -> None:
    fakes.x.fail_next(Fault("rate_limit", retry_after=600, op="publish"))
    outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.last_error_class) == ("pending", "rate_limited")
    assert utcnow() + timedelta(seconds=590) < delivery.next_attempt_at
    assert delivery.next_attempt_at < utcnow() + timedelta(seconds=610)


def test_a_revoked_token_pauses_the_account(ctx: AppContext, fakes: Fakes, account: int) -> None:
    fakes.x.tokens.clear()
    outbox.publish_due(ctx)
    assert only_delivery(ctx).last_error_class == "needs_reconnect"
    assert "Token X" in only_delivery(ctx).last_error
    assert account_status(ctx, account) == "needs_reconnect"


def test_a_forbidden_write_pauses_the_account_for_a_permission(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.x.fail_next(Fault("status", status=403, description="Forbidden", op="publish"))
    outbox.publish_due(ctx)
    assert only_delivery(ctx).last_error_class == "permission"
    assert account_status(ctx, account) == "paused"


def test_a_dropped_connection_after_the_post_is_settled_by_its_marker(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.x.fail_next(Fault("drop_after_accept", op="publish"))
    assert outbox.publish_due(ctx).unknown == 1
    assert outbox.reconcile(ctx).found_published == 1
    (post,) = fakes.x.live_posts()
    assert only_delivery(ctx).remote_id == post.id


def test_on_a_write_only_tier_an_unknown_post_is_handed_to_a_person(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    """X API access levels: the Free tier cannot read a user's posts (403 Client Forbidden,
    reason client-not-enrolled), so the reconciler cannot look; a person decides, at once."""
    fakes.x.read_access = False
    fakes.x.fail_next(Fault("drop_after_accept", op="publish"))
    assert outbox.publish_due(ctx).unknown == 1
    counts = outbox.reconcile(ctx)
    assert (counts.needs_person, counts.lookup_failed) == (1, 0)
    delivery = only_delivery(ctx)
    assert delivery.state == "unknown" and "tandai terbit" in delivery.last_error
    forbidden = [s for op, _, s, body in fakes.x.exchanges if op == "getUsersPosts"]
    assert forbidden == [403]
    assert len(fakes.x.live_posts()) == 1  # never sent twice


def test_a_caption_too_long_for_the_marker_is_found_by_the_hash_of_its_text(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    long_caption = "Perbaikan jalan selesai. " * 10 + "#LaporBupatiTegal"
    with ctx.sessions() as session, session.begin():
        for post in session.query(Post):
            post.caption = long_caption
    line = "\n\nNo. laporan: LPR-2025-00001"
    assert weighted_length(long_caption) <= 280 < weighted_length(long_caption + line)
    assert post_text(long_caption, "LPR-2025-00001") == (long_caption, False)
    fakes.x.fail_next(Fault("drop_after_accept", op="publish"))
    outbox.publish_due(ctx)
    assert "text_sha256" in only_delivery(ctx).platform_state
    assert outbox.reconcile(ctx).found_published == 1


def test_a_duplicate_refusal_for_a_post_we_never_made_goes_to_a_person(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.x.fail_next(Fault("duplicate", op="publish"))
    outbox.publish_due(ctx)
    assert only_delivery(ctx).last_error_class == "duplicate"
    assert outbox.reconcile(ctx).failed == 1
    assert only_delivery(ctx).state == "failed"


def test_a_server_error_on_create_is_checked_before_sending_again(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    fakes.x.fail_next(Fault("server_error_after", op="publish"))
    assert outbox.publish_due(ctx).unknown == 1
    assert outbox.reconcile(ctx).found_published == 1
    assert len(fakes.x.live_posts()) == 1


def test_an_over_long_text_is_refused_before_any_call(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    with ctx.sessions() as session, session.begin():
        for post in session.query(Post):
            post.caption = "kata " * 80
    outbox.publish_due(ctx)
    delivery = only_delivery(ctx)
    assert (delivery.state, delivery.last_error_class) == ("failed", "invalid")
    assert "280" in delivery.last_error
    assert fakes.x.exchanges == []


def test_takedown_deletes_the_post(ctx: AppContext, fakes: Fakes, account: int) -> None:
    outbox.publish_due(ctx)
    outbox.takedown(ctx, only_delivery(ctx).post_id, "user:admin", "permintaan dinas")
    assert fakes.x.live_posts() == [] and only_delivery(ctx).state == "taken_down"


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> Draft7Validator:
    return Draft7Validator({**schema, "components": spec["components"]})


def _operations(spec: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    found = {}
    for path in spec["paths"].values():
        for operation in path.values():
            if isinstance(operation, dict) and "operationId" in operation:
                body = operation.get("requestBody", {}).get("content", {})
                found[operation["operationId"]] = (body, operation["responses"])
    return found


def test_the_fake_x_speaks_the_official_openapi_shapes(
    ctx: AppContext, fakes: Fakes, account: int
) -> None:
    spec = json.loads(shared_path("fixtures", "x-openapi", "openapi.json").read_text())
    operations = _operations(spec)
    fakes.x.empty_append = False  # the document's APPEND answer (the guide's is tested apart)
    outbox.publish_due(ctx)
    fakes.x.fail_next(Fault("rate_limit", retry_after=5, op="getUsersPosts"))
    outbox.check_account(ctx, account)
    outbox.takedown(ctx, only_delivery(ctx).post_id, "user:admin", "uji kontrak")
    import httpx

    from tests.publishing_env import X_TOKEN

    headers = {"Authorization": f"Bearer {X_TOKEN}"}
    httpx.get(f"{fakes.urls['x']}/2/users/{X_USER}/tweets", headers=headers)
    httpx.get(f"{fakes.urls['x']}/2/users/{X_USER}/tweets", headers=headers)
    checked = set()
    for op, request_json, status, response_json in fakes.x.exchanges:
        body_spec, responses = operations[op]
        if request_json is not None and "application/json" in body_spec:
            _validator(spec, body_spec["application/json"]["schema"]).validate(request_json)
        content = (responses.get(str(status)) or responses["default"])["content"]
        schema = content.get("application/json") or content["application/problem+json"]
        if status < 400:
            _validator(spec, schema["schema"]).validate(response_json)
        else:
            assert {"title", "detail", "type"} <= set(response_json)
        checked.add((op, status))
    assert {
        ("initializeMediaUpload", 200),
        ("appendMediaUpload", 200),
        ("finalizeMediaUpload", 200),
        ("createPosts", 201),
        ("getUsersMe", 200),
        ("deletePosts", 200),
        ("getUsersPosts", 200),
        ("getUsersPosts", 429),
    } <= checked
