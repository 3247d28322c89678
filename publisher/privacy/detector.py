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
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from publisher.privacy.lexicon import (
    BANKS,
    COMMON_WORDS,
    HONORIFIC_ABBREVIATIONS,
    HONORIFIC_DOT_REQUIRED,
    HONORIFICS,
    NAME_LABELS,
    NAME_LIKE_WORDS,
    NAME_PARTICLES,
    NOT_NAMES,
    PLATE_NOT_PREFIX,
    PROVINCE_CODES,
    ROLES,
)
from publisher.privacy.model import Finding, KnownIdentities

# Priority when merging overlapping findings of different kinds: the most specific wins the tag.
_PRIORITY: Final = {
    "nik": 9, "kk": 9, "email": 8, "phone": 8, "bank_account": 7, "plate": 6, "address": 5,
    "rt_rw": 4, "house_number": 3, "name": 2,
}  # fmt: skip

_SIXTEEN = re.compile(
    r"(?<![\w.\-/])(?:\d{16}|\d{4}([ .\-])\d{4}\1\d{4}\1\d{4}|\d{6}([ .\-])\d{6}\2\d{4}"
    r"|\d{2}\.\d{2}\.\d{2}\.\d{6}\.\d{4})(?![\w\-/]|[.,]\d)"
)
_KK_CONTEXT = re.compile(r"(?i)(?:\bkk|kartu\s+keluarga)\W{0,3}(?:no(?:mor)?\b\W{0,3})?$")
_ACCOUNT_CONTEXT = re.compile(r"(?i)\b(?:rek(?:ening)?|norek|a/?c|account)\b[^\d\n]{0,20}$")
_PHONE = re.compile(
    r"(?<![\w+])(?:(?P<intl>\+\s?62|\b62)\)?[ .\-]?(?:\(0\)\s?)?\(?0?\d{1,4}\)?"
    r"|\(0\d{2,3}\)|0\d{2,4})(?:[ .\-]?\d{2,5}){1,4}(?!\w)"
)
_PHONE_GROUP = re.compile(r"\d+")
_MONEY_BEFORE = re.compile(r"(?i)(?:rp|idr)\.?\s*$")
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
_PLATE = re.compile(
    r"(?<![\w\-/.])(?!(?:" + "|".join(PLATE_NOT_PREFIX) + r")\b)"
    r"[A-Z]{1,2} ?\d{1,4} ?[A-Z]{1,3}(?![\w\-/])"
    r"|(?i:(?:nopol|no\.?\s*pol(?:isi)?|plat(?:\s+nomor)?|pelat(?:\s+nomor)?|nomor\s+polisi"
    r"|tnkb|kendaraan)\s*[:.]?\s*)(?P<ctx>[a-z]{1,2} ?\d{1,4} ?[a-z]{1,3})(?![\w\-/])",
)
_RT_RW = re.compile(
    r"(?i)\b(?:rt\s*/\s*rw\s*\.?\s*[:\-]?\s*\d{1,3}\s*/\s*\d{1,3}"
    r"|(?:rt|rw)\s*\.?\s*[:\-]?\s*\d{1,3}(?:\s*[/,\-]?\s*rw\s*\.?\s*[:\-]?\s*\d{1,3})?)(?!\d)"
)
_NUMBER_TAIL = (
    r"(?:\s*,?\s*(?i:no|nomor|nmr)\b\.?\s*:?\s*\d{1,4}[A-Za-z]?(?:\s*[/\-]\s*\d{1,4})?"
    r"|\s*,?\s*(?i:blok)\s+[A-Za-z]{0,2}\d{0,3}[A-Za-z]?(?:\s*[/\-]\s*\d{1,4})?"
    r"(?:\s*,?\s*(?i:no|nomor)\b\.?\s*\d{1,4}[A-Za-z]?)?)"
)
_STOP_WORD = r"(?!(?i:no|nomor|nmr|blok|rt|rw|desa|kel|kec|kelurahan|kecamatan|kab|km|dan|di)\b)"
_ADDRESS = re.compile(
    r"(?<![\w])(?P<prefix>(?i:jl|jln|jalan|gg|gang|perum|perumahan|komplek|kompleks|komp"
    r"|dusun|dsn|dukuh|dk|lingk))\b\.?"
    r"(?P<words>(?:[ \t]+" + _STOP_WORD + r"[A-Za-z0-9][\w'’\-]*\.?){1,5})"
    r"(?P<tail>" + _NUMBER_TAIL + r")?"
)
_ADDRESS_WORD = re.compile(r"[^ \t]+")
_BLOCK = re.compile(
    r"(?<![\w])(?i:blok)\s+(?P<code>[A-Z]{1,2}\d{0,3}[A-Za-z]?|\d{1,3}[A-Za-z]?)"
    r"(?:\s*[/\-]\s*\d{1,4})?(?:\s*,?\s*(?i:no|nomor)\b\.?\s*\d{1,4}[A-Za-z]?)?(?![\w])"
)
_HOUSE_NUMBER = re.compile(
    r"(?i)\b(?:rumah|rmh|kediaman|tinggal|domisili|alamat|rumahnya)\b[^\n.,;\d]{0,24}?"
    r"(?P<num>\b(?:no|nomor|nmr)\b\.?\s*:?\s*\d{1,4}[a-z]?(?:\s*[/\-]\s*\d{1,4})?)(?!\d)"
)
_ACCOUNT = re.compile(
    r"(?i)\b(?P<kw>rek(?:ening)?|norek|a/?c|account|"
    + "|".join(b.replace(" ", r"\s+") for b in BANKS)
    + r")\b(?P<fill>[^\d\n]{0,25}?)(?P<num>\d(?:[ .\-]?\d){6,19})(?![\w\-])"
)
_LONG_DIGITS = re.compile(r"(?<![\w\-./#])\d{10,20}(?![\w\-])")
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3})+(?:,\d+)?")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_NAME_WORD = re.compile(r"[ \t]+([^\W\d_]+(?:['’][^\W\d_]+)*\.?)")
_HONORIFIC = re.compile(
    r"(?<![\w.])(?:(?P<label>(?i:"
    + "|".join(NAME_LABELS)
    + r"))|(?P<hon>(?i:"
    + "|".join(sorted((h for h in HONORIFICS if len(h) > 1), key=len, reverse=True))
    + r")|[HR])(?P<dot>\.?))(?=[ \t])"
)
_DIGITS_LOOSE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().\-]{6,24}\d(?![\w])")
_ANY_DIGIT = re.compile(r"\d")
_NO_TYPO: Final = COMMON_WORDS | NAME_LIKE_WORDS
_LOWER_NOT_NAME: Final = COMMON_WORDS - NAME_LIKE_WORDS
_MORPH_VERB = re.compile(r"^(?:meng|meny|mem|men|ber|ter|per|di|ke).{4,}$|^.{3,}(?:nya|kan)$")


def _nik_is_valid(digits: str) -> bool:
    if digits[:2] not in PROVINCE_CODES or digits[2:4] == "00" or digits[4:6] == "00":
        return False
    day = int(digits[6:8])
    month = int(digits[8:10])
    if day > 40:  # women's NIK: day + 40
        day -= 40
    if not 1 <= month <= 12 or day < 1:
        return False
    # Year has two digits, so 29 February is always allowed.
    return (
        day <= (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1] and digits[12:] != "0000"
    )


def _national_phone(digits: str) -> str:
    """Digits of a phone number in national form (leading 0, no country code)."""
    if digits.startswith("62"):
        rest = digits[2:]
        return rest if rest.startswith("0") else "0" + rest
    return digits


@dataclass(frozen=True, slots=True)
class _PreparedKnown:
    name_words: frozenset[str]
    typo_keys: dict[str, str]
    typo_lengths: frozenset[int]
    phones: frozenset[str]
    niks: frozenset[str]
    literals: tuple[tuple[str, str], ...]  # (kind, lower-case literal)


def _delete_variants(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _name_words(name: str) -> list[str]:
    # Degrees follow a comma ("Drs. Gina Waskita, M.TI."); titles are dropped word by word.
    words = _WORD.findall(name.split(",", 1)[0])
    return [w.lower() for w in words if len(w) >= 3 and w.lower() not in NAME_PARTICLES]


def _address_literals(address: str) -> list[str]:
    out: list[str] = []
    for part in re.split(r"[,\n;]", address):
        part = " ".join(part.split()).strip(" .")
        low = part.lower()
        if len(low) < 5 or re.match(r"(?:desa|kel|kec|kab|kota|provinsi|prov)\b", low):
            continue  # the village and district are published on purpose
        if re.search(r"\d", low) or re.match(r"(?:jl|jln|jalan|gg|gang|perum|dusun|dukuh)\b", low):
            out.append(low)
            street = re.match(
                r"(?:jl|jln|jalan|gg|gang|perum|perumahan|dusun|dukuh)\.?\s+(.+?)"
                r"(?:\s+(?:no|nomor|blok|rt|rw)\b.*)?$",
                low,
            )
            if street and len(street.group(1)) >= 4 and street.group(1) not in COMMON_WORDS:
                out.append(street.group(1))
    return out


@lru_cache(maxsize=2048)
def _prepare(known: KnownIdentities) -> _PreparedKnown:
    words: set[str] = set()
    for name in known.names:
        words.update(_name_words(name))
    typo_keys: dict[str, str] = {}
    for w in words:
        if len(w) >= 5:
            typo_keys.setdefault(w, w)
            for v in _delete_variants(w):
                typo_keys.setdefault(v, w)
    lengths = {len(w) + d for w in words if len(w) >= 5 for d in (-1, 0, 1)}
    phones = {_national_phone(re.sub(r"\D", "", p)) for p in known.phones}
    niks = {re.sub(r"\D", "", n) for n in known.niks}
    literals: list[tuple[str, str]] = []
    for e in known.emails:
        literals.append(("email", e.strip().lower()))
    for p in known.plates:
        parts = re.findall(r"[A-Za-z]+|\d+", p)
        if parts:
            literals.append(("plate", " ".join(parts).lower()))
            literals.append(("plate", "".join(parts).lower()))
    for a in known.addresses:
        literals.extend(("address", lit) for lit in _address_literals(a))
    return _PreparedKnown(
        name_words=frozenset(words),
        typo_keys=typo_keys,
        typo_lengths=frozenset(lengths),
        phones=frozenset(p for p in phones if len(p) >= 6),
        niks=frozenset(n for n in niks if len(n) >= 8),
        literals=tuple(lit for lit in literals if len(lit[1]) >= 4),
    )


class PersonalDataDetector:
    """Finds personal data in Indonesian free text. Thread-safe; build once and reuse."""

    def __init__(self, *, public_phone_allowlist: Iterable[str] = ()) -> None:
        self._allowed_phones = frozenset(
            _national_phone(re.sub(r"\D", "", p)) for p in public_phone_allowlist
        )

    def detect(self, text: str, known: KnownIdentities | None = None) -> list[Finding]:
        """Return the findings in ``text``, sorted by position and non-overlapping."""
        spans: list[tuple[int, int, str]] = []
        if _ANY_DIGIT.search(text) is not None:
            self._structured(text, spans)
        else:
            self._letters_only(text, spans)
        self._honorific_names(text, spans)
        if known is not None and not known.is_empty():
            self._known(text, _prepare(known), spans)
        return _merge(text, spans)

    # -- recognisers -----------------------------------------------------------------------

    def _structured(self, text: str, spans: list[tuple[int, int, str]]) -> None:
        taken: list[tuple[int, int]] = []
        for m in _SIXTEEN.finditer(text):
            s, e = m.span()
            before = text[max(0, s - 40) : s]
            digits = re.sub(r"\D", "", m.group())
            if _ACCOUNT_CONTEXT.search(before):
                kind = "bank_account"
            elif _KK_CONTEXT.search(before) or not _nik_is_valid(digits):
                kind = "kk"
            else:
                kind = "nik"
            spans.append((s, e, kind))
            taken.append((s, e))
        for m in _ACCOUNT.finditer(text):
            s, e = m.span("num")
            kw = m.group("kw").lower()
            fill = m.group("fill").lower()
            if "rp" in fill or "idr" in fill:
                continue
            if not kw.startswith(("rek", "norek", "a", "acc")) and _THOUSANDS.fullmatch(
                m.group("num")
            ):
                continue  # "Bank Jateng menyalurkan 1.500.000": money, not an account
            if sum(c.isdigit() for c in m.group("num")) < 8:
                continue
            spans.append((s, e, "bank_account"))
            taken.append((s, e))
        for m in _PHONE.finditer(text):
            s, e = m.span()
            if _overlaps(taken, s, e) or _MONEY_BEFORE.search(text, max(0, s - 5), s):
                continue
            phone = self._phone(m)
            if phone is not None:
                spans.append((s, s + phone, "phone"))
                taken.append((s, s + phone))
        for m in _LONG_DIGITS.finditer(text):
            s, e = m.span()
            if not _overlaps(taken, s, e) and not _MONEY_BEFORE.search(text, max(0, s - 5), s):
                spans.append((s, e, "bank_account"))
        if "@" in text:
            spans.extend((m.start(), m.end(), "email") for m in _EMAIL.finditer(text))
        for m in _PLATE.finditer(text):
            if m.group("ctx") is not None:
                spans.append((m.start("ctx"), m.end("ctx"), "plate"))
            else:
                spans.append((m.start(), m.end(), "plate"))
        spans.extend((m.start(), m.end(), "rt_rw") for m in _RT_RW.finditer(text))
        self._addresses(text, spans)
        for m in _HOUSE_NUMBER.finditer(text):
            spans.append((m.start("num"), m.end("num"), "house_number"))

    def _letters_only(self, text: str, spans: list[tuple[int, int, str]]) -> None:
        if "@" in text:
            spans.extend((m.start(), m.end(), "email") for m in _EMAIL.finditer(text))
        self._addresses(text, spans)

    def _phone(self, m: re.Match[str]) -> int | None:
        """Length of the valid phone number at the start of the match, or None."""
        groups = list(_PHONE_GROUP.finditer(m.group()))
        best: int | None = None
        digits = ""
        intl = m.group("intl")
        for g in groups:
            digits += g.group()
            if len(digits) > 15:
                break
            national = _national_phone(digits) if intl else digits
            if _valid_phone(national, plus=bool(intl and "+" in intl), paren="(" in m.group()):
                if national in self._allowed_phones:
                    return None
                best = g.end()
        return best

    def _addresses(self, text: str, spans: list[tuple[int, int, str]]) -> None:
        for m in _ADDRESS.finditer(text):
            tail = m.group("tail")
            if tail is not None:
                # A street with a house number or block is an address whatever the case.
                spans.append((m.start(), m.end(), "address"))
                continue
            # Without a number, keep the leading run of capitalised (or numeric) words:
            # "Gang Mawar sudah dibersihkan" -> "Gang Mawar".
            end = -1
            last = ""
            for w in _ADDRESS_WORD.finditer(m.group("words")):
                word = w.group()
                if not (word[0].isupper() or word[0].isdigit()):
                    break
                end = m.start("words") + w.end()
                last = word
            if end < 0:
                continue
            if m.group("prefix")[0] in "jJ" and not last[0].isdigit():
                continue  # "Jalan Raya Slawi": a public road, not somebody's address
            spans.append((m.start(), end, "address"))
        if "lok" in text:
            for m in _BLOCK.finditer(text):
                code = m.group("code")
                if any(c.isdigit() for c in m.group()) or code.isupper():
                    spans.append((m.start(), m.end(), "address"))

    def _honorific_names(self, text: str, spans: list[tuple[int, int, str]]) -> None:
        for m in _HONORIFIC.finditer(text):
            hon = m.group("hon")
            if hon is not None:
                low_hon = hon.lower()
                if m.group("dot"):
                    if low_hon not in HONORIFIC_ABBREVIATIONS:
                        continue  # "... terima kasih Pak. Air sudah mengalir"
                elif low_hon in HONORIFIC_DOT_REQUIRED:
                    continue
            pos = m.end()
            start = end = -1
            count = 0
            role_seen = False
            while count < 3:
                w = _NAME_WORD.match(text, pos)
                if w is None:
                    break
                word = w.group(1)
                bare = word.rstrip(".")
                low = bare.lower()
                if count == 0 and low in HONORIFICS and (word.endswith(".") or len(low) > 2):
                    pos = w.end()  # "Bapak H. Slamet", "Ibu Hj. Siti"
                    continue
                if count == 0 and not role_seen and low in ROLES:
                    role_seen = True
                    pos = w.end()
                    continue
                capital = bare[0].isupper()
                if low in NOT_NAMES or (role_seen and not capital):
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

    def _known(self, text: str, known: _PreparedKnown, spans: list[tuple[int, int, str]]) -> None:
        if known.name_words:
            words = known.name_words
            keys = known.typo_keys
            lengths = known.typo_lengths
            for m in _WORD.finditer(text):
                low = m.group().lower()
                if low in words or (
                    len(low) in lengths
                    and low not in _NO_TYPO
                    and (low in keys or any(v in keys for v in _delete_variants(low)))
                ):
                    spans.append((m.start(), m.end(), "name"))
        if known.phones or known.niks:
            for m in _DIGITS_LOOSE.finditer(text):
                digits = re.sub(r"\D", "", m.group())
                if digits in known.niks or _national_phone(digits) in known.phones:
                    spans.append((m.start(), m.end(), "nik" if digits in known.niks else "phone"))
                else:
                    for p in known.phones:
                        i = digits.find(p[1:])
                        if i >= 0 and len(p) >= 9:
                            spans.append((m.start(), m.end(), "phone"))
                            break
        if known.literals:
            low_text = text.lower()
            if len(low_text) != len(text):
                return  # lower-casing changed offsets (rare scripts); the regexes still ran
            for kind, lit in known.literals:
                i = low_text.find(lit)
                while i >= 0:
                    j = i + len(lit)
                    if (i == 0 or not low_text[i - 1].isalnum()) and (
                        j == len(low_text) or not low_text[j].isalnum()
                    ):
                        spans.append((i, j, kind))
                    i = low_text.find(lit, j)


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
    if not spans:
        return []
    spans.sort()
    out: list[Finding] = []
    cur_s, cur_e, cur_k = spans[0]
    for s, e, k in spans[1:]:
        joinable = s <= cur_e or (
            k == "name" == cur_k and s - cur_e <= 2 and not text[cur_e:s].strip()
        )
        if joinable:
            if e > cur_e:
                cur_e = e
            if _PRIORITY[k] > _PRIORITY[cur_k]:
                cur_k = k
        else:
            out.append(Finding(cur_k, cur_s, cur_e, text[cur_s:cur_e]))
            cur_s, cur_e, cur_k = s, e, k
    out.append(Finding(cur_k, cur_s, cur_e, text[cur_s:cur_e]))
    return out
