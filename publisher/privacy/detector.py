"""Detector for Indonesian personal data in free text.

Recognisers are written directly as precompiled regular expressions plus a few table lookups
(see docs/privacy.md for why not Presidio). Structured identifiers (NIK/KK, phone, e-mail, plate,
bank account, RT/RW, street address, house number) are found by shape and checked in Python
(NIK birth date and province, phone prefixes and length, money and date look-alikes). Names come
from two sources: the names held on the case, matched per word case-insensitively with a
one-edit typo tolerance, and names introduced by an honorific, title or label ("Bu Sri",
"H. Slamet", "atas nama ...").

Overlapping findings are merged (the union is redacted, so a partial overlap never leaks the
uncovered part); adjacent name words become one finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final, NamedTuple

from publisher.privacy.forms import (
    descriptive_addresses,
    digit_view,
    loose_emails,
    loose_plates,
    nik_is_valid,
    signature,
)
from publisher.privacy.lexicon import (
    BANKS,
    COMMON_WORDS,
    HONORIFIC_ABBREVIATIONS,
    HONORIFIC_DOT_REQUIRED,
    HONORIFICS,
    NAME_LABELS,
    NAME_LIKE_WORDS,
    NAME_PARTICLES,
    NAME_ROLES,
    NOT_NAME_BEFORE,
    NOT_NAMES,
    NOT_PLATES,
    PLACES,
    POSSESSIVE_WORDS,
)
from publisher.privacy.model import Finding, KnownIdentities

# Tie-break when merging overlapping findings of the same length: the most specific kind wins.
_PRIORITY: Final = {
    "nik": 9, "kk": 9, "email": 8, "phone": 8, "bank_account": 7, "plate": 6, "address": 5,
    "rt_rw": 4, "house_number": 3, "name": 2,
}  # fmt: skip

# Patterns marked (low) run on the lower-cased text, which has the same offsets (see _lower):
# case-sensitive matching is about three times faster than re.IGNORECASE.
# A digit first, then the look-behind: the engine can then skip ahead to digits.
_SIXTEEN = re.compile(
    r"\d(?<![\w.\-/]\d)(?:\d{15}|\d{3}([ .\-])\d{4}\1\d{4}\1\d{4}|\d{5}([ .\-])\d{6}\2\d{4}"
    r"|\d\.\d{2}\.\d{2}\.\d{6}\.\d{4})(?![\w\-/]|[.,]\d)"
)
_KK_CONTEXT = re.compile(r"(?:\bkk|kartu\s+keluarga)\W{0,3}(?:no(?:mor)?\b\W{0,3})?$")  # (low)
_ACCOUNT_CONTEXT = re.compile(r"\b(?:rek(?:ening)?|norek|a/?c|account)\b[^\d\n]{0,20}$")  # (low)
# The character before a phone number is checked in Python: a leading look-behind would stop
# the regex engine from skipping ahead to the possible first characters.
_PHONE = re.compile(
    r"(?:\(?(?P<intl>\+\s?62|62)\)?[ .\-]?(?:\(0\)\s?)?\(?0?\d{1,4}\)?"
    r"|\(0\d{2,3}\)|0\d{2,4})(?:[ .\-]?\d{1,5}){1,4}(?!\w)"
)
_PHONE_GROUP = re.compile(r"\d+")
_PHONE_GLUED = re.compile(r"\b(?:hp|wa|telp|tlp|tel|no|nomor|nmr|kontak)$")  # (low)
_MONEY_BEFORE = re.compile(r"(?:rp|idr)\.?\s*$")  # (low)
# Bounded repeats: an unbounded local part is quadratic on a long run of letters (log lines
# with tokens in them).
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,6}"
    r"\.[A-Za-z]{2,24}(?![A-Za-z])"
)
_PLATE = re.compile(r"[A-Z](?<![\w\-/.][A-Z])[A-Z]? ?\d{1,4} ?[A-Z]{1,3}(?![\w\-/])")
_PLATE_LETTERS = re.compile(r"[A-Z]+")
_PLATE_CONTEXT = re.compile(  # (low)
    r"(?:nopol|no\.?\s*pol(?:isi)?|plat(?:\s+nomor)?|pelat(?:\s+nomor)?|nomor\s+polisi"
    r"|tnkb|kendaraan)\s*[:.]?\s*(?:(?:truk|motor|mobil|pikap|pick\s?up|bus|angkot)\s+)?"
    r"(?P<ctx>[a-z]{1,2} ?\d{1,4} ?[a-z]{1,3})(?![\w\-/])"
)
_RT_RW = re.compile(  # (low); "r" first, then the look-behind, so the engine skips to r's
    r"r(?<![\w]r)(?:t\s*/\s*rw\s*\.?\s*[:\-]?\s*\d{1,3}\s*/\s*\d{1,3}"
    r"|[tw]\s*\.?\s*[:\-]?\s*\d{1,3}(?:\s*[/,\-]?\s*r[wt]\s*\.?\s*[:\-]?\s*\d{1,3}"
    r"|[ \t]*/[ \t]*\d{1,3}(?![\d/]))?)(?!\d)"
)
_NUMBER_TAIL = (
    r"(?:\s*,?\s*(?:no|nomor|nmr)\b\.?\s*:?\s*\d{1,4}[a-z]?(?:\s*[/\-]\s*\d{1,4})?"
    r"|\s*,?\s*blok\s+[a-z]{0,2}\d{0,3}[a-z]?(?:\s*[/\-]\s*\d{1,4})?"
    r"(?:\s*,?\s*(?:no|nomor)\b\.?\s*\d{1,4}[a-z]?)?)"
)
_STOP_WORD = r"(?!(?:no|nomor|nmr|blok|rt|rw|desa|kel|kec|kelurahan|kecamatan|kab|km|dan|di)\b)"
_ADDRESS = re.compile(  # (low)
    r"\b(?P<prefix>jl|jln|jalan|gg|gang|perum|perumahan|komplek|kompleks|komp"
    r"|dusun|dsn|dukuh|dk|lingk)\b\.?"
    r"(?P<words>(?:[ \t]+" + _STOP_WORD + r"[a-z0-9][\w'’.\-]*){1,5})"
    r"(?P<tail>" + _NUMBER_TAIL + r")?"
)
_ADDRESS_WORD = re.compile(r"[^ \t]+")
_BLOCK = re.compile(  # (low)
    r"\bblok\s+(?P<code>[a-z]{1,2}\d{0,3}[a-z]?|\d{1,3}[a-z]?)"
    r"(?:\s*[/\-]\s*\d{1,4})?(?:\s*,?\s*(?:no|nomor)\b\.?\s*\d{1,4}[a-z]?)?(?![\w])"
)
_HOUSE_WORDS: Final = ("rumah", "rmh", "kediaman", "tinggal", "domisili", "alamat")
_HOUSE_NUMBER = re.compile(  # (low)
    r"\b(?:rumah|rmh|kediaman|tinggal|domisili|alamat|rumahnya)\b[^\n,;\d]{0,30}?"
    r"(?P<num>\b(?:no|nomor|nmr)\b\.?\s*:?\s*\d{1,4}[a-z]?(?:\s*[/\-]\s*\d{1,4})?)(?!\d)"
)
_ACCOUNT = re.compile(  # (low)
    r"\b(?P<kw>rek(?:ening)?|norek|a/?c|account|"
    + "|".join(b.replace(" ", r"\s+") for b in BANKS)
    + r")\b(?P<fill>[^\d\n]{0,25}?)(?P<num>\d(?:[ .\-]?\d){6,19})(?![\w\-])"
)
_LONG_DIGITS = re.compile(r"\d{10,20}(?![\w\-])")  # the character before: in Python
_BANK_FILL = re.compile(r"[\s:.\-]*(?:(?:no|nomor|norek|rek)\b\.?[\s:.\-]*)?")
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3})+(?:,\d+)?")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# After the first word a name word follows a space; right after an honorific also a dot or a
# comma without one ("Pak.Darsono", "Pak,Darsono").
_NAME_WORD = re.compile(r"(?:[ \t]+|(?<=[.,]))([^\W\d_]+(?:['’][^\W\d_]+)*\.?)")
_HONORIFIC = re.compile(  # (low)
    r"(?<![\w.\-/])(?:(?P<label>"
    + "|".join(NAME_LABELS)
    + r")|(?P<hon>"
    + "|".join(sorted(HONORIFICS, key=len, reverse=True))
    + r")|(?P<role>"
    + "|".join(sorted(NAME_ROLES | POSSESSIVE_WORDS, key=len, reverse=True))
    + r"))(?P<dot>\.?)(?P<comma>[ \t]*,)?(?=[ \t]|(?<=[.,])[^\W\d_])"
)
_DIGITS_LOOSE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().\-]{6,24}\d(?![\w])")
_NON_DIGIT = re.compile(r"\D")
_DIGIT_RUN = re.compile(r"\d+")
_ANY_DIGIT = re.compile(r"\d")
_PUBLIC_PLACE_BEFORE = re.compile(  # (low)
    r"\b(?:kantor|balai|pendopo|gedung|puskesmas|rsud|sekretariat|polsek|polres|koramil)\b"
    r"[^.;:\n]{0,25}$"
)
_STREET_BEFORE = re.compile(r"\b(?:jl|jln|jalan|gg|gang)\b\.?[ \t]*$")  # (low)
_PUBLIC_AREA = re.compile(r"(?:desa|kel|kec|kab|kota|provinsi|prov)\b")
_STREET_START = re.compile(r"(?:jl|jln|jalan|gg|gang|perum|perumahan|dusun|dukuh)\b\.?\s*")
_STREET_CUT = re.compile(r"\s(?:no|nomor|blok|rt|rw)\b")
_PLATE_PARTS = re.compile(r"[A-Za-z]+|\d+")
_NO_TYPO: Final = COMMON_WORDS | NAME_LIKE_WORDS
_AMBIGUOUS_NAMES: Final = COMMON_WORDS | NAME_LIKE_WORDS | PLACES
_NAME_SUFFIXES: Final = ("nya", "ne", "e")
# Words after a case name that make it the subject: "putri sudah dihubungi", "Slamet hadir".
_NAME_NEXT_CUE: Final = frozenset(
    [
        "sudah", "sdh", "udah", "telah", "dihubungi", "hadir", "bilang", "mengatakan",
        "menyampaikan", "minta", "mau", "ingin", "katanya", "wa", "hp", "telp", "no",
    ]
)  # fmt: skip
# Words after which a capitalised case name is the person ("dari Slamet", "oleh Bakti").
_NAME_CUE: Final = frozenset(
    [
        "dari", "oleh", "sama", "dengan", "kepada", "ke", "bersama", "untuk", "buat", "karo",
        "milik", "punya", "pelapor", "terlapor", "pengadu", "nama", "an", "n", "sdr", "sdri",
        "saudara", "saudari", "hp", "wa", "telp", "kontak",
    ]
)  # fmt: skip
_LOWER_NOT_NAME: Final = COMMON_WORDS - NAME_LIKE_WORDS
_MORPH_VERB = re.compile(
    r"^(?:meng|meny|mem|men|ber|ter|per|di).{4,}$|^ke.{3,}an$|^.{3,}(?:nya|kan)$"
)


def _lower(text: str) -> str:
    """Lower-case ``text`` keeping every offset (a few characters lower-case to two)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _national_phone(digits: str) -> str:
    """Digits of a phone number in national form (leading 0, no country code)."""
    if digits.startswith("62"):
        rest = digits[2:]
        return rest if rest.startswith("0") else "0" + rest
    return digits


class _PreparedKnown(NamedTuple):  # a NamedTuple: built once per case, cheaply
    name_words: frozenset[str]
    typo_words: tuple[str, ...]  # name words long enough for typo tolerance
    typo_lengths: frozenset[int]
    typo_ends: frozenset[str]  # their first two and last two letters
    phones: frozenset[str]
    niks: frozenset[str]
    literals: tuple[tuple[str, str], ...]  # (kind, lower-case literal)
    ambiguous: frozenset[str]  # name words that are also common words or places


@lru_cache(maxsize=65536)
def _deletions(word: str) -> frozenset[str]:
    return frozenset(word[:i] + word[i + 1 :] for i in range(len(word)))


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one substitution, insertion, deletion or swap."""
    da, db = _deletions(a), _deletions(b)
    return a in db or b in da or not da.isdisjoint(db)


def _name_words(name: str) -> list[str]:
    # Degrees follow a comma ("Drs. Gina Waskita, M.TI."); titles are dropped word by word.
    words = _WORD.findall(name.split(",", 1)[0].lower())
    return [w for w in words if len(w) >= 3 and w not in NAME_PARTICLES]


def _address_literals(address: str) -> list[str]:
    out: list[str] = []
    for part in address.replace("\n", ",").replace(";", ",").split(","):
        low = " ".join(part.split()).strip(" .").lower()
        if len(low) < 5 or _PUBLIC_AREA.match(low):
            continue  # the village and district are published on purpose
        street = _STREET_START.match(low)
        if street is None and _ANY_DIGIT.search(low) is None:
            continue
        out.append(low)
        if street is not None:
            rest = low[street.end() :]
            cut = _STREET_CUT.search(rest)
            name = (rest[: cut.start()] if cut else rest).strip()
            if len(name) >= 4 and name not in COMMON_WORDS:
                out.append(name)  # the street alone: "dicek ke jl. kenari raya"
    return out


@lru_cache(maxsize=4096)
def _prepare(known: KnownIdentities) -> _PreparedKnown:
    words: set[str] = set()
    for name in known.names:
        words.update(_name_words(name))
    long_words = tuple(w for w in words if len(w) >= 5)
    literals: list[tuple[str, str]] = [("email", e.strip().lower()) for e in known.emails]
    for p in known.plates:
        parts = _PLATE_PARTS.findall(p)
        if parts:
            literals.append(("plate", " ".join(parts).lower()))
            literals.append(("plate", "".join(parts).lower()))
    for a in known.addresses:
        literals.extend(("address", lit) for lit in _address_literals(a))
    lengths: set[int] = set()
    ends: set[str] = set()
    for w in long_words:
        n = len(w)
        lengths.update((n - 1, n, n + 1))
        ends.add(w[:2])
        ends.add(w[-2:])
    phones = [_national_phone("".join(_DIGIT_RUN.findall(p))) for p in known.phones]
    niks = ["".join(_DIGIT_RUN.findall(n)) for n in known.niks]
    return _PreparedKnown(
        name_words=frozenset(words),
        typo_words=long_words,
        typo_lengths=frozenset(lengths),
        typo_ends=frozenset(ends),
        phones=frozenset(p for p in phones if len(p) >= 6),
        niks=frozenset(n for n in niks if len(n) >= 8),
        literals=tuple(lit for lit in literals if len(lit[1]) >= 4),
        ambiguous=frozenset(w for w in words if w in _AMBIGUOUS_NAMES),
    )


class PersonalDataDetector:
    """Finds personal data in Indonesian free text. Thread-safe; build once and reuse."""

    def __init__(self, *, public_phone_allowlist: Iterable[str] = ()) -> None:
        self._allowed_phones = frozenset(
            _national_phone(_NON_DIGIT.sub("", p)) for p in public_phone_allowlist
        )

    def detect(self, text: str, known: KnownIdentities | None = None) -> list[Finding]:
        """Return the findings in ``text``, sorted by position and non-overlapping."""
        spans: list[tuple[int, int, str]] = []
        low = _lower(text)
        if _ANY_DIGIT.search(text) is not None:
            self._structured(text, low, spans)
            digit_view(text, low, spans, allowed_phone=self._allowed_phones.__contains__)
            loose_plates(low, spans)
        if "@" in text:
            spans.extend((m.start(), m.end(), "email") for m in _EMAIL.finditer(text))
        loose_emails(low, spans)
        self._addresses(text, low, spans)
        descriptive_addresses(text, low, spans)
        signature(text, spans)
        self._honorific_names(text, low, spans)
        if known is not None and not known.is_empty():
            self._known(text, low, _prepare(known), spans)
        return _merge(text, spans)

    # -- recognisers -----------------------------------------------------------------------

    def _structured(self, text: str, low: str, spans: list[tuple[int, int, str]]) -> None:
        taken: list[tuple[int, int]] = []
        for m in _SIXTEEN.finditer(text):
            s, e = m.span()
            if _ACCOUNT_CONTEXT.search(low, max(0, s - 40), s):
                kind = "bank_account"
            elif _KK_CONTEXT.search(low, max(0, s - 40), s) or not nik_is_valid(
                _NON_DIGIT.sub("", m.group())
            ):
                kind = "kk"
            else:
                kind = "nik"
            spans.append((s, e, kind))
            taken.append((s, e))
        for m in _ACCOUNT.finditer(low):
            s, e = m.span("num")
            fill = m.group("fill")
            if "rp" in fill or "idr" in fill:
                continue
            num = m.group("num")
            if not m.group("kw").startswith(("rek", "norek", "a", "acc")) and (
                _THOUSANDS.fullmatch(num) or not _BANK_FILL.fullmatch(fill)
            ):
                # "Bank Jateng menyalurkan 1.500.000" is money; "Permata (wa 0812...)" is a
                # name followed by a phone: after a bank's name the number must come next.
                continue
            if len(_NON_DIGIT.sub("", num)) < 8:
                continue
            spans.append((s, e, "bank_account"))
        for m in _PHONE.finditer(text):
            s, e = m.span()
            glued = s > 0 and (text[s - 1].isalnum() or text[s - 1] in "+_")
            if glued and not _PHONE_GLUED.search(low, max(0, s - 8), s):
                continue  # part of a longer word or number; "hp0812..." is still a phone
            if _MONEY_BEFORE.search(low, max(0, s - 5), s):
                continue
            length = self._phone(m)
            if length is not None:
                spans.append((s, s + length, "phone"))
                taken.append((s, s + length))
        for m in _LONG_DIGITS.finditer(text):
            s, e = m.span()
            if s > 0 and (text[s - 1].isalnum() or text[s - 1] in "-./#_"):
                continue
            if not _overlaps(taken, s, e) and not _MONEY_BEFORE.search(low, max(0, s - 5), s):
                spans.append((s, e, "bank_account"))
        for m in _PLATE.finditer(text):
            letters = _PLATE_LETTERS.findall(m.group())
            if (letters[0], letters[-1]) not in NOT_PLATES:
                spans.append((m.start(), m.end(), "plate"))
        if "pol" in low or "pla" in low or "pelat" in low or "tnkb" in low or "kendaraan" in low:
            for m in _PLATE_CONTEXT.finditer(low):
                spans.append((m.start("ctx"), m.end("ctx"), "plate"))
        if "rt" in low or "rw" in low:
            spans.extend((m.start(), m.end(), "rt_rw") for m in _RT_RW.finditer(low))
        if any(word in low for word in _HOUSE_WORDS):
            for m in _HOUSE_NUMBER.finditer(low):
                spans.append((m.start("num"), m.end("num"), "house_number"))
        if "blok" in low:
            for m in _BLOCK.finditer(low):
                code = text[m.start("code") : m.end("code")]
                if code.isupper() or any(c.isdigit() for c in code) or "no" in m.group():
                    spans.append((m.start(), m.end(), "address"))

    def _phone(self, m: re.Match[str]) -> int | None:
        """Length of the valid phone number at the start of the match, or None."""
        best: int | None = None
        digits = ""
        intl = m.group("intl")
        plus = bool(intl and "+" in intl)
        paren = "(" in m.group()
        for g in _PHONE_GROUP.finditer(m.group()):
            digits += g.group()
            if len(digits) > 15:
                break
            national = _national_phone(digits) if intl else digits
            if _valid_phone(national, plus=plus, paren=paren):
                if national in self._allowed_phones:
                    return None
                best = g.end()
        return best

    def _addresses(self, text: str, low: str, spans: list[tuple[int, int, str]]) -> None:
        for m in _ADDRESS.finditer(low):
            if _PUBLIC_PLACE_BEFORE.search(low, max(0, m.start() - 40), m.start()):
                continue  # "kantor Disdukcapil, Jl. Raya Banjaran No. 4": a public office
            if m.group("tail") is not None:
                # A street with a house number or block is an address whatever the case.
                spans.append((m.start(), m.end(), "address"))
                continue
            # Without a number, keep the leading run of capitalised (or numeric) words:
            # "Gang Mawar sudah dibersihkan" -> "Gang Mawar".
            words_start = m.start("words")
            end = -1
            last = ""
            for w in _ADDRESS_WORD.finditer(text, words_start, m.end("words")):
                word = w.group()
                if not (word[0].isupper() or word[0].isdigit()):
                    break
                end = w.end()
                last = word
            if end < 0:
                continue
            if m.group("prefix")[0] == "j" and not last[0].isdigit():
                continue  # "Jalan Raya Slawi": a public road, not somebody's address
            spans.append((m.start(), end, "address"))

    def _honorific_names(self, text: str, low: str, spans: list[tuple[int, int, str]]) -> None:
        for m in _HONORIFIC.finditer(low):
            hon = m.group("hon")
            # Loose: after punctuation ("Bu. Tarsih", "Pak,Darsono"), a role ("RT Warsito") or
            # a possessive ("rumahnya Warsito"), only a capitalised uncommon word is a name.
            strict = m.group("role") is not None or m.group("comma") is not None
            if hon is not None:
                if m.group("dot"):
                    if hon not in HONORIFIC_ABBREVIATIONS:
                        strict = True  # "... terima kasih Pak. Air sudah mengalir"
                elif hon in HONORIFIC_DOT_REQUIRED:
                    continue
                if len(hon) == 1 and not text[m.start()].isupper():
                    continue  # "H." and "R." as titles are capitals
            if _STREET_BEFORE.search(low, max(0, m.start() - 8), m.start()):
                continue  # "Jl. Dr. Sutomo", "Jl. KH. Mansyur": a street named after a person
            self._name_after(text, m.end(), spans, strict=strict)

    def _name_after(
        self, text: str, pos: int, spans: list[tuple[int, int, str]], *, strict: bool = False
    ) -> None:
        start = end = -1
        count = 0
        skipped = 0
        while count < 3:
            w = _NAME_WORD.match(text, pos)
            if w is None:
                break
            word = w.group(1)
            bare = word.rstrip(".")
            low = bare.lower()
            if count == 0 and skipped < 2:
                if low in HONORIFICS and (word.endswith(".") or len(low) > 2):
                    pos = w.end()  # "Bapak H. Slamet", "Ibu Hj. Siti"
                    skipped += 1
                    continue
                if low in NAME_ROLES and not word.endswith("."):
                    pos = w.end()  # "Pak RT Warsito", "Bu Kadus Sarni"
                    strict = True
                    skipped += 1
                    continue
            if low in NOT_NAMES and (strict or low not in NAME_LIKE_WORDS or not bare[0].isupper()):
                # "Pak Hari" is a man, "hari ini" a day. Includes public roles: "Pak Camat
                # Bojong" names an office and its area, and an official on the case is caught
                # by the case's known names instead.
                break
            capital = bare[0].isupper()
            if strict and (not capital or low in COMMON_WORDS or low in PLACES):
                break
            if not capital and (
                count > 0 or low in _LOWER_NOT_NAME or len(low) < 3 or _MORPH_VERB.match(low)
            ):
                break
            if count == 0:
                start = w.start(1)
            end = w.start(1) + len(bare)
            count += 1
            pos = w.end()
            if not capital or (word.endswith(".") and len(bare) > 1):
                break  # a lower-case name is one word; "Slamet." ends the sentence
        if count:
            spans.append((start, end, "name"))

    @staticmethod
    def _known_names(
        text: str,
        low: str,
        hits: set[str],
        known: _PreparedKnown,
        spans: list[tuple[int, int, str]],
    ) -> None:
        """Spans of the case's name words; one that is also a common word or a place only in
        a name context ("Pak Slamet", "Slamet Riyadi", "oleh Slamet", never "Gunung Slamet")."""
        words = list(_WORD.finditer(low))
        for i, m in enumerate(words):
            t = m.group()
            if t not in hits:
                continue
            if t in known.ambiguous:
                prev = words[i - 1].group() if i else ""
                nxt = words[i + 1].group() if i + 1 < len(words) else ""
                capital = text[m.start()].isupper()
                if not (
                    prev in hits  # two words of the case's name together
                    or nxt in hits
                    or prev in HONORIFICS
                    or prev in NAME_ROLES
                    or (
                        prev not in NOT_NAME_BEFORE
                        and (capital or prev in _NAME_CUE or nxt in _NAME_NEXT_CUE)
                    )
                ):
                    continue
            spans.append((m.start(), m.end(), "name"))

    @staticmethod
    def _case_digits_present(text: str, known: _PreparedKnown) -> bool:
        """Cheap test before the loose scan: are the case's numbers in the text's digits?"""
        digits = "".join(_DIGIT_RUN.findall(text))
        return any(n in digits for n in known.niks) or any(p[1:] in digits for p in known.phones)

    def _known(
        self, text: str, low: str, known: _PreparedKnown, spans: list[tuple[int, int, str]]
    ) -> None:
        if known.name_words:
            tokens = set(_WORD.findall(low))
            hits = tokens & known.name_words
            if known.typo_words:
                lengths, ends = known.typo_lengths, known.typo_ends
                for t in tokens - hits:
                    # One edit leaves the first two or the last two letters of a word of five
                    # or more letters intact, so those are a cheap filter before the real test.
                    if (
                        len(t) in lengths
                        and (t[:2] in ends or t[-2:] in ends)
                        and t not in _NO_TYPO
                        and any(
                            abs(len(w) - len(t)) <= 1 and _one_edit(t, w) for w in known.typo_words
                        )
                    ):
                        hits.add(t)
            for t in tokens - hits:
                # Javanese and Indonesian possessives glued to a name: "Sugengnya", "Warsitone".
                for suffix in _NAME_SUFFIXES:
                    if t.endswith(suffix) and t[: -len(suffix)] in known.name_words:
                        hits.add(t)
                        break
            if hits:
                self._known_names(text, low, hits, known, spans)
        if (known.phones or known.niks) and self._case_digits_present(text, known):
            for m in _DIGITS_LOOSE.finditer(text):
                digits = _NON_DIGIT.sub("", m.group())
                if digits in known.niks:
                    spans.append((m.start(), m.end(), "nik"))
                elif _national_phone(digits) in known.phones or any(
                    len(p) >= 9 and p[1:] in digits for p in known.phones
                ):
                    spans.append((m.start(), m.end(), "phone"))
        for kind, lit in known.literals:
            i = low.find(lit)
            while i >= 0:
                j = i + len(lit)
                if (i == 0 or not low[i - 1].isalnum()) and (j == len(low) or not low[j].isalnum()):
                    spans.append((i, j, kind))
                i = low.find(lit, j)


def _valid_phone(national: str, *, plus: bool, paren: bool) -> bool:
    n = len(national)
    if national.startswith("08"):
        return 10 <= n <= 13
    if national.startswith("0") and national[1:2] not in ("0", ""):
        return 9 <= n <= 12 and (plus or paren or n >= 10)
    return False


def _overlaps(taken: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(s < te and ts < e for ts, te in taken)


def _merge(text: str, spans: list[tuple[int, int, str]]) -> list[Finding]:
    """Union overlapping spans (nothing half-covered leaks); the longest part names the kind."""
    if not spans:
        return []
    spans.sort()
    out: list[Finding] = []
    cur_s, cur_e, cur_k = spans[0]
    rank = (cur_e - cur_s, _PRIORITY[cur_k])
    for s, e, k in spans[1:]:
        joinable = s < cur_e or (
            k == "name" == cur_k and s - cur_e <= 2 and not text[cur_e:s].strip()
        )
        if joinable:
            cur_e = max(cur_e, e)
            if (e - s, _PRIORITY[k]) > rank:
                cur_k, rank = k, (e - s, _PRIORITY[k])
        else:
            out.append(Finding(cur_k, cur_s, cur_e, text[cur_s:cur_e]))
            cur_s, cur_e, cur_k = s, e, k
            rank = (e - s, _PRIORITY[k])
    out.append(Finding(cur_k, cur_s, cur_e, text[cur_s:cur_e]))
    return out
