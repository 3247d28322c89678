"""Generated evaluation corpus: how PICs write follow-up notes, with planted personal data.

Used by tests/test_privacy_corpus.py (10,000 + 10,000 texts) and bench/privacy.py (100,000 +
100,000). People, streets and plates come from Faker ``id_ID`` (drawn once into pools, then
sampled with :class:`random.Random` so a large corpus is quick to build); NIK/KK, phone numbers,
RT/RW, bank accounts and the sentence templates are our own, written after the way PICs note
things down ("sudah dicek ke rumah Bu Sri RT 03/RW 05, hp 0812...").

*Dirty* texts carry planted personal data whose exact spans are recorded; *clean* texts carry
none, but are full of what must not be flagged: dates, money, road kilometres, tracking numbers,
regulation numbers, public agency phone numbers, officials addressed by role ("Pak Camat"),
common words that are also given names ("kerja bakti", "Tirta Ayu"), public road names.
Clean texts still have the case's known identities attached, as in production.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from publisher.privacy.detector import PersonalDataDetector
from publisher.privacy.lexicon import COMMON_WORDS, NAME_LIKE_WORDS, NAME_PARTICLES, NOT_NAMES
from publisher.privacy.model import Finding, KnownIdentities

# Planted kinds: the detector's kinds, except names, which are split by how they are found.
STRUCTURED_KINDS: Final = ("nik", "kk", "phone", "email", "plate")
OTHER_KINDS: Final = ("address", "rt_rw", "house_number", "bank_account")

PUBLIC_PHONES: Final = ("(0283) 491234", "0283-491235", "+62 283 491236", "0283 3502112")

KECAMATAN: Final = (
    "Adiwerna", "Balapulang", "Bojong", "Bumijawa", "Dukuhturi", "Dukuhwaru", "Jatinegara",
    "Kedungbanteng", "Kramat", "Lebaksiu", "Margasari", "Pagerbarang", "Pangkah", "Slawi",
    "Suradadi", "Talang", "Tarub", "Warureja",
)  # fmt: skip
DESA: Final = (
    "Kalisapu", "Procot", "Dukuhwringin", "Pesarean", "Kudaile", "Trayeman", "Pakembaran",
    "Dukuhsalam", "Kagok", "Balamoa", "Lebeteng", "Pagiyanten", "Kemantran", "Harjosari",
    "Kendayakan", "Mindaka", "Kaladawa", "Penusupan", "Kajen", "Dampyak", "Grobog Wetan",
)  # fmt: skip
AGENCIES: Final = (
    "DPUPR", "Dinas Perhubungan", "Perumda Air Minum Tirta Ayu", "DLH", "Dinas Sosial",
    "Disdukcapil", "Dinas Kesehatan", "BPBD", "Satpol PP", "Diskominfo", "Kecamatan Slawi",
)  # fmt: skip
PUBLIC_ROADS: Final = (
    "Jalan Raya Slawi-Tegal", "Jl. Raya Pagerbarang", "Jl. Dr. Sutomo", "Jalan Jend. Sudirman",
    "Jl. KH. Mansyur", "ruas Jalan Kabupaten Dukuhwaru-Kalisoka", "Jl. Raya Banjaran",
)  # fmt: skip
HONORIFIC_WEIGHTS: Final = (
    ("Pak", 20), ("Bu", 20), ("Bapak", 10), ("Ibu", 10), ("Mas", 6), ("Mbak", 6), ("Sdr.", 6),
    ("Sdri.", 3), ("H.", 4), ("Hj.", 4), ("Kyai", 2), ("Ustadz", 2), ("Mbah", 2), ("Bpk.", 3),
    ("Saudara", 2), ("Gus", 1), ("Kang", 1), ("a.n.", 2), ("atas nama", 2),
)  # fmt: skip
OPERATORS: Final = (
    "0811", "0812", "0813", "0821", "0822", "0823", "0851", "0852", "0853", "0855", "0856",
    "0857", "0858", "0877", "0878", "0881", "0882", "0895", "0896", "0897", "0898", "0838",
)  # fmt: skip
BANKS: Final = ("BRI", "BNI", "BCA", "Mandiri", "BSI", "Bank Jateng", "BTN")
MONTHS: Final = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember",
)  # fmt: skip
_NIK_AREAS: Final = ("332801", "332802", "332805", "332810", "332814", "337601", "330201")


@dataclass(frozen=True, slots=True)
class Planted:
    """A piece of personal data planted at ``[start, end)``; kind ``name_known`` or
    ``name_unknown`` for names (on the case / introduced by an honorific), else a detector kind.
    """

    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CorpusText:
    text: str
    known: KnownIdentities
    planted: tuple[Planted, ...] = ()


class _Builder:
    """Concatenates text pieces while recording where planted data lands."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.planted: list[Planted] = []

    def add(self, text: str, kind: str | None = None) -> None:
        if kind is not None:
            self.planted.append(Planted(kind, self.size, self.size + len(text)))
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class Pools:
    first_names: list[str]
    last_names: list[str]
    full_names: list[str]
    streets: list[str]
    plates: list[str]
    emails: list[str]
    words: set[str] = field(default_factory=set)


def load_pools(seed: int) -> Pools:
    """Faker ``id_ID`` people, streets, plates and e-mail addresses, drawn once per seed."""
    from faker import Faker  # imported here: Faker is slow to import and only the corpus needs it

    fake = Faker("id_ID")
    fake.seed_instance(seed)
    firsts = [fake.first_name() for _ in range(1500)]
    lasts = [fake.last_name() for _ in range(800)]
    fulls = [fake.name() for _ in range(1500)]
    streets = [fake.street() for _ in range(300)] + ["Merpati", "Mawar", "Kenari", "Cempaka"]
    plates = [fake.license_plate() for _ in range(500)]
    emails = [fake.free_email() for _ in range(500)]
    return Pools(firsts, lasts, fulls, streets, plates, emails)


def _two(r: random.Random, lo: int, hi: int) -> str:
    return f"{r.randint(lo, hi):02d}"


# -- personal data in the shapes PICs write them ------------------------------------------------


def make_nik(r: random.Random, *, female: bool | None = None) -> str:
    area = r.choice(_NIK_AREAS)
    day = r.randint(1, 28) + (40 if (r.random() < 0.5 if female is None else female) else 0)
    return f"{area}{day:02d}{_two(r, 1, 12)}{_two(r, 0, 99)}{r.randint(1, 2999):04d}"


def make_kk(r: random.Random) -> str:
    return f"{r.choice(_NIK_AREAS)}{_two(r, 1, 28)}{_two(r, 1, 12)}{_two(r, 5, 24)}" + (
        f"{r.randint(1, 9999):04d}"
    )


def shape_sixteen(r: random.Random, digits: str) -> str:
    style = r.randrange(6)
    if style < 3:
        return digits
    sep = " .-"[style - 3]
    if r.random() < 0.7:
        return sep.join(digits[i : i + 4] for i in range(0, 16, 4))
    return f"{digits[:6]}{sep}{digits[6:12]}{sep}{digits[12:]}"


def make_mobile(r: random.Random) -> str:
    """A mobile number, national form, 11 to 13 digits."""
    rest = "".join(str(r.randrange(10)) for _ in range(r.choice((7, 8, 8, 9))))
    return r.choice(OPERATORS) + rest


def shape_mobile(r: random.Random, national: str) -> str:
    sub = national[1:]
    body = national[4:]
    style = r.randrange(12)
    if style == 0:
        return national
    if style in (1, 2, 3):
        sep = " -."[style - 1]
        return f"{national[:4]}{sep}{body[:4]}{sep}{body[4:]}"
    if style == 4:
        return f"{national[:4]}-{body[:3]}-{body[3:6]}-{body[6:]}".rstrip("-")
    if style == 5:
        return f"+62{sub}"
    if style == 6:
        return f"62{sub}"
    if style == 7:
        return f"+62 {sub[:3]}-{sub[3:7]}-{sub[7:]}"
    if style == 8:
        return f"+62 {sub[:3]} {sub[3:7]} {sub[7:]}"
    if style == 9:
        return f"(+62) {sub[:3]} {sub[3:7]} {sub[7:]}"
    if style == 10:
        return f"+62-{sub[:3]}-{sub[3:7]}-{sub[7:]}"
    return f"{national[:4]} {body[:3]} {body[3:]}"


def make_landline(r: random.Random) -> str:
    area = r.choice(("0283", "0283", "0283", "024", "021", "0284", "0285"))
    local = "".join(str(r.randrange(10)) for _ in range(6 if len(area) == 4 else 7))
    style = r.randrange(4)
    if style == 0:
        return f"({area}) {local}"
    if style == 1:
        return f"{area}-{local}"
    if style == 2:
        return f"+62 {area[1:]} {local}"
    return f"({area}) {local[:3]}-{local[3:]}"


def make_plate(r: random.Random, pools: Pools) -> str:
    if r.random() < 0.4:
        return pools.plates[r.randrange(len(pools.plates))]
    region = r.choice(("G", "G", "G", "H", "K", "R", "B", "AA", "AD"))
    num = str(r.randint(1, 9999))
    suffix = "".join(r.choice("ABCDEFGHIJKLMNOPRSTUVWXYZ") for _ in range(r.randint(1, 3)))
    return f"{region} {num} {suffix}" if r.random() < 0.85 else f"{region}{num}{suffix}"


def make_rt_rw(r: random.Random) -> str:
    rt, rw = r.randint(1, 15), r.randint(1, 9)
    return r.choice(
        (
            f"RT {rt:02d}/RW {rw:02d}",
            f"RT {rt} RW {rw}",
            f"RT.{rt:02d}/RW.{rw:02d}",
            f"rt {rt:02d} rw {rw:02d}",
            f"RT/RW {rt:02d}/{rw:02d}",
            f"Rt {rt:03d}/Rw {rw:03d}",
            f"RT {rt:02d}",
            f"rt{rt:02d}/rw{rw:02d}",
        )
    )


def make_address(r: random.Random, pools: Pools) -> str:
    street = pools.streets[r.randrange(len(pools.streets))]
    n = r.randint(1, 250)
    style = r.randrange(9)
    if style == 0:
        return f"Jl. {street} No. {n}"
    if style == 1:
        return f"Jalan {street} No. {n}"
    if style == 2:
        return f"Gg. {street} No. {n}"
    if style == 3:
        return f"Gang {street}"
    if style == 4:
        block = r.choice("ABCDEFGH") + str(r.randint(1, 12))
        return f"Perum {r.choice(('Griya', 'Taman', 'Pesona'))} {street} Blok {block} No. {n}"
    if style == 5:
        return f"jl {street.lower()} no {n}"
    if style == 6:
        return f"Dusun {r.choice(('Krajan', 'Karangjati', 'Sidamulya', 'Wetan'))}"
    if style == 7:
        return f"Jl. {street} {n}"
    return f"Blok {r.choice('ABCDEFGH')}{r.randint(1, 12)} No. {n}"


def make_account(r: random.Random) -> tuple[str, str]:
    bank = r.choice(BANKS)
    if bank == "BRI":
        num = f"{r.randint(0, 9999):04d}-01-{r.randint(0, 999999):06d}-{r.randint(10, 99)}-1"
    elif bank == "BCA":
        num = "".join(str(r.randrange(10)) for _ in range(10))
    elif bank == "Mandiri":
        num = f"{r.randint(100, 199)}-00-{r.randint(0, 9999999):07d}-{r.randint(0, 9)}"
    else:
        num = "".join(str(r.randrange(10)) for _ in range(r.choice((10, 12, 13))))
    return bank, num


def typo(r: random.Random, word: str) -> str:
    """One edit (substitution, deletion, insertion or transposition), never on the first letter."""
    for _ in range(20):
        i = r.randint(1, len(word) - 1)
        op = r.randrange(4)
        letter = r.choice("aiueonrstk")
        if op == 0:
            out = word[:i] + letter + word[i + 1 :]
        elif op == 1:
            out = word[:i] + word[i + 1 :]
        elif op == 2:
            out = word[:i] + letter + word[i:]
        else:
            j = min(i + 1, len(word) - 1)
            out = word[:i] + word[j] + word[i] + word[j + 1 :] if j > i else word[:i] + letter
        low = out.lower()
        # A typo that lands on an everyday word is indistinguishable from that word.
        if out != word and low not in COMMON_WORDS and low not in NAME_LIKE_WORDS:
            return out
    return word


def _name_words(name: str) -> list[str]:
    core = name.split(",", 1)[0]
    return [
        w for w in core.split() if "." not in w and len(w) >= 3 and w.lower() not in NAME_PARTICLES
    ]


def _known_name_variant(r: random.Random, full: str) -> str:
    words = _name_words(full) or [full]
    style = r.randrange(10)
    if style <= 1:
        return " ".join(words)
    if style <= 3:
        return words[0]
    if style == 4:
        return " ".join(words).lower()
    if style == 5:
        return words[0].upper()
    if style == 6:
        return words[-1]
    long_words = [w for w in words if len(w) >= 5 and w.lower() not in NAME_LIKE_WORDS]
    if style >= 8 and long_words:
        return typo(r, r.choice(long_words))
    return words[0].lower()


def _unknown_name(r: random.Random, pools: Pools, avoid: set[str]) -> tuple[str, str]:
    """An honorific and a name that is not on the case."""
    hons = [h for h, _ in HONORIFIC_WEIGHTS]
    weights = [w for _, w in HONORIFIC_WEIGHTS]
    while True:
        first = pools.first_names[r.randrange(len(pools.first_names))]
        if first.lower() in avoid or first.lower() in NOT_NAMES:
            continue
        hon = r.choices(hons, weights)[0]
        name = first
        if r.random() < 0.35:
            name = f"{first} {pools.last_names[r.randrange(len(pools.last_names))]}"
        if hon not in ("H.", "Hj.") and r.random() < 0.12:
            name = first.lower()
        return hon, name


# -- templates ----------------------------------------------------------------------------------
# Each template is a sequence of literal text and {slot}s; slots in _PLANTED are personal data.

DIRTY_TEMPLATES: Final[tuple[str, ...]] = (
    "sudah dicek ke rumah {hon_known} {rt_rw}, hp {phone}",
    "Tindak lanjut: petugas {agency} mendatangi {unknown} di {address} {rt_rw} Desa {desa} "
    "pada {date}. Kontak pelapor {phone}.",
    "pelapor a.n. {known} NIK {nik} minta bantuan, sudah dicek tgl {date}",
    "{known} (wa {phone}) komplain meteran air, sudah diganti {date} oleh tim {agency}",
    "KK {kk} atas nama {known} sudah diverifikasi Disdukcapil, alamat {address}",
    "kendaraan {plate} milik {unknown} parkir di bahu jalan, sudah ditegur Satpol PP",
    "dana pungli dikembalikan ke rek {bank} {account} milik {known}",
    "email pelapor {email}, balasan dikirim {date}",
    "Koordinasi dengan {unknown} ({phone}) terkait lampu PJU mati di {rt_rw} Desa {desa}",
    "rumah {hon_known} {house} sudah disambung pipa baru, biaya {money} ditanggung {agency}",
    "Menurut {unknown}, saluran di depan rumah {unknown} sudah dibersihkan {date}",
    "Sdr. {known} sudah dihubungi via telp {phone} & email {email}",
    "cek lokasi {address} bersama {unknown}, nopol truk {plate_lower}",
    "NIK pelapor: {nik}; hp: {phone}; alamat: {address}, {rt_rw}, Desa {desa}, Kec. {kecamatan}",
    "sampun dicek teng griyane {hon_known}, {rt_rw}, nomer wa {phone} nggih",
    "terlapor {known2} dan pelapor {known} sudah dimediasi di balai desa {desa}",
    "Pelapor ({known}) tinggal di {address}, {rt_rw} Desa {desa}. No KK {kk}.",
    "kontak {unknown} di {phone} atau {landline}, motor {plate} masih di lokasi",
    "{known} minta ditelpon balik ke {phone}, rumahnya {house} {rt_rw}",
    "Sudah ditransfer ke rekening {bank} no {account} a.n. {known}, bukti terlampir",
    "laporan {track}: {unknown} warga {rt_rw} Desa {desa} sudah menerima bantuan {money}",
    "no hp {known}: {phone}, NIK {nik}, email {email}, plat {plate}",
    "Hasil cek lapangan {date}: jalan di depan {address} ditambal, lapor ke {unknown} dan "
    "{hon_known}",
    "{unknown} dan {unknown} (wa {phone}) hadir saat pengecekan di {address}",
    "Catatan PIC:\n- pelapor: {known}\n- kontak: wa.me/{phone_digits}\n- email: {email_upper}\n"
    "- lokasi: {address}, {rt_rw}",
    "FOLLOW UP {track}: {KNOWN_UPPER} SUDAH DIHUBUNGI VIA {phone}, NIK: {nik}",
    "mohon maaf {hon_known}, petugas sudah ke lokasi; no. KK {kk} & NIK {nik} sudah dicek",
)

CLEAN_TEMPLATES: Final[tuple[str, ...]] = (
    "Laporan {track} sudah ditindaklanjuti {agency} pada {date}, perbaikan {road} {km} selesai.",
    "Perbaikan jalan berlubang di {road} {km} sepanjang {length} selesai {date} dengan biaya "
    "{money}.",
    "Pak Camat {kecamatan} dan Ibu Kepala Dinas meninjau lokasi pada {date} pukul {time} WIB.",
    "Kerja bakti warga Desa {desa} bersama petugas {agency} membersihkan saluran, {date}.",
    "Pipa bocor sudah diperbaiki oleh Perumda Air Minum Tirta Ayu, aliran air normal sejak "
    "{date}. Info: call center {public_phone}.",
    "Bantuan {money} untuk ibu hamil dan balita di Desa {desa} disalurkan {date} ({track}).",
    "Lampu PJU di {road} {km} sudah menyala kembali, {count} titik diganti pada {date}.",
    "Sesuai Perda No. {small} Tahun {year}, pungutan di pasar {desa} dihentikan sejak {date}.",
    "Pak Kades {desa} sudah berkoordinasi dengan Pak RT setempat, pengurukan selesai {date}.",
    "Terima kasih Pak. Air sudah mengalir lagi di Desa {desa} sejak {date}, tiket {track}.",
    "Bapak Bupati meresmikan jembatan di {road} {km} pada {date}, anggaran {money}.",
    "Ibu-ibu PKK Desa {desa} ikut kerja bakti, {count} karung sampah diangkut ke TPA {date}.",
    "Penanganan {track}: tim BPBD memangkas {count} pohon di {road} pada {date}, {time} WIB.",
    "Kegiatan bakti sosial di Kecamatan {kecamatan} tanggal {date_slash}, dana {money}.",
    "SK Bupati No. {sk} tentang PJU, pemasangan {count} titik selesai {date}.",
    "Status {track}: selesai. Rp {money_plain} dikembalikan ke kas desa {desa} pada {date}.",
    "Jadwal perbaikan {date_iso} s.d. {date_iso2}, ruas {road} {km} ditutup {time}-{time2} WIB.",
    "Hubungi hotline {agency} di {public_phone} atau 112 untuk keadaan darurat.",
    "Bu Bidan Desa {desa} melayani imunisasi {count} balita pada {date}, gratis.",
    "Drainase di {road} sepanjang {length} dibersihkan, genangan surut {date} pukul {time}.",
)


def _fill(
    template: str,
    slot_values: dict[str, Callable[[], tuple[str, str | None]]],
) -> tuple[str, tuple[Planted, ...]]:
    b = _Builder()
    pos = 0
    for m in _SLOT.finditer(template):
        b.add(template[pos : m.start()])
        value, kind = slot_values[m.group(1)]()
        b.add(value, kind)
        pos = m.end()
    b.add(template[pos:])
    return b.text(), tuple(b.planted)


_SLOT = re.compile(r"\{(\w+)\}")


def _common_slots(r: random.Random) -> dict[str, Callable[[], tuple[str, str | None]]]:
    def date() -> tuple[str, str | None]:
        return f"{r.randint(1, 28)} {r.choice(MONTHS)} {r.randint(2023, 2026)}", None

    def money() -> tuple[str, str | None]:
        return r.choice(
            (
                f"Rp {r.randint(1, 999)}.{r.randint(0, 999):03d}.000",
                f"Rp{r.randint(1, 99)}.{r.randint(0, 9)}00.000,-",
                f"Rp {r.randint(2, 90)} juta",
                f"IDR {r.randint(1, 9)}.{r.randint(0, 999):03d}.000",
                f"Rp {r.randint(100, 999)}.000",
            )
        ), None

    def km() -> tuple[str, str | None]:
        return r.choice(
            (
                f"KM {r.randint(0, 40)}+{r.randint(0, 9)}00",
                f"km {r.randint(1, 40)},{r.randint(1, 9)}",
                f"KM {r.randint(1, 30)}",
                f"KM {r.randint(0, 9)}+{r.randint(0, 9)}00 s.d. KM {r.randint(10, 20)}+500",
            )
        ), None

    def track() -> tuple[str, str | None]:
        return f"LPR-{r.randint(2023, 2026)}-{r.randint(1, 99999):05d}", None

    def time() -> tuple[str, str | None]:
        return f"{r.randint(7, 16):02d}.{r.choice(('00', '15', '30', '45'))}", None

    return {
        "date": date,
        "date_slash": lambda: (f"{_two(r, 1, 28)}/{_two(r, 1, 12)}/{r.randint(2023, 2026)}", None),
        "date_iso": lambda: (f"{r.randint(2023, 2026)}-{_two(r, 1, 12)}-{_two(r, 1, 28)}", None),
        "date_iso2": lambda: (f"{_two(r, 1, 28)}.{_two(r, 1, 12)}.{r.randint(2023, 2026)}", None),
        "money": money,
        "money_plain": lambda: (f"{r.randint(1, 99)}.{r.randint(0, 999):03d}.000", None),
        "km": km,
        "length": lambda: (
            r.choice((f"{r.randint(50, 900)} meter", f"{r.randint(1, 5)},5 km")),
            None,
        ),
        "track": track,
        "time": time,
        "time2": time,
        "count": lambda: (str(r.randint(2, 60)), None),
        "small": lambda: (str(r.randint(1, 20)), None),
        "year": lambda: (str(r.randint(2010, 2025)), None),
        "sk": lambda: (f"{r.randint(100, 999)}/{r.randint(1, 300)}/{r.randint(2023, 2026)}", None),
        "agency": lambda: (r.choice(AGENCIES), None),
        "desa": lambda: (r.choice(DESA), None),
        "kecamatan": lambda: (r.choice(KECAMATAN), None),
        "road": lambda: (r.choice(PUBLIC_ROADS), None),
        "public_phone": lambda: (r.choice(PUBLIC_PHONES), None),
    }


def _case_identities(r: random.Random, pools: Pools) -> tuple[KnownIdentities, dict[str, str]]:
    reporter = pools.full_names[r.randrange(len(pools.full_names))]
    other = pools.full_names[r.randrange(len(pools.full_names))]
    values = {
        "reporter": reporter,
        "other": other,
        "phone": make_mobile(r),
        "nik": make_nik(r),
        "kk": make_kk(r),
        "email": pools.emails[r.randrange(len(pools.emails))],
        "address": make_address(r, pools),
    }
    known = KnownIdentities(
        names=(reporter, other),
        phones=(values["phone"],),
        niks=(values["nik"],),
        addresses=(values["address"],),
        emails=(values["email"],),
    )
    return known, values


def _dirty_slots(
    r: random.Random, pools: Pools, case: dict[str, str], avoid: set[str]
) -> dict[str, Callable[[], tuple[str, str | None]]]:
    slots = _common_slots(r)
    hons = [h for h, _ in HONORIFIC_WEIGHTS[:8]]
    hon_weights = [w for _, w in HONORIFIC_WEIGHTS[:8]]
    pending: list[str] = []

    def known_name(full: str = case["reporter"]) -> tuple[str, str | None]:
        return _known_name_variant(r, full), "name_known"

    def phone() -> tuple[str, str | None]:
        # Half the time the case's own number, in any shape; else a number not on the case.
        national = case["phone"] if r.random() < 0.5 else make_mobile(r)
        return shape_mobile(r, national), "phone"

    def nik() -> tuple[str, str | None]:
        return shape_sixteen(r, case["nik"] if r.random() < 0.5 else make_nik(r)), "nik"

    def email() -> tuple[str, str | None]:
        other = pools.emails[r.randrange(len(pools.emails))]
        return (case["email"] if r.random() < 0.5 else other), "email"

    def address() -> tuple[str, str | None]:
        return (case["address"] if r.random() < 0.3 else make_address(r, pools)), "address"

    def house() -> tuple[str, str | None]:
        number = str(r.randint(1, 120)) + r.choice(("", "", "A"))
        return r.choice(("no. ", "nomor ", "No ")) + number, "house_number"

    def hon() -> tuple[str, str | None]:
        # The honorific and the unknown name are separate pieces: only the name is planted.
        h, name = _unknown_name(r, pools, avoid)
        pending.append(name)
        return h, None

    slots.update(
        {
            "known": known_name,
            "known2": lambda: known_name(case["other"]),
            "phone": phone,
            "landline": lambda: (make_landline(r), "phone"),
            "nik": nik,
            "kk": lambda: (shape_sixteen(r, case["kk"]), "kk"),
            "email": email,
            "plate": lambda: (make_plate(r, pools), "plate"),
            "plate_lower": lambda: (make_plate(r, pools).lower(), "plate"),
            "rt_rw": lambda: (make_rt_rw(r), "rt_rw"),
            "address": address,
            "house": house,
            "bank": lambda: (r.choice(BANKS), None),
            "account": lambda: (make_account(r)[1], "bank_account"),
            "hon": hon,
            "uname": lambda: (pending.pop(), "name_unknown"),
            "hon2": lambda: (r.choices(hons, hon_weights)[0], None),
            "phone_digits": lambda: ("62" + make_mobile(r)[1:], "phone"),
            "email_upper": lambda: (case["email"].upper(), "email"),
            "KNOWN_UPPER": lambda: (" ".join(_name_words(case["reporter"])).upper(), "name_known"),
        }
    )
    return slots


def generate_dirty(n: int, seed: int = 6) -> list[CorpusText]:
    """``n`` texts with planted personal data (known and unknown names, every structured kind)."""
    r = random.Random(seed)
    pools = load_pools(seed)
    out: list[CorpusText] = []
    for i in range(n):
        known, case = _case_identities(r, pools)
        avoid = {w.lower() for name in known.names for w in re.findall(r"\w+", name)}
        slots = _dirty_slots(r, pools, case, avoid)
        template = DIRTY_TEMPLATES[i % len(DIRTY_TEMPLATES)]
        template = template.replace("{unknown}", "{hon} {uname}").replace(
            "{hon_known}", "{hon2} {known}"
        )
        text, planted = _fill(template, slots)
        out.append(CorpusText(text, known, planted))
    return out


def generate_clean(n: int, seed: int = 7) -> list[CorpusText]:
    """``n`` texts without personal data (but with the case's identities attached)."""
    r = random.Random(seed)
    pools = load_pools(seed)
    out: list[CorpusText] = []
    for i in range(n):
        known, _ = _case_identities(r, pools)
        slots = _common_slots(r)
        text, _planted = _fill(CLEAN_TEMPLATES[i % len(CLEAN_TEMPLATES)], slots)
        out.append(CorpusText(text, known))
    return out


# -- evaluation ---------------------------------------------------------------------------------


@dataclass
class CorpusReport:
    planted: dict[str, int] = field(default_factory=dict)
    missed: dict[str, int] = field(default_factory=dict)
    clean_texts: int = 0
    clean_flagged: int = 0
    flagged_kinds: dict[str, int] = field(default_factory=dict)

    def recall(self, kind: str) -> float:
        total = self.planted.get(kind, 0)
        return 1.0 if total == 0 else 1 - self.missed.get(kind, 0) / total

    @property
    def false_positive_rate(self) -> float:
        return self.clean_flagged / self.clean_texts if self.clean_texts else 0.0

    def leaks(self, kinds: Sequence[str]) -> int:
        return sum(self.missed.get(k, 0) for k in kinds)


def _covered(findings: list[Finding], start: int, end: int) -> bool:
    pos = start
    for f in findings:
        if f.start <= pos < f.end:
            pos = f.end
            if pos >= end:
                return True
    return pos >= end


def evaluate(
    detector: PersonalDataDetector,
    dirty: Sequence[CorpusText],
    clean: Sequence[CorpusText],
    *,
    on_miss: Callable[[CorpusText, Planted], None] | None = None,
    on_false_positive: Callable[[CorpusText, list[Finding]], None] | None = None,
) -> CorpusReport:
    """Run the detector over both corpora; a planted span counts as found when covered."""
    report = CorpusReport()
    for item in dirty:
        findings = detector.detect(item.text, item.known)
        for p in item.planted:
            report.planted[p.kind] = report.planted.get(p.kind, 0) + 1
            if not _covered(findings, p.start, p.end):
                report.missed[p.kind] = report.missed.get(p.kind, 0) + 1
                if on_miss is not None:
                    on_miss(item, p)
    for item in clean:
        report.clean_texts += 1
        findings = detector.detect(item.text, item.known)
        if findings:
            report.clean_flagged += 1
            for f in findings:
                report.flagged_kinds[f.kind] = report.flagged_kinds.get(f.kind, 0) + 1
            if on_false_positive is not None:
                on_false_positive(item, findings)
    return report
