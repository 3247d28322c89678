"""Alerts that reach a person: the admins' Telegram chat and WhatsApp numbers are told once per
event, through the one send path, with a link to the page that fixes it; /metrics counts them.

The fake Telegram has no inspection page, so the end-to-end test is over HTTP (the fakes and
the app on loopback), asserting on what the fake Bot API received."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from jobs.pipeline import run_job
from publisher.app.factory import create_app
from publisher.core.clock import utcnow
from publisher.db.models import Alert, Attempt, Case, JobRun, SocialAccount, SourceRun
from publisher.fakes.faults import Fault
from publisher.fakes.server import ServerThread
from publisher.fakes.whatsapp import FakeWhatsApp
from publisher.outbox import alerts
from publisher.runtime.context import AppContext
from tests.conftest import shared_path
from tests.flow import add_account
from tests.publishing_env import (
    TG_TOKEN,
    Fakes,
    add_platform_account,
    approved_posts,
    running_fakes,
)

ADMIN_CHAT = "-1009876543210"


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with running_fakes() as running:
        running.telegram.channels.add(ADMIN_CHAT)
        yield running


@pytest.fixture
def alerting(ctx: AppContext, fakes: Fakes) -> AppContext:
    """Alerts to one admin chat on the fake Bot API (the same bot as the channel's, here)."""
    ctx.settings.alert_telegram_bot_token = TG_TOKEN
    ctx.settings.alert_telegram_api_base = fakes.urls["telegram"]
    ctx.settings.alert_telegram_chats = [ADMIN_CHAT]
    ctx.settings.public_base_url = "https://lapor.tegalkab.go.id"
    return ctx


def admin_messages(fakes: Fakes) -> list[str]:
    return [m.caption for m in fakes.telegram.sent if m.chat_id == ADMIN_CHAT]


def test_an_account_paused_by_a_revoked_token_is_told_once_to_the_admins_telegram_chat(
    alerting: AppContext, fakes: Fakes
) -> None:
    """Bot API: a revoked bot token answers 401 Unauthorized (fake: ``expired_token``); the
    outbox pauses the account and the admins' chat gets one sendMessage with the admin page's
    absolute link; /metrics counts the event under its kind."""
    ctx = alerting
    account_id = add_platform_account(ctx, "telegram", fakes)
    approved_posts(ctx, 1)
    fakes.telegram.fail_next(Fault("expired_token"))
    run_job(ctx, "publish")
    with ctx.sessions() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None and account.status == "needs_reconnect"
        # Raised where it happened, in the transaction that paused the account.
        assert session.scalars(select(Alert.state)).all() == ["pending"]

    assert run_job(ctx, "alert")["sent"] == 1
    (text,) = admin_messages(fakes)
    assert "dijeda" in text and "@dpupr_tegal" in text
    assert f"https://lapor.tegalkab.go.id/admin#akun-{account_id}" in text

    run_job(ctx, "alert")
    run_job(ctx, "alert")
    assert len(admin_messages(fakes)) == 1  # once per event

    ctx.settings.ops_token = "ops-secret"
    with ServerThread(create_app(ctx)) as app:
        metrics = httpx.get(
            f"{app.url}/metrics", headers={"Authorization": "Bearer ops-secret"}, timeout=30
        ).text
    assert 'lapor_alerts{kind="account_paused"} 1.0' in metrics
    assert (
        'lapor_alert_messages{channel="telegram",kind="account_paused",state="sent"} 1.0' in metrics
    )


def test_the_alert_goes_through_the_one_send_path_with_its_attempt_recorded(
    alerting: AppContext, fakes: Fakes
) -> None:
    ctx = alerting
    add_platform_account(ctx, "telegram", fakes)
    approved_posts(ctx, 1)
    fakes.telegram.fail_next(Fault("expired_token"))
    run_job(ctx, "publish")
    run_job(ctx, "alert")
    with ctx.sessions() as session:
        (alert,) = session.scalars(select(Alert)).all()
        (attempt,) = session.scalars(select(Attempt).where(Attempt.kind == "alert")).all()
    assert (alert.state, alert.attempts, alert.remote_id != "") == ("sent", 1, True)
    assert (attempt.subject_id, attempt.outcome) == (alert.id, "sent")


def test_a_resumed_account_paused_again_is_a_new_event(alerting: AppContext, fakes: Fakes) -> None:
    ctx = alerting
    account_id = add_platform_account(ctx, "telegram", fakes)
    approved_posts(ctx, 2)
    fakes.telegram.fail_next(Fault("expired_token"))
    run_job(ctx, "publish")
    run_job(ctx, "alert")
    from publisher.outbox.deliveries import resume_account

    with ctx.sessions() as session, session.begin():
        resume_account(session, account_id, "user:admin")
    fakes.telegram.fail_next(Fault("expired_token"))
    run_job(ctx, "publish")
    run_job(ctx, "alert")
    assert len(admin_messages(fakes)) == 2


def test_an_unknown_delivery_handed_to_a_person_is_told_without_reporter_data(
    alerting: AppContext, fakes: Fakes
) -> None:
    """Telegram cannot be searched for a post (the Bot API has no history method for bots), so
    an accepted message whose answer was lost goes to a person, and the admins are told."""
    ctx = alerting
    add_platform_account(ctx, "telegram", fakes)
    approved_posts(ctx, 1)
    fakes.telegram.fail_next(Fault("drop_after_accept"))
    run_job(ctx, "publish")
    run_job(ctx, "reconcile")
    run_job(ctx, "reconcile")
    run_job(ctx, "alert")
    (text,) = admin_messages(fakes)
    assert "tidak diketahui" in text
    assert "https://lapor.tegalkab.go.id/deliveries?state=unknown" in text
    with ctx.sessions() as session:
        case = session.scalars(select(Case)).one()
        reporter = ctx.vault.decrypt_json(case.reporter) if case.reporter else {}
    for value in reporter.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in text


def test_a_source_failing_three_runs_in_a_row_is_told_once_and_again_after_a_recovery(
    alerting: AppContext, fakes: Fakes
) -> None:
    ctx = alerting
    now = utcnow()

    def runs(*errors: str) -> None:
        with ctx.sessions() as session, session.begin():
            for error in errors:
                session.add(
                    SourceRun(source="open311", started_at=now, finished_at=now, error=error)
                )

    runs("", "timeout", "timeout")
    run_job(ctx, "alert")
    assert admin_messages(fakes) == []
    runs("HTTP 500")
    run_job(ctx, "alert")
    runs("HTTP 500")
    run_job(ctx, "alert")
    (text,) = admin_messages(fakes)
    assert "Sumber laporan open311 gagal 3 kali berturut-turut" in text
    runs("", "x", "x", "x")
    run_job(ctx, "alert")
    assert len(admin_messages(fakes)) == 2


def test_a_job_failing_three_runs_in_a_row_is_told(alerting: AppContext, fakes: Fakes) -> None:
    ctx = alerting
    now = utcnow()
    with ctx.sessions() as session, session.begin():
        for _ in range(3):
            session.add(JobRun(job="collect", started_at=now, finished_at=now, error="boom"))
    run_job(ctx, "alert")
    (text,) = admin_messages(fakes)
    assert "Tugas terjadwal collect gagal 3 kali" in text
    assert "https://lapor.tegalkab.go.id/audit" in text


def test_a_token_that_cannot_renew_itself_is_told_seven_days_ahead(
    alerting: AppContext, fakes: Fakes
) -> None:
    ctx = alerting
    soon = int((utcnow() + timedelta(days=5)).timestamp())
    later = int((utcnow() + timedelta(days=30)).timestamp())
    add_account(
        ctx, "facebook", "111", {"page_id": "111", "access_token": "t", "expires_at": str(soon)}
    )
    add_account(
        ctx, "facebook", "222", {"page_id": "222", "access_token": "t", "expires_at": str(later)}
    )
    add_account(
        ctx,
        "x",
        "renews_itself",
        {"access_token": "t", "user_id": "1", "refresh_token": "r", "expires_at": str(soon)},
    )
    run_job(ctx, "alert")
    (text,) = admin_messages(fakes)
    assert "Token akun facebook 111 berakhir dalam" in text


def test_raising_the_same_event_twice_stores_it_once(any_ctx: AppContext) -> None:
    """On SQLite and PostgreSQL alike: the conditional insert (ON CONFLICT DO NOTHING)."""
    ctx = any_ctx
    ctx.settings.alert_telegram_bot_token = TG_TOKEN
    ctx.settings.alert_telegram_chats = [ADMIN_CHAT, "@admin_cadangan"]
    event = alerts.Event("job_failing", "job_failing:collect:1", "⚠️ uji")
    with ctx.sessions() as session, session.begin():
        assert alerts.raise_alert(session, ctx.settings, event) == 2
        assert alerts.raise_alert(session, ctx.settings, event) == 0
    with ctx.sessions() as session, session.begin():
        assert alerts.raise_alert(session, ctx.settings, event) == 0
        assert session.scalar(select(func.count()).select_from(Alert)) == 2


def test_with_no_recipient_the_event_is_still_recorded_and_counted(ctx: AppContext) -> None:
    event = alerts.Event("job_failing", "job_failing:collect:1", "⚠️ uji")
    with ctx.sessions() as session, session.begin():
        alerts.raise_alert(session, ctx.settings, event)
    assert run_job(ctx, "alert")["sent"] == 0
    with ctx.sessions() as session:
        (row,) = session.scalars(select(Alert)).all()
    assert (row.channel, row.state) == ("none", "skipped")


def test_admins_on_whatsapp_get_the_alert_template_and_no_number_is_logged(
    ctx: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    """WhatsApp Cloud API: a business-initiated message outside the 24-hour window must be an
    approved template
    (developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates); the fake
    refuses unknown template names with 132001 as Meta documents."""
    number = "6281234567890"
    fake = FakeWhatsApp(templates={("lapor_peringatan_admin", "id"): 2})
    with ServerThread(fake.app()) as server:
        ctx.settings.whatsapp_graph_url = server.url + "/v21.0"
        ctx.settings.whatsapp_access_token = fake.token
        ctx.settings.whatsapp_phone_number_id = fake.phone_number_id
        ctx.settings.alert_whatsapp_numbers = [number]
        with ctx.sessions() as session, session.begin():
            session.add(JobRun(job="render", finished_at=utcnow(), error="boom"))
        ctx.settings.alert_failures_in_a_row = 1
        with caplog.at_level(logging.DEBUG):
            assert run_job(ctx, "alert")["sent"] == 1
    (sent,) = fake.sent_templates
    assert (sent.to, sent.name) == (number, "lapor_peringatan_admin")
    assert "render gagal 1 kali" in sent.parameters[0]
    assert sent.parameters[1].endswith("/audit")
    assert number not in caplog.text


def test_the_alert_speaks_only_fields_of_the_bot_api_send_message() -> None:
    """Bot API sendMessage fields (../shared/fixtures/telegram/api.json, methods.sendMessage)."""
    api = json.loads(shared_path("fixtures", "telegram", "api.json").read_text())["methods"]
    fields = {f["name"] for f in api["sendMessage"]["fields"]}
    assert set(alerts.telegram_fields("-100", "x")) <= fields
