"""Responsiveness per agency on the public page and as open data (minimum-sample rule), the data
dictionary agreeing with the files, and the SP4N-LAPOR! tracking link on posts and pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from jobs.pipeline import run_job
from publisher.app.factory import create_app
from publisher.core.clock import utcnow
from publisher.core.settings import SourceConfig
from publisher.db.models import Post
from publisher.public.routes import COLUMNS
from publisher.runtime.context import AppContext
from tests.conftest import make_context
from tests.factories import feed_record
from tests.flow import add_account
from tests.public_support import approve_case, case_id, feed_only, publish

SP4N_URL = "https://www.lapor.go.id/laporan/detil/{tracking_id}"


def year_of_the_cases(ctx: AppContext) -> int:
    # feed_record reports a case five days ago.
    return (utcnow() - timedelta(days=5)).astimezone(ctx.settings.tz).year


def seed_cases(ctx: AppContext) -> int:
    feed_only(ctx, [feed_record(n) for n in range(1, 7)])  # dpupr: 6 >= the minimum of 5
    feed_only(ctx, [feed_record(n, agency="dlh", category="sampah") for n in range(7, 9)])
    return year_of_the_cases(ctx)


def test_agencies_below_the_minimum_sample_are_named_but_get_no_figures(ctx: AppContext) -> None:
    year = seed_cases(ctx)
    page = TestClient(create_app(ctx)).get(f"/publik/kinerja?tahun={year}").text
    dpupr_row = page.split("Dinas Pekerjaan Umum dan Penataan Ruang")[1].split("</tr>")[0]
    assert ">6<" in dpupr_row and "0,0%" in dpupr_row  # no first response recorded yet
    dlh_row = page.split("Dinas Lingkungan Hidup")[1].split("</tr>")[0]
    assert "Sampel belum cukup" in dlh_row and ">2<" not in dlh_row


def test_the_open_data_files_follow_the_data_dictionary(ctx: AppContext) -> None:
    year = seed_cases(ctx)
    client = TestClient(create_app(ctx))
    rows = list(csv.DictReader(io.StringIO(client.get(f"/publik/data/kinerja-{year}.csv").text)))
    names = [name for name, *_ in COLUMNS]
    assert list(rows[0]) == names
    by_code = {r["kode_instansi"]: r for r in rows}
    assert by_code["dpupr"]["diterima"] == "6" and by_code["dpupr"]["peringkat"] == "1"
    assert by_code["dlh"]["sampel_cukup"] == "false" and by_code["dlh"]["diterima"] == ""
    data = client.get(f"/publik/data/kinerja-{year}.json").json()
    assert data["tahun"] == year and data["sampel_minimum"] == 5
    assert all(list(row) == names for row in data["instansi"])
    dlh = next(r for r in data["instansi"] if r["kode_instansi"] == "dlh")
    assert dlh["diterima"] is None and dlh["sampel_cukup"] is False
    dictionary = client.get("/publik/data").text
    assert all(f"<code>{name}</code>" in dictionary for name in names)


def test_a_year_outside_the_range_is_not_found(ctx: AppContext) -> None:
    client = TestClient(create_app(ctx))
    assert client.get("/publik/kinerja?tahun=1999").status_code == 404
    assert client.get("/publik/data/kinerja-3000.csv").status_code == 404
    assert client.get("/publik/data/kinerja-abc.json").status_code == 404


def test_an_sp4n_case_links_to_its_tracking_page_in_the_post_and_on_the_page(
    tmp_path: Path,
) -> None:
    ctx = make_context(
        f"sqlite:///{tmp_path / 'test.db'}",
        tmp_path,
        sources=[SourceConfig(name="sp4n", kind="sp4n", url="https://sp4n.example/api")],
        sp4n_tracking_url=SP4N_URL,
    )
    add_account(ctx, "folder", "dpupr")
    feed_only(ctx, [feed_record(1, tracking_number="TGL-7H2K9")], source="sp4n")
    feed_only(ctx, [feed_record(2)], source="app")
    run_job(ctx, "screen")
    run_job(ctx, "render")
    for n in (1, 2):
        approve_case(ctx, n)
    publish(ctx)
    link = "https://www.lapor.go.id/laporan/detil/TGL-7H2K9"
    with ctx.sessions() as session:
        captions = {c: t for c, t in session.execute(select(Post.case_id, Post.caption))}
    assert link in captions[case_id(ctx, 1)]
    assert "SP4N-LAPOR" not in captions[case_id(ctx, 2)]
    client = TestClient(create_app(ctx))
    assert f'href="{link}"' in client.get(f"/publik/tl/{case_id(ctx, 1)}").text
    assert "lapor.go.id" not in client.get(f"/publik/tl/{case_id(ctx, 2)}").text
    ctx.close()


def test_without_a_tracking_url_setting_no_sp4n_link_is_made(ctx: AppContext) -> None:
    from publisher.posts.tracking import sp4n_tracking_url

    assert sp4n_tracking_url(ctx.settings, "sp4n", "TGL-1") == ""
