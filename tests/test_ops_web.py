"""/readyz, /metrics and the dashboard over HTTP (FastAPI's TestClient)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient

from jobs.pipeline import run_job
from jobs.scheduler import make_lease
from publisher.app.factory import create_app
from publisher.runtime.context import AppContext
from tests import ops_fixtures as fx

TOKEN = "s3cret-ops-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    ctx.settings = ctx.settings.model_copy(update={"ops_token": TOKEN})
    with TestClient(create_app(ctx)) as test_client:
        yield test_client


def test_readyz_names_a_missing_scheduler_and_turns_ready_with_a_heartbeat(
    ctx: AppContext, client: TestClient
) -> None:
    first = client.get("/readyz")
    assert first.status_code == 503
    assert first.json()["checks"] == {"database": "ok", "media": "ok", "scheduler": "never ran"}
    assert make_lease(ctx, "sched-a").acquire()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_readyz_reports_a_stale_heartbeat(ctx: AppContext, client: TestClient) -> None:
    with time_machine.travel("2026-03-02 00:00:00+00:00", tick=False):
        make_lease(ctx, "sched-a").acquire()
    body = client.get("/readyz").json()
    assert body["checks"]["scheduler"].startswith("stale")


def test_readyz_reports_an_unwritable_media_store(ctx: AppContext, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    ctx.settings = ctx.settings.model_copy(update={"media_dir": blocker})
    body = TestClient(create_app(ctx)).get("/readyz").json()
    assert body["checks"]["media"].startswith("not writable")


def test_metrics_export_jobs_queues_and_deliveries(ctx: AppContext, client: TestClient) -> None:
    fx.build(ctx)
    run_job(ctx, "cleanup")
    assert client.get("/metrics").status_code == 401
    text = client.get("/metrics", headers=AUTH).text
    assert 'lapor_deliveries{platform="folder",state="published"} 1.0' in text
    assert 'lapor_posts{state="approved"} 1.0' in text
    assert 'lapor_job_runs{job="cleanup",outcome="ok"} 1.0' in text
    assert 'lapor_job_last_failed{job="cleanup"} 0.0' in text
    assert "lapor_quarantine_open 0.0" in text


def test_the_dashboard_is_closed_without_a_token_or_a_session(ctx: AppContext) -> None:
    unconfigured = TestClient(create_app(ctx), follow_redirects=False)
    assert unconfigured.get("/dashboard").headers["location"] == "/login?next=/dashboard"
    assert unconfigured.get("/dashboard", headers=AUTH).status_code == 401  # no token set
    ctx.settings = ctx.settings.model_copy(update={"ops_token": TOKEN})
    app = TestClient(create_app(ctx), follow_redirects=False)
    assert app.get("/dashboard").status_code == 303
    assert app.get("/dashboard", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert app.get("/dashboard/export.csv", headers={"Authorization": "Basic x"}).status_code == 401
    assert app.get("/dashboard", headers=AUTH).status_code == 200


def test_the_dashboard_shows_the_hand_computed_figures(ctx: AppContext, client: TestClient) -> None:
    fx.build(ctx)
    ctx.settings = ctx.settings.model_copy(update={"ranking_min_cases": 3})
    with time_machine.travel(fx.NOW, tick=False):
        page = client.get(f"/dashboard?start={fx.START}&end={fx.END}", headers=AUTH)
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="total-received">8<' in html
    # The page uses the real 2025 calendar: Waisak (12 May) and cuti bersama (13 May) are off,
    # so B3 has been idle 3 working days (8, 9, 14 May), not more: nothing is overdue yet.
    assert 'data-testid="total-overdue">0<' in html
    # Volume and speed per agency, and the month-by-month history (April and May 2025).
    assert html.count("<svg") == 3
    history = html[html.index("Aduan per bulan") :]
    assert "April 2025" in history and "Mei 2025" in history
    ranking = html[html.index('data-testid="ranking"') : html.index('data-testid="not-ranked"')]
    assert ranking.index("Budi Santoso") < ranking.index("Andi Wijaya")
    assert "Citra Lestari" not in ranking
    assert "Citra Lestari (1)" in html


def test_the_csv_export_downloads_the_same_figures(ctx: AppContext, client: TestClient) -> None:
    fx.build(ctx)
    with time_machine.travel(fx.NOW, tick=False):
        got = client.get(
            f"/dashboard/export.csv?kind=agencies&start={fx.START}&end={fx.END}", headers=AUTH
        )
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    rows = {r["kode"]: r for r in csv.DictReader(io.StringIO(got.text))}
    assert rows["dpupr"]["diterima"] == "7" and rows["dishub"]["median_selesai_hari_kerja"] == "1.0"


def test_bad_dates_and_kinds_are_refused_in_indonesian(client: TestClient) -> None:
    bad = client.get("/dashboard?start=kemarin", headers=AUTH)
    assert bad.status_code == 400 and "Tanggal tidak valid" in bad.text
    backwards = client.get(f"/dashboard?start={date(2025, 5, 2)}&end=2025-05-01", headers=AUTH)
    assert backwards.status_code == 400
    assert client.get("/dashboard/export.csv?kind=all", headers=AUTH).status_code == 400


def test_the_digest_page_lists_each_agency_without_reporter_data(
    ctx: AppContext, client: TestClient
) -> None:
    fx.build(ctx)
    with time_machine.travel(fx.NOW, tick=False):
        page = client.get("/dashboard/digest?agency=dpupr", headers=AUTH)
    assert page.status_code == 200
    assert "Belum dijawab: 1" in page.text and "Tanpa progres &gt; 3 hari kerja: 0" in page.text
    assert "Dinas Pekerjaan Umum" in page.text and "Dinas Perhubungan" not in page.text


def test_digest_messages_reach_the_fake_telegram_over_http(ctx: AppContext) -> None:
    from publisher.fakes.server import ServerThread
    from publisher.monitoring.digest import build_digests, send_digests
    from publisher.platforms.telegram.fake import FakeTelegram

    fx.build(ctx)
    telegram = FakeTelegram(tokens={"42:digest"}, channels={"1001", "@kadis_dpupr"})
    with ServerThread(telegram.app()) as server:
        ctx.settings = ctx.settings.model_copy(
            update={
                "digest_recipients": {"dpupr": ["1001", "@kadis_dpupr"], "dishub": ["9999"]},
                "digest_telegram_bot_token": "42:digest",
                "digest_telegram_api_base": server.url,
            }
        )
        with ctx.readonly_sessions() as session:
            digests = build_digests(session, fx.CALENDAR, fx.NOW, agency_codes=["dpupr", "dishub"])
        counts = send_digests(ctx, digests)
    assert (counts.sent, counts.failed) == (2, 1)  # chat 9999 does not exist
    assert {m.chat_id for m in telegram.sent} == {"1001", "@kadis_dpupr"}
    text = telegram.sent[0].caption
    assert "Ringkasan harian #LaporBupatiTegal" in text and "Rabu, 14 Mei 2025" in text
    assert "Dipublikasikan kemarin: 0" in text


def test_the_served_app_moves_its_startup_heap_out_of_the_collectors_reach(ctx: AppContext) -> None:
    import gc

    before = gc.get_freeze_count()
    with TestClient(create_app(ctx)) as served:
        assert gc.get_freeze_count() > before
        assert served.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0  # unfrozen at shutdown: a test process does not pile up


def test_the_dashboard_writes_dates_numbers_and_shares_the_indonesian_way(
    ctx: AppContext, client: TestClient
) -> None:
    from publisher.web.formats import day, moment, number, share

    assert (number(12345), number(2.5), number(None)) == ("12.345", "2,5", "-")
    assert (share(0.75), day(fx.START)) == ("75%", "30 April 2025")
    assert moment(fx.NOW, fx.CALENDAR.tz) == "14 Mei 2025 12.00 WIB"
    fx.build(ctx)
    page = client.get("/dashboard?start=2025-04-30&end=2025-05-14", headers=AUTH)
    assert "Periode 30 April 2025 s.d. 14 Mei 2025." in page.text
    assert "2025-04-30 s.d." not in page.text
