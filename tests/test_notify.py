"""Reporter notification end to end against the fake WhatsApp Cloud API over real HTTP: the
template for a published case, the one for a case handled without publication, STOP and MULAI
through the real webhook, retries that never send twice, and lost answers that are settled by
the status webhook instead of a re-send."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.app.factory import create_app
from publisher.core.clock import utcnow
from publisher.db.models import Attempt, AuditLog, ReporterNotification
from publisher.fakes.server import ServerThread
from publisher.fakes.whatsapp import (
    LOST,
    RATE_LIMIT,
    SERVER_ERROR,
    VERSION,
    FakeWhatsApp,
    meta_signature,
    notification,
    status_notification,
    text_message,
)
from publisher.privacy.phones import normalise_phone
from publisher.public import notify
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.factories import feed_record, person
from tests.flow import add_account
from tests.public_support import approve_case, case_id, ingest_records, publish, published_case

APP_SECRET = "meta-app-secret"
PUBLISHED, HANDLED = "lapor_tindak_lanjut_terbit", "lapor_tindak_lanjut_selesai"


@pytest.fixture
def fake() -> Iterator[tuple[FakeWhatsApp, str]]:
    wa = FakeWhatsApp(templates={(PUBLISHED, "id"): 2, (HANDLED, "id"): 1})
    with ServerThread(wa.app()) as server:
        wa.base_url = server.url
        yield wa, server.url


def _ctx(tmp_path: Path, graph_base: str, **overrides: object) -> AppContext:
    values: dict[str, object] = {
        "notify_enabled": True,
        "whatsapp_access_token": "wa-access-token",
        "whatsapp_phone_number_id": "1055500001",
        "whatsapp_graph_url": f"{graph_base}/{VERSION}",
        "whatsapp_app_secret": APP_SECRET,
        "public_base_url": "https://lapor.tegalkab.go.id",
        "http_timeout_s": 1.0,
    }
    values.update(overrides)
    return make_context(f"sqlite:///{tmp_path / 'test.db'}", tmp_path, **values)


@pytest.fixture
def wa_ctx(tmp_path: Path, fake: tuple[FakeWhatsApp, str]) -> Iterator[AppContext]:
    ctx = _ctx(tmp_path, fake[1])
    add_account(ctx, "folder", "dpupr")
    yield ctx
    ctx.close()


def rows(ctx: AppContext) -> list[ReporterNotification]:
    with ctx.sessions() as session:
        return list(session.scalars(select(ReporterNotification).order_by(ReporterNotification.id)))


def webhook(ctx: AppContext, body: bytes) -> None:
    web = TestClient(create_app(ctx))
    answer = web.post(
        "/webhooks/whatsapp",
        content=body,
        headers={
            "X-Hub-Signature-256": meta_signature(APP_SECRET, body),
            "Content-Type": "application/json",
        },
    )
    assert answer.status_code == 200, answer.text


def test_a_published_case_sends_its_reporter_one_template_with_the_number_and_the_link(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, _ = fake
    reporter = person(1)
    cid = published_case(wa_ctx, 1, reporter=reporter)
    counts = run_job(wa_ctx, "notify")
    assert counts["queued"] == 1 and counts["sent"] == 1
    (sent,) = wa.sent_templates
    assert sent.to == normalise_phone(reporter["phone"])
    assert (sent.name, sent.language) == (PUBLISHED, "id")
    assert sent.parameters == ["LPR-2025-00001", f"https://lapor.tegalkab.go.id/publik/tl/{cid}"]
    (row,) = rows(wa_ctx)
    assert (row.state, row.remote_id, row.attempts) == ("sent", sent.message_id, 1)
    assert sent.callback_data == row.marker
    run_job(wa_ctx, "notify")
    assert len(wa.sent_templates) == 1


def test_a_case_handled_without_publication_gets_the_message_without_a_link(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, _ = fake
    ingest_records(wa_ctx, [feed_record(2, privacy="rahasia")])
    run_job(wa_ctx, "notify")
    (sent,) = wa.sent_templates
    assert (sent.name, sent.parameters) == (HANDLED, ["LPR-2025-00002"])
    assert rows(wa_ctx)[0].kind == "handled"


def test_a_case_waits_for_publication_before_it_is_told_it_was_only_handled(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, _ = fake
    ingest_records(wa_ctx, [feed_record(3)])  # drafted, awaiting review: not yet decided
    notify.run(wa_ctx)
    assert wa.sent_templates == [] and rows(wa_ctx) == []
    later = utcnow() + timedelta(days=wa_ctx.settings.notify_unpublished_after_days + 1)
    notify.run(wa_ctx, now=later)
    assert [s.name for s in wa.sent_templates] == [HANDLED]


def test_a_reporter_who_replied_stop_is_never_messaged_and_mulai_lifts_it(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, _ = fake
    reporter = person(4)
    number = normalise_phone(reporter["phone"])
    webhook(wa_ctx, notification(text_message(number, "STOP")))
    published_case(wa_ctx, 4, reporter=reporter)
    run_job(wa_ctx, "notify")
    assert wa.sent_templates == []
    assert [(r.state, r.reason) for r in rows(wa_ctx)] == [("skipped", "opted_out")]
    webhook(wa_ctx, notification(text_message(number, "mulai")))
    published_case(wa_ctx, 5, reporter=reporter)
    run_job(wa_ctx, "notify")
    assert [s.parameters[0] for s in wa.sent_templates] == ["LPR-2025-00005"]


def test_a_stop_that_arrives_after_queueing_is_honoured_at_send_time(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, _ = fake
    reporter = person(6)
    published_case(wa_ctx, 6, reporter=reporter)
    with wa_ctx.sessions() as session, session.begin():
        assert notify.enqueue(session, wa_ctx.vault, wa_ctx.settings).queued == 1
    webhook(wa_ctx, notification(text_message(normalise_phone(reporter["phone"]), "Stop")))
    client = notify.TemplateClient.from_context(wa_ctx)
    assert client is not None
    notify.send_due(wa_ctx, client)
    assert wa.sent_templates == []
    assert rows(wa_ctx)[0].state == "skipped"


def test_the_source_s_own_opt_out_flag_and_a_missing_number_are_skipped(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, _ = fake
    quiet = {**person(7), "notify_opt_out": True}
    no_phone = {k: v for k, v in person(8).items() if k != "phone"}
    published_case(wa_ctx, 7, reporter=quiet)
    published_case(wa_ctx, 8, reporter=no_phone)
    run_job(wa_ctx, "notify")
    assert wa.sent_templates == []
    assert sorted(r.reason for r in rows(wa_ctx)) == ["no_whatsapp_number", "opted_out_at_source"]


def test_a_rate_limited_send_is_retried_later_with_backoff_and_sent_exactly_once(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, _ = fake
    wa.faults = [RATE_LIMIT]
    published_case(wa_ctx, 9)
    first = notify.run(wa_ctx)
    assert (first.retry, first.sent) == (1, 0)
    (row,) = rows(wa_ctx)
    assert row.state == "pending" and row.next_attempt_at > utcnow() + timedelta(seconds=30)
    assert notify.run(wa_ctx).sent == 0  # not due yet: no second call
    later = notify.run(wa_ctx, now=utcnow() + timedelta(hours=1))
    assert later.sent == 1
    assert len(wa.sent_templates) == 1
    with wa_ctx.sessions() as session:
        outcomes = list(
            session.scalars(
                select(Attempt.outcome).where(Attempt.kind == "notification").order_by(Attempt.id)
            )
        )
    assert outcomes == ["retry", "sent"]


def test_a_refused_connection_is_retried_and_then_sent_once(
    tmp_path: Path, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, url = fake
    ctx = _ctx(tmp_path, "http://127.0.0.1:9")  # discard port: nothing listens
    add_account(ctx, "folder", "dpupr")
    published_case(ctx, 10)
    assert notify.run(ctx).retry == 1
    client = notify.TemplateClient(ctx.http, f"{url}/{VERSION}", "wa-access-token", "1055500001")
    notify.send_due(ctx, client, now=utcnow() + timedelta(hours=1))
    notify.send_due(ctx, client, now=utcnow() + timedelta(hours=2))
    assert len(wa.sent_templates) == 1 and rows(ctx)[0].state == "sent"
    ctx.close()


def test_a_lost_answer_becomes_unknown_is_never_resent_and_the_status_webhook_settles_it(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str], caplog: pytest.LogCaptureFixture
) -> None:
    wa, _ = fake
    wa.faults = [LOST]
    reporter = person(11)
    caplog.set_level(logging.INFO)
    published_case(wa_ctx, 11, reporter=reporter)
    assert notify.run(wa_ctx).unknown == 1
    assert len(wa.sent_templates) == 1  # it did reach the platform
    for hours in (1, 5, 30):
        notify.run(wa_ctx, now=utcnow() + timedelta(hours=hours))
    assert len(wa.sent_templates) == 1
    (row,) = rows(wa_ctx)
    assert row.state == "unknown"
    sent = wa.sent_templates[0]
    webhook(
        wa_ctx,
        status_notification(
            sent.message_id, "delivered", sent.to, callback_data=sent.callback_data
        ),
    )
    (row,) = rows(wa_ctx)
    assert (row.state, row.remote_id) == ("sent", sent.message_id)
    for value in (reporter["phone"], normalise_phone(reporter["phone"]), reporter["name"]):
        assert value not in caplog.text


def test_a_server_error_is_treated_as_unknown_not_retried(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, _ = fake
    wa.faults = [SERVER_ERROR]
    published_case(wa_ctx, 12)
    assert notify.run(wa_ctx).unknown == 1
    notify.run(wa_ctx, now=utcnow() + timedelta(hours=3))
    assert wa.sent_templates == []
    assert rows(wa_ctx)[0].state == "unknown"


def test_a_template_meta_does_not_know_fails_for_a_person_without_retrying(
    tmp_path: Path, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, url = fake
    ctx = _ctx(tmp_path, url, notify_template_published="tidak_ada")
    add_account(ctx, "folder", "dpupr")
    published_case(ctx, 13)
    assert notify.run(ctx).failed == 1
    (row,) = rows(ctx)
    assert (row.state, row.reason) == ("failed", "rejected")
    assert "132001" in row.last_error
    notify.run(ctx, now=utcnow() + timedelta(days=1))
    assert wa.sent_templates == [] and rows(ctx)[0].attempts == 1
    ctx.close()


def test_a_late_failed_status_marks_a_sent_message_failed(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, _ = fake
    published_case(wa_ctx, 14)
    notify.run(wa_ctx)
    sent = wa.sent_templates[0]
    webhook(wa_ctx, status_notification(sent.message_id, "failed", sent.to))
    assert (rows(wa_ctx)[0].state, rows(wa_ctx)[0].reason) == ("failed", "failed_after_acceptance")


def test_a_row_left_sending_by_a_crashed_worker_becomes_unknown(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, _ = fake
    published_case(wa_ctx, 15)
    with wa_ctx.sessions() as session, session.begin():
        notify.enqueue(session, wa_ctx.vault, wa_ctx.settings)
    with wa_ctx.sessions() as session, session.begin():
        row = session.scalars(select(ReporterNotification)).one()
        row.state, row.claimed_at = "sending", utcnow()
    counts = notify.run(wa_ctx, now=utcnow() + timedelta(hours=1))
    assert counts.stale_sending == 1 and wa.sent_templates == []
    assert rows(wa_ctx)[0].state == "unknown"


def test_nothing_is_sent_while_notification_is_switched_off(
    tmp_path: Path, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, url = fake
    ctx = _ctx(tmp_path, url, notify_enabled=False)
    add_account(ctx, "folder", "dpupr")
    published_case(ctx, 16)
    assert run_job(ctx, "notify")["queued"] == 0
    assert wa.sent_templates == [] and rows(ctx) == []
    ctx.close()


def test_every_decision_is_audited_by_case_id_only(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    reporter = person(17)
    published_case(wa_ctx, 17, reporter=reporter)
    run_job(wa_ctx, "notify")
    with wa_ctx.sessions() as session:
        entries = list(session.scalars(select(AuditLog).where(AuditLog.action.like("notify.%"))))
    assert [e.action for e in entries] == ["notify.queued", "notify.sent"]
    assert all(e.object_id == str(case_id(wa_ctx, 17)) for e in entries)
    text = repr([e.details for e in entries])
    assert reporter["phone"][1:] not in text and reporter["name"] not in text


def test_an_approved_but_not_yet_published_case_is_not_told_anything(
    wa_ctx: AppContext, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, _ = fake
    ingest_records(wa_ctx, [feed_record(18)])
    approve_case(wa_ctx, 18)
    later = utcnow() + timedelta(days=wa_ctx.settings.notify_unpublished_after_days + 1)
    notify.run(wa_ctx, now=later)  # its delivery is still pending: neither message yet
    assert wa.sent_templates == []
    publish(wa_ctx)
    notify.run(wa_ctx)
    assert [s.name for s in wa.sent_templates] == [PUBLISHED]


@pytest.mark.postgres
def test_the_notification_flow_works_on_postgresql_too(
    postgres_url: str, tmp_path: Path, fake: tuple[FakeWhatsApp, str]
) -> None:
    wa, url = fake
    values: dict[str, object] = {
        "notify_enabled": True,
        "whatsapp_access_token": "wa-access-token",
        "whatsapp_phone_number_id": "1055500001",
        "whatsapp_graph_url": f"{url}/{VERSION}",
        "http_timeout_s": 1.0,
    }
    ctx = make_context(postgres_url, tmp_path, **values)
    add_account(ctx, "folder", "dpupr")
    wa.faults = [RATE_LIMIT]
    published_case(ctx, 1)
    ingest_records(ctx, [feed_record(2, privacy="rahasia")])
    first = notify.run(ctx)
    assert (first.queued, first.sent, first.retry) == (2, 1, 1)
    notify.run(ctx, now=utcnow() + timedelta(hours=1))
    notify.run(ctx, now=utcnow() + timedelta(hours=2))
    assert sorted(s.name for s in wa.sent_templates) == [HANDLED, PUBLISHED]
    ctx.close()
