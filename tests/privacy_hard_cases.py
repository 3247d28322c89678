"""Hard cases for the personal-data detector: identities written the way PICs and reporters write.

Issue #16 measured the detector on notes where identities are not written tidily: phone
numbers split by " - " or across a line break, NIKs in pairs, e-mails as "nama [at] gmail [dot]
com", plates as "g-1234-ab", names after Javanese kin words ("Lik Darsono"), after a role
("Pak RT Warsito"), with "-nya" ("Sugengnya"), WhatsApp signatures, descriptive addresses. This
module plants each of those *forms* (and a plain control form per kind) into short notes and
records the exact span of every planted identifier; clean texts look risky but hold none
(official titles, public office addresses, dates and money, case names that are also common
words or places used as words: "kerja bakti", "Gunung Slamet").

People come from Faker ``id_ID`` (generated, never real); numbers, plates and the sentence
templates are our own. Used by tests/test_privacy_hard_cases.py and bench/privacy.py.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from faker import Faker

from publisher.privacy.lexicon import NAME_PARTICLES
from publisher.privacy.model import Finding, KnownIdentities

# The kind a planted identifier belongs to (issue #16's table), by form.
KINDS: Final = ("name", "phone", "nik", "email", "plate", "address", "rt_rw")

_OPERATORS: Final = ("0812", "0813", "0821", "0852", "0857", "0877", "0878", "0895", "0896")
_REGIONS: Final = ("G", "G", "G", "H", "K", "B", "AA", "AD", "R")
_DOMAINS: Final = ("gmail", "yahoo", "ymail", "outlook")
_KIN: Final = (
    "Mbah", "mbah", "Lik", "lik", "Kang", "kang", "Yu", "yu", "mas", "mbak", "Pakde", "Bude",
    "pakde", "bude", "Cak", "Mbok", "Bulik", "Paklik", "Om", "Wak", "Nyai", "Mbakyu",
)  # fmt: skip
_ROLES: Final = ("RT", "RW", "Kadus", "Kadus", "Bidan", "Modin", "Bayan", "Mantri", "Guru")
_FILLERS: Final = (
    "Sudah dicek ke lokasi.", "Pipa bocor sudah diganti oleh petugas.",
    "Lampu PJU sudah menyala kembali.", "Tim DPUPR sudah turun ke lapangan.",
    "Saluran sudah dibersihkan dari sampah.", "Jalan berlubang sudah ditambal.",
    "Bantuan sudah disalurkan lewat pemdes.", "Air sudah mengalir normal.",
)  # fmt: skip
_LANDMARKS: Final = (
    "musholla Al-Ikhlas", "masjid Baiturrahman", "toko Barokah", "warung bakso", "pos ronda",
    "SD Negeri 2", "balai desa", "bengkel motor", "toko bangunan Sinar Jaya",
)  # fmt: skip
_COLOURS: Final = ("hijau", "biru", "kuning", "putih", "pink", "coklat")


@dataclass(frozen=True, slots=True)
class Planted:
    kind: str
    form: str
    start: int
    end: int


@dataclass(slots=True)
class HardCase:
    text: str
    known: KnownIdentities
    planted: list[Planted] = field(default_factory=list)
    form: str = ""  # for clean texts: which risky look they have


class _Pools:
    """Faker draws once per seed (Faker is slow per call), then sampled with random.Random."""

    def __init__(self, seed: int) -> None:
        fake = Faker("id_ID")
        fake.seed_instance(seed)
        firsts = {fake.first_name() for _ in range(600)}
        lasts = {fake.last_name() for _ in range(300)}
        # One-word Faker names that are also everyday words would make a clean text dirty.
        # Faker also gives titles as first names ("Puti"): a title is not a name.
        self.firsts = sorted(
            n for n in firsts if " " not in n and len(n) >= 4 and n.lower() not in NAME_PARTICLES
        )
        self.lasts = sorted(n for n in lasts if " " not in n and len(n) >= 4)
        self.users = sorted({fake.user_name() for _ in range(300)})


class _Builder:
    """Appends text pieces and records the spans of the planted ones."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.planted: list[Planted] = []

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        self.length += len(piece)

    def plant(self, kind: str, form: str, piece: str) -> None:
        self.planted.append(Planted(kind, form, self.length, self.length + len(piece)))
        self.add(piece)

    def text(self) -> str:
        return "".join(self.parts)


# -- identifiers in each form -----------------------------------------------------------------


def _phone_digits(rng: random.Random) -> str:
    return rng.choice(_OPERATORS) + "".join(rng.choice("0123456789") for _ in range(8))


def _phone(rng: random.Random, form: str) -> str:
    d = _phone_digits(rng)
    a, b, c = d[:4], d[4:8], d[8:]
    match form:
        case "plain":
            return rng.choice((d, f"{a}-{b}-{c}", f"{a} {b} {c}"))
        case "spaced_dash":
            return f"{a} - {b} - {c}"
        case "spaced_dot":
            return f"{a} . {b} . {c}"
        case "slashes":
            return rng.choice((f"{a}/{b}/{c}", f"{a} / {b} / {c}"))
        case "line_break":
            return f"{a} {b}\n{c}"
        case "pairs":
            return " ".join(d[i : i + 2] for i in range(0, len(d), 2))
        case "digit_by_digit":
            return " ".join(d)
        case _:  # "intl_spaced"
            return f"+62 {d[1:4]} - {d[4:8]} - {d[8:]}"


PHONE_FORMS: Final = (
    "plain", "spaced_dash", "spaced_dot", "slashes", "line_break", "pairs", "digit_by_digit",
    "intl_spaced",
)  # fmt: skip


def _nik_digits(rng: random.Random) -> str:
    day = rng.randint(1, 28) + rng.choice((0, 40))
    return (
        "3328"
        + f"{rng.randint(1, 18):02d}"
        + f"{day:02d}{rng.randint(1, 12):02d}{rng.randint(50, 99):02d}"
        + f"{rng.randint(1, 9999):04d}"
    )


def _nik(rng: random.Random, form: str) -> str:
    d = _nik_digits(rng)
    match form:
        case "plain":
            return d
        case "split_8_8":
            return f"{d[:8]} {d[8:]}"
        case "split_4_2_6_4":
            return f"{d[:4]} {d[4:6]} {d[6:12]} {d[12:]}"
        case "pairs":
            return " ".join(d[i : i + 2] for i in range(0, 16, 2))
        case _:  # "glued": the caller glues it to a word
            return d


NIK_FORMS: Final = ("plain", "split_8_8", "split_4_2_6_4", "pairs", "glued")


def _email(rng: random.Random, pools: _Pools, form: str) -> str:
    user = rng.choice(pools.users)
    dom = rng.choice(_DOMAINS)
    match form:
        case "plain":
            return f"{user}@{dom}.com"
        case "brackets":
            return f"{user} [at] {dom} [dot] com"
        case "parens":
            return f"{user} (at) {dom} (dot) com"
        case "spaced":
            return f"{user} @ {dom} . com"
        case _:  # "words"
            return rng.choice((f"{user} at {dom} dot com", f"{user} et {dom} titik com"))


EMAIL_FORMS: Final = ("plain", "brackets", "parens", "spaced", "words")


def _plate(rng: random.Random, form: str) -> str:
    region = rng.choice(_REGIONS)
    num = str(rng.randint(1, 9999))
    suffix = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.randint(1, 3)))
    match form:
        case "plain":
            return f"{region} {num} {suffix}"
        case "dashes":
            return f"{region}-{num}-{suffix}"
        case "dots":
            return f"{region}.{num}.{suffix}"
        case _:  # "lower"
            return rng.choice((f"{region} {num} {suffix}", f"{region}-{num}-{suffix}")).lower()


PLATE_FORMS: Final = ("plain", "dashes", "dots", "lower")


def _rt_rw(rng: random.Random, form: str) -> str:
    rt, rw = rng.randint(1, 15), rng.randint(1, 9)
    match form:
        case "plain":
            return f"RT {rt:02d} RW {rw:02d}"
        case "short_slash":
            return rng.choice((f"RT {rt:02d}/{rw:02d}", f"RT {rt:02d}/RW {rw:02d}"))
        case "dotted":
            return rng.choice((f"RT.{rt:03d}/RW.{rw:03d}", f"Rt.{rt:02d} Rw.{rw:02d}"))
        case "glued":
            return rng.choice((f"rt{rt}rw{rw}", f"Rt{rt:02d}/Rw{rw:02d}", f"RT{rt:02d}RW{rw:02d}"))
        case "combined":
            return rng.choice((f"RT/RW {rt:02d}/{rw:02d}", f"RT/RW. {rt:03d}/{rw:03d}"))
        case _:  # "spaced_slash"
            return rng.choice((f"RT {rt} / RW {rw}", f"rt {rt} rw {rw}", f"RW {rw} RT {rt}"))


RT_RW_FORMS: Final = ("plain", "short_slash", "dotted", "glued", "combined", "spaced_slash")

NAME_FORMS: Final = (
    "honorific", "kin_word", "after_punctuation", "after_stopword", "role", "nya_known",
    "possessive", "signature", "known_plain",
)  # fmt: skip
ADDRESS_FORMS: Final = ("street_number", "descriptive_house", "descriptive_gang")


# -- notes ------------------------------------------------------------------------------------


def _name(rng: random.Random, pools: _Pools) -> str:
    return rng.choice(pools.firsts)


def _plant_name(b: _Builder, rng: random.Random, pools: _Pools, form: str) -> list[str]:
    """Plant one name in ``form``; returns the names the case record knows."""
    first = _name(rng, pools)
    match form:
        case "honorific":
            hon = rng.choice(("Pak", "Bu", "Bapak", "Ibu", "Mas", "Mbak", "Sdr."))
            b.add(f"Sudah dikonfirmasi ke {hon} ")
            b.plant("name", form, f"{first} {rng.choice(pools.lasts)}")
            b.add(" lewat telepon.")
            return []
        case "kin_word":
            b.add(rng.choice(("Sudah disampaikan ke ", "Yang melapor ", "Dicek bareng ")))
            b.add(rng.choice(_KIN) + " ")
            b.plant("name", form, first if rng.random() < 0.5 else first.lower())
            b.add(rng.choice((" yang tinggal di situ.", ", beliau setuju.", " tadi pagi.")))
            return []
        case "after_punctuation":
            b.add("Sudah ketemu ")
            b.add(rng.choice(("Bu. ", "Pak. ", "Pak,", "Bu,", "Pak.", "Bu ,", "Mas. ")))
            b.plant("name", form, first)
            b.add(" di lokasi.")
            return []
        case "after_stopword":
            b.add(rng.choice(("Koordinasi dengan ", "Diterima oleh ", "Sudah bicara sama ")))
            b.add(rng.choice(("Ibu ", "Bapak ", "ibu ", "bapak ", "Pak ", "Bu ")))
            b.plant("name", form, first)
            b.add(" dan warga sekitar.")
            return []
        case "role":
            b.add("Dikonfirmasi juga oleh ")
            b.add(rng.choice(("Pak ", "Bu ", "")) + rng.choice(_ROLES) + " ")
            b.plant("name", form, first)
            b.add(".")
            return []
        case "nya_known":
            b.plant("name", form, first + rng.choice(("nya", "nya", "ne")))
            b.add(" sdh dihubungi, katanya sudah beres.")
            return [f"{first} {rng.choice(pools.lasts)}"]
        case "possessive":
            b.add(rng.choice(("Dicek ke rumahnya ", "Ketemu istrinya ", "Sudah ke rumah ")))
            b.plant("name", form, first)
            b.add(" kemarin sore.")
            return []
        case "signature":
            b.add(rng.choice(_FILLERS))
            b.add(
                rng.choice(("\nTerima kasih,\n", "\nSalam,\n", "\n\n- ", "\nttd. ", "\nWassalam\n"))
            )
            b.plant("name", form, first)
            return []
        case _:  # "known_plain"
            b.add("Keluhan dari ")
            b.plant("name", form, first)
            b.add(" sudah ditindaklanjuti.")
            return [f"{first} {rng.choice(pools.lasts)}"]


def _plant_address(b: _Builder, rng: random.Random, pools: _Pools, form: str) -> None:
    match form:
        case "street_number":
            b.add("Lokasi di ")
            b.plant("address", form, f"Gg. {rng.choice(pools.lasts)} No. {rng.randint(1, 80)}")
            b.add(", sudah dicek.")
        case "descriptive_house":
            b.add("Dicek ke ")
            b.plant(
                "address",
                form,
                f"rumah cat {rng.choice(_COLOURS)} sebelah {rng.choice(_LANDMARKS)}",
            )
            b.add(", pemilik sudah ditemui.")
        case _:
            b.add("Saluran di ")
            where = rng.choice(("sebelah", "depan", "belakang", "samping"))
            b.plant("address", form, f"gang {where} {rng.choice(_LANDMARKS)}")
            b.add(" sudah dibersihkan.")


def _dirty(rng: random.Random, pools: _Pools, kind: str, form: str) -> HardCase:
    b = _Builder()
    names: list[str] = []
    if rng.random() < 0.5:
        b.add(rng.choice(_FILLERS) + " ")
    match kind:
        case "name":
            names = _plant_name(b, rng, pools, form)
        case "phone":
            b.add(rng.choice(("Nomor lain keluarga: ", "hp ", "WA: ", "Bisa dihubungi di ")))
            b.plant("phone", form, _phone(rng, form))
            b.add(rng.choice((".", " (pelapor).", " terima kasih.")))
        case "nik":
            if form == "glued":
                b.add(rng.choice(("NIK", "nik:", "Noktp", "NIK.")))
            else:
                b.add(rng.choice(("NIK ", "NIK pelapor ", "no KTP: ")))
            b.plant("nik", form, _nik(rng, form))
            b.add(" sudah diverifikasi.")
        case "email":
            b.add(rng.choice(("Email pelapor ", "Kirim ke email ", "surel: ")))
            b.plant("email", form, _email(rng, pools, form))
            b.add(" ya.")
        case "plate":
            b.add(rng.choice(("Truk ", "Motor dengan nopol ", "Mobil plat ", "Kendaraan ")))
            b.plant("plate", form, _plate(rng, form))
            b.add(" parkir di bahu jalan.")
        case "rt_rw":
            b.add("Lokasi di ")
            b.plant("rt_rw", form, _rt_rw(rng, form))
            b.add(f" Desa {rng.choice(('Kalisapu', 'Procot', 'Kudaile'))}.")
        case _:
            _plant_address(b, rng, pools, form)
    return HardCase(b.text(), KnownIdentities(names=tuple(names)), b.planted)


FORMS: Final[dict[str, tuple[str, ...]]] = {
    "name": NAME_FORMS,
    "phone": PHONE_FORMS,
    "nik": NIK_FORMS,
    "email": EMAIL_FORMS,
    "plate": PLATE_FORMS,
    "address": ADDRESS_FORMS,
    "rt_rw": RT_RW_FORMS,
}


@functools.lru_cache(maxsize=4)
def _pools(seed: int) -> _Pools:
    return _Pools(seed)


def hard_note(kind: str, form: str, seed: int) -> HardCase:
    """One note with one identifier of ``kind`` written in ``form`` (people from a fixed pool,
    everything else drawn from ``seed``): for property tests that drive the whole pipeline."""
    return _dirty(random.Random(seed), _pools(0), kind, form)


def generate_dirty(n: int, seed: int) -> list[HardCase]:
    """``n`` notes, each with one planted identifier; kinds and forms in turn, so all appear."""
    rng = random.Random(seed)
    pools = _Pools(seed)
    pairs = [(k, f) for k in KINDS for f in FORMS[k]]
    return [_dirty(rng, pools, *pairs[i % len(pairs)]) for i in range(n)]


# -- clean texts that look risky --------------------------------------------------------------

_AMBIGUOUS: Final = (  # (case name, clean text using the word as a word or a place)
    ("Bakti", "Warga RT setempat ikut kerja bakti membersihkan saluran."),
    ("Bakti", "Kerja Bakti massal dijadwalkan hari Minggu."),
    ("Slamet", "Longsor kecil di jalur pendakian Gunung Slamet sudah ditangani BPBD."),
    ("Slamet", "Air dari lereng Gunung Slamet mengalir normal ke irigasi."),
    ("Jaya", "Toko bangunan Sinar Jaya menyumbang semen untuk perbaikan."),
    ("Sari", "Pasar Sari Mulya sudah dibersihkan petugas DLH."),
    ("Ayu", "Perumda Air Minum Tirta Ayu sudah memperbaiki pipa."),
    ("Budi", "Program Budi Daya lele warga didampingi penyuluh."),
)
_CLEAN_TEMPLATES: Final[tuple[tuple[str, Callable[[random.Random], str]], ...]] = (
    ("official_title", lambda r: "Bupati Tegal sudah meninjau lokasi bersama Camat Slawi."),
    ("official_title", lambda r: "Pak Camat Pangkah dan Kepala DPUPR hadir di lokasi."),
    ("official_title", lambda r: "Sudah dikoordinasikan dengan Pak Kades dan Bu Bidan desa."),
    ("official_title", lambda r: "Kepala Dinas Sosial menyampaikan terima kasih kepada warga."),
    ("public_office", lambda r: "Warga bisa datang ke Kantor Kecamatan Slawi, Jl. Dr. Sutomo."),
    ("public_office", lambda r: "Pendaftaran di Balai Desa Procot, Jalan Raya Pagerbarang."),
    (
        "public_office",
        lambda r: f"Layanan di kantor Disdukcapil, Jl. Raya Banjaran No. {r.randint(1, 90)}.",
    ),
    ("public_office", lambda r: "Hubungi Call Center Pemkab di (0283) 491234 pada jam kerja."),
    (
        "numbers",
        lambda r: (
            f"Dikerjakan tanggal {r.randint(1, 28):02d}/{r.randint(1, 12):02d}/2026 "
            f"pukul {r.randint(7, 16):02d}.{r.choice(('00', '30'))}."
        ),
    ),
    ("numbers", lambda r: f"Anggaran Rp {r.randint(1, 90)}.500.000 dari dana desa tahun 2026."),
    (
        "numbers",
        lambda r: f"Perbaikan sepanjang {r.randint(2, 900)} meter di km {r.randint(1, 30)}.",
    ),
    (
        "numbers",
        lambda r: f"Sesuai surat nomor 600/{r.randint(100, 999)}/2026 tanggal 12 Mei 2026.",
    ),
    ("common_words", lambda r: "Pipa sudah diganti, Mas. Pipa lama sudah berkarat."),
    ("common_words", lambda r: "Terima kasih Pak. Air sudah mengalir kembali."),
    ("common_words", lambda r: "Sudah dicek bersama tim, jalan sudah rata dan aman dilalui."),
    ("common_words", lambda r: "Gang sudah dibersihkan dan lampu jalan sudah menyala."),
)


def generate_clean(n: int, seed: int) -> list[HardCase]:
    """``n`` clean notes: every third uses a case name that is also a common word or place."""
    rng = random.Random(seed)
    out: list[HardCase] = []
    for i in range(n):
        if i % 3 == 0:
            name, text = _AMBIGUOUS[(i // 3) % len(_AMBIGUOUS)]
            known = KnownIdentities(names=(f"{name} {rng.choice(('Riyadi', 'Santoso'))}",))
            out.append(HardCase(text, known, form="case_name_as_word"))
        else:
            form, make = _CLEAN_TEMPLATES[rng.randrange(len(_CLEAN_TEMPLATES))]
            out.append(HardCase(make(rng), KnownIdentities(), form=form))
    return out


# -- scoring ----------------------------------------------------------------------------------


class Detects(Protocol):
    def detect(self, text: str, known: KnownIdentities | None = None) -> list[Finding]: ...


def covered(findings: Sequence[Finding], start: int, end: int) -> bool:
    """Every character of ``start..end`` lies inside some finding (findings do not overlap)."""
    inside = sum(max(0, min(f.end, end) - max(f.start, start)) for f in findings)
    return inside == end - start


# The finding kinds that count as the planted kind (a 16-digit number is a NIK or a KK by its
# context; a street with a house number may be named after its number).
SAME_KIND: Final[dict[str, frozenset[str]]] = {
    "nik": frozenset({"nik", "kk"}),
    "address": frozenset({"address", "house_number"}),
}


def covered_as(findings: Sequence[Finding], planted: Planted) -> bool:
    """Covered by findings *of the planted kind* only. A plain phone is also a run of digits the
    bank-account fallback would cover, and a known number is found by value: coverage by any
    kind hides a dead phone pattern, coverage by the planted kind does not (issue #16)."""
    kinds = SAME_KIND.get(planted.kind, frozenset({planted.kind}))
    return covered([f for f in findings if f.kind in kinds], planted.start, planted.end)


@dataclass(slots=True)
class HardReport:
    planted: Counter[tuple[str, str]] = field(default_factory=Counter)
    covered: Counter[tuple[str, str]] = field(default_factory=Counter)
    clean: Counter[str] = field(default_factory=Counter)
    damaged: Counter[str] = field(default_factory=Counter)

    def recall(self, kind: str, form: str | None = None) -> float:
        keys = [k for k in self.planted if k[0] == kind and (form is None or k[1] == form)]
        planted = sum(self.planted[k] for k in keys)
        return sum(self.covered[k] for k in keys) / planted if planted else 1.0

    def damage(self, form: str | None = None) -> float:
        keys = [k for k in self.clean if form is None or k == form]
        total = sum(self.clean[k] for k in keys)
        return sum(self.damaged[k] for k in keys) / total if total else 0.0

    @property
    def overall_recall(self) -> float:
        total = sum(self.planted.values())
        return sum(self.covered.values()) / total if total else 1.0


def evaluate(detector: Detects, dirty: Sequence[HardCase], clean: Sequence[HardCase]) -> HardReport:
    report = HardReport()
    for case in dirty:
        findings = detector.detect(case.text, case.known)
        for p in case.planted:
            report.planted[p.kind, p.form] += 1
            if covered(findings, p.start, p.end):
                report.covered[p.kind, p.form] += 1
    for case in clean:
        report.clean[case.form] += 1
        if detector.detect(case.text, case.known):
            report.damaged[case.form] += 1
    return report
