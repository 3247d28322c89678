"""SP4N-LAPOR! over real HTTP against the fake: mapping, paging, privacy flags, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from publisher.core.settings import SourceConfig
from publisher.db.models import Case, Media, Post, Quarantine
from publisher.fakes.server import ServerThread
from publisher.fakes.sp4n import FakeSp4n, report
from publisher.intake.collect import run_source
from publisher.intake.sources.sp4n import Sp4nSource
from publisher.runtime.context import AppContext
from tests.factories import person
from tests.flow import add_account
from tests.intake_support import case_by_tracking, draft, plaintext_everywhere

BASE = datetime(2025, 6, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def sp4n() -> Iterator[tuple[FakeSp4n, str]]:
    fake = FakeSp4n()
    with ServerThread(fake.app()) as server:
        yield fake, server.url


def source(ctx: AppContext, url: str, **cfg: Any) -> Sp4nSource:
    options: dict[str, Any] = {"category_map": {"Infrastruktur Jalan": "jalan"}, **cfg}
    config = SourceConfig(name="sp4n", kind="sp4n", url=url, token="sp4n-token", **options)
    return Sp4nSource(config, ctx.http)


def make(n: int, **kw: Any) -> dict[str, Any]:
    return report(n, reporter=person(n), updated=BASE + timedelta(minutes=n), **kw)


def test_reports_are_mapped_paged_and_collected_incrementally(
    ctx: AppContext, sp4n: tuple[FakeSp4n, str]
) -> None:
    fake, url = sp4n
    fake.add(*(make(n) for n in range(1, 451)))
    src = source(ctx, url)
    counts, error = run_source(ctx.sessions, ctx.vault, src)
    assert (error, counts.new) == ("", 450)
    fake.add(make(451, status="tindak lanjut"))
    counts, _ = run_source(ctx.sessions, ctx.vault, src)
    assert (counts.fetched, counts.new) == (1, 1)
    case = case_by_tracking(ctx, "SP4N-4500451")
    assert (case.category, case.status, case.kecamatan) == ("jalan", "in_progress", "Slawi")


def test_a_custom_field_mapping_reads_another_shape(
    ctx: AppContext, sp4n: tuple[FakeSp4n, str]
) -> None:
    fake, url = sp4n
    raw = make(1)
    raw["nomor"] = raw.pop("tracking_id")
    raw["state"] = "SELESAI"
    raw.pop("status")
    fake.add(raw)
    src = source(ctx, url, field_map={"tracking_number": "nomor", "status": "state"})
    counts, error = run_source(ctx.sessions, ctx.vault, src)
    assert (error, counts.new) == ("", 1)
    assert case_by_tracking(ctx, "SP4N-4500001").status == "resolved"


def test_attachments_by_the_reporter_are_never_marked_as_the_pics(
    ctx: AppContext, sp4n: tuple[FakeSp4n, str]
) -> None:
    fake, url = sp4n
    fake.add(
        make(
            1,
            attachments=[
                {"url": f"{url}/files/a.jpg", "oleh": "instansi"},
                {"url": f"{url}/files/b.jpg", "oleh": "pelapor"},
                {"url": f"{url}/files/c.jpg"},
            ],
        )
    )
    run_source(ctx.sessions, ctx.vault, source(ctx, url))
    with ctx.sessions() as session:
        by = list(session.scalars(select(Media.supplied_by).order_by(Media.position)))
    assert by == ["pic", "reporter", "reporter"]


@pytest.mark.parametrize("flag", [True, 1, "ya", "Y"])
def test_a_rahasia_report_is_stored_but_never_reaches_a_post(
    ctx: AppContext, sp4n: tuple[FakeSp4n, str], flag: object
) -> None:
    fake, url = sp4n
    fake.add(make(1, rahasia=flag), make(2))
    add_account(ctx, "folder", "dpupr-folder")
    run_source(ctx.sessions, ctx.vault, source(ctx, url))
    posts = draft(ctx)
    secret = case_by_tracking(ctx, "SP4N-4500001")
    assert secret.privacy_mode == "rahasia"
    assert [p.case_id for p in posts if p.case_id == secret.id] == []
    assert len(posts) == 1


def test_an_anonim_reporter_appears_nowhere_but_in_the_encrypted_fields(
    ctx: AppContext, sp4n: tuple[FakeSp4n, str]
) -> None:
    fake, url = sp4n
    who = person(77)
    raw = report(
        1,
        reporter=who,
        updated=BASE,
        anonim=True,
        text=f"Saya {who['name']} ({who['phone']}) melapor jalan rusak di desa.",
        action=f"Sudah ditindaklanjuti, terima kasih Bapak/Ibu {who['name']}.",
    )
    fake.add(raw)
    add_account(ctx, "folder", "dpupr-folder")
    run_source(ctx.sessions, ctx.vault, source(ctx, url))
    posts = draft(ctx)
    stored = plaintext_everywhere(ctx)
    for value in (who["name"], who["phone"], who["nik"], who["address"]):
        assert value not in stored
        assert all(value not in p.caption for p in posts)
    case = case_by_tracking(ctx, "SP4N-4500001")
    assert case.privacy_mode == "anonim" and case.reporter is not None
    reporter = ctx.vault.decrypt_json(case.reporter)
    assert isinstance(reporter, dict) and reporter["name"] == who["name"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "dibatalkan"}, "status: unknown SP4N status"),
        ({"rahasia": "mungkin"}, "rahasia: not a yes/no flag"),
        ({"id": None}, "id: missing"),
        ({"isi": {"teks": "x"}}, "isi: expected text"),
        ({"lokasi": {"kecamatan": "Atlantis"}}, "not a kecamatan of Kabupaten Tegal"),
        ({"instansi": {"kode": "dinas-rahasia"}}, "agency: unknown agency code"),
        ({"diperbarui": "kemarin"}, "updated_at"),
    ],
)
def test_a_bad_report_is_quarantined_with_its_reason_and_the_page_goes_on(
    ctx: AppContext, sp4n: tuple[FakeSp4n, str], change: dict[str, Any], reason: str
) -> None:
    fake, url = sp4n
    broken = make(2)
    broken.update(change)
    fake.add(make(1), broken, make(3))
    counts, error = run_source(ctx.sessions, ctx.vault, source(ctx, url))
    assert (error, counts.new, counts.quarantined) == ("", 2, 1)
    with ctx.sessions() as session:
        stored = session.scalar(select(Quarantine.reason))
        assert session.scalar(select(Case.id).where(Case.external_id == "700003"))
    assert stored is not None and reason in stored


def test_a_wrong_token_and_an_unreadable_page_are_the_runs_error(
    ctx: AppContext, sp4n: tuple[FakeSp4n, str]
) -> None:
    _, url = sp4n
    config = SourceConfig(name="sp4n", kind="sp4n", url=url, token="wrong")
    _, error = run_source(ctx.sessions, ctx.vault, Sp4nSource(config, ctx.http))
    assert "HTTP 401" in error
    with ctx.sessions() as session:
        assert session.scalar(select(Post.id)) is None
