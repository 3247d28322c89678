"""Unit tests for the personal-data detector: each kind, its shapes, and its look-alikes."""

from __future__ import annotations

import itertools
import time

import pytest

from publisher.privacy import Finding, KnownIdentities, PersonalDataDetector

AGENCY_PHONE = "(0283) 491234"


@pytest.fixture(scope="module")
def detector() -> PersonalDataDetector:
    return PersonalDataDetector(public_phone_allowlist=[AGENCY_PHONE])


def kinds(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in findings]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("NIK 3328014108900002 sudah dicek", ("nik", "3328014108900002")),
        ("nik: 3328 0141 0890 0002.", ("nik", "3328 0141 0890 0002")),
        ("no 3328-0141-0890-0002", ("nik", "3328-0141-0890-0002")),
        ("ktp 332801.410890.0002", ("nik", "332801.410890.0002")),
        ("KK 3328011203150007", ("kk", "3328011203150007")),
        ("kartu keluarga nomor 3328011203150007", ("kk", "3328011203150007")),
        ("nomor 9928014108900002 di berkas", ("kk", "9928014108900002")),
    ],
)
def test_it_finds_sixteen_digit_numbers_as_nik_or_kk(
    detector: PersonalDataDetector, text: str, expected: tuple[str, str]
) -> None:
    assert kinds(detector.detect(text)) == [expected]


def test_it_reads_a_women_s_nik_with_day_plus_forty_as_a_nik(
    detector: PersonalDataDetector,
) -> None:
    assert kinds(detector.detect("NIK 3328015512900002")) == [("nik", "3328015512900002")]


def test_it_rejects_a_nik_with_an_impossible_birth_date(detector: PersonalDataDetector) -> None:
    # 31 February: still a 16-digit identifier, so still removed, but not called a NIK.
    assert kinds(detector.detect("3328013102900002")) == [("kk", "3328013102900002")]


@pytest.mark.parametrize(
    "phone",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "0812.3456.7890",
        "0812 345 6789",
        "+6281234567890",
        "6281234567890",
        "+62 812-3456-7890",
        "+62 812 3456 7890",
        "(+62) 812 3456 7890",
        "+62-812-3456-7890",
        "0283-351234",
        "(0283) 351234",
        "+62 283 351234",
    ],
)
def test_it_finds_phone_numbers_in_every_common_shape(
    detector: PersonalDataDetector, phone: str
) -> None:
    assert kinds(detector.detect(f"hubungi wa {phone} ya")) == [("phone", phone)]


def test_it_leaves_allow_listed_agency_numbers_alone(detector: PersonalDataDetector) -> None:
    assert detector.detect(f"call center {AGENCY_PHONE} dan 0283-491234") == []


@pytest.mark.parametrize(
    "text",
    [
        "Biaya Rp 1.500.000 dan Rp1.250.000,- serta IDR 2.000.000",
        "Perbaikan di KM 12+300 s.d. KM 14+500 sepanjang 2,5 km",
        "Tanggal 12 Januari 2025, 12/01/2025, 2025-01-12 dan 08.12.2025 pukul 08.30-10.00 WIB",
        "Nomor laporan LPR-2025-00123 sudah selesai",
        "Sesuai Perda No. 5 Tahun 2020 dan SK Bupati No. 100/123/2025",
        "Pak Camat Slawi dan Ibu Kepala Dinas hadir, ibu hamil dan balita dilayani",
        "Kerja bakti warga bersama Perumda Air Minum Tirta Ayu, Dewi Sri panen raya",
        "Jalan Raya Slawi-Tegal rusak, Jl. Dr. Sutomo dan Jl. KH. Mansyur sudah diaspal",
        "Terima kasih Pak. Air sudah mengalir lagi di RT setempat, Pak RT hadir",
        "Ibu-ibu PKK dan Bapak/Ibu warga Desa Kalisapu, Kec. Slawi",
        "Rp 62.500.000 untuk 3 unit, Rp 625.000.000 untuk jembatan",
    ],
)
def test_it_does_not_flag_dates_money_kilometres_tracking_numbers_and_roles(
    detector: PersonalDataDetector, text: str
) -> None:
    assert kinds(detector.detect(text)) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("email budi.santoso@example.com.", ("email", "budi.santoso@example.com")),
        ("motor G 1234 AB parkir", ("plate", "G 1234 AB")),
        ("nopol g 4321 xy", ("plate", "g 4321 xy")),
        ("plat nomor H1234ABC", ("plate", "H1234ABC")),
        ("rumah di RT 03/RW 05", ("rt_rw", "RT 03/RW 05")),
        ("rt.3 rw.5 desa", ("rt_rw", "rt.3 rw.5")),
        ("RT/RW 03/05", ("rt_rw", "RT/RW 03/05")),
        ("alamat Jl. Merpati No. 12 sudah", ("address", "Jl. Merpati No. 12")),
        ("jl merpati no 12", ("address", "jl merpati no 12")),
        ("di Gang Mawar sudah bersih", ("address", "Gang Mawar")),
        ("Perum Griya Indah Blok C2 No. 5", ("address", "Perum Griya Indah Blok C2 No. 5")),
        ("Dusun Krajan terdampak", ("address", "Dusun Krajan")),
        ("rumahnya nomor 12A", ("house_number", "nomor 12A")),
        ("transfer ke rek BRI 1234-01-000123-50-1", ("bank_account", "1234-01-000123-50-1")),
        ("norek BCA 1234567890", ("bank_account", "1234567890")),
    ],
)
def test_it_finds_structured_personal_data(
    detector: PersonalDataDetector, text: str, expected: tuple[str, str]
) -> None:
    assert kinds(detector.detect(text)) == [expected]


@pytest.mark.parametrize(
    "text, name",
    [
        ("sudah dicek ke rumah Bu Sri kemarin", "Sri"),
        ("Koordinasi dengan Bapak Joko Susilo terkait PJU", "Joko Susilo"),
        ("disampaikan ke H. Slamet dan warga", "Slamet"),
        ("Ibu Hj. Siti Aminah hadir", "Siti Aminah"),
        ("ditemui mbak ratna di lokasi", "ratna"),
        ("Sdr. Andi sudah dihubungi", "Andi"),
        ("transfer atas nama Budi Hartono", "Budi Hartono"),
        ("Kyai Mahfud memimpin doa", "Mahfud"),
    ],
)
def test_it_finds_names_introduced_by_honorifics_and_titles(
    detector: PersonalDataDetector, text: str, name: str
) -> None:
    assert kinds(detector.detect(text)) == [("name", name)]


def test_it_finds_names_on_the_case_in_their_common_variants(
    detector: PersonalDataDetector,
) -> None:
    known = KnownIdentities(names=("Drs. Putri Wahyuningsih, M.Pd",))
    text = "putri sudah dihubungi; PUTRI WAHYUNINGSIH hadir; Wahyuningsi tanda tangan"
    assert kinds(detector.detect(text, known)) == [
        ("name", "putri"),
        ("name", "PUTRI WAHYUNINGSIH"),
        ("name", "Wahyuningsi"),
    ]


def test_it_catches_case_names_that_are_everyday_words_only_in_a_name_context(
    detector: PersonalDataDetector,
) -> None:
    # Issue #16: "kerja bakti" and "Gunung Slamet" are words and places, not the reporter.
    known = KnownIdentities(names=("Bakti Putri", "Slamet Riyadi"))
    assert detector.detect("kerja bakti bersama putra putri warga di Gunung Slamet", known) == []
    text = "Sudah ketemu Pak Bakti; Slamet sudah dihubungi, milik putri; Bakti Putri hadir"
    assert kinds(detector.detect(text, known)) == [
        ("name", "Bakti"),
        ("name", "Slamet"),
        ("name", "putri"),
        ("name", "Bakti Putri"),
    ]


def test_it_finds_the_case_s_phone_and_nik_in_unusual_shapes(
    detector: PersonalDataDetector,
) -> None:
    known = KnownIdentities(phones=("081234567890",), niks=("3328014108900002",))
    text = "hp (0812) 3456-7890, ktp 33 28 01 41 08 90 00 02"
    assert [f.kind for f in detector.detect(text, known)] == ["phone", "nik"]


def test_it_finds_the_case_s_address_but_not_its_village(detector: PersonalDataDetector) -> None:
    known = KnownIdentities(addresses=("Jl. Kenari Raya, RT 2, Desa Kalisapu, Kec. Slawi",))
    found = kinds(detector.detect("dicek ke jl. kenari raya, Desa Kalisapu", known))
    assert found == [("address", "jl. kenari raya")]


def test_findings_are_sorted_and_never_overlap(detector: PersonalDataDetector) -> None:
    known = KnownIdentities(names=("Sri Rejeki",))
    text = "Bu Sri Rejeki di Jl. Sri Rejeki No. 4 RT 03/RW 05 hp 0812-3456-7890"
    found = detector.detect(text, known)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    assert [f.kind for f in found] == ["name", "address", "rt_rw", "phone"]


def test_a_finding_s_repr_does_not_show_the_personal_data() -> None:
    finding = Finding("phone", 0, 12, "081234567890")
    assert "0812" not in repr(finding)


def test_it_finds_a_phone_number_glued_to_hp_or_wa(detector: PersonalDataDetector) -> None:
    assert kinds(detector.detect("hp0812345678901 / wa081234567890")) == [
        ("phone", "0812345678901"),
        ("phone", "081234567890"),
    ]


@pytest.mark.parametrize(
    "text",
    ["a" * 50_000 + "@", "x@" + "a." * 25_000, "1" * 50_000, "0812-" * 10_000, "bu " * 20_000],
)
def test_it_stays_linear_on_adversarial_input(detector: PersonalDataDetector, text: str) -> None:
    known = KnownIdentities(names=("Sri Wahyuni",), phones=("081234567890",))
    started = time.perf_counter()
    detector.detect(text, known)
    assert time.perf_counter() - started < 2.0
