"""Recognisers for identifiers written loosely, the way PICs and reporters write (issue #16).

The tidy forms are found by :mod:`publisher.privacy.detector`; these find the same identifiers
after normalisation:

* digits: a *digit view* of the text (the digits of a run of digit groups split by spaces, dots,
  dashes, slashes or a line break, each digit keeping its original offset), so "0857 - 1122 -
  3344", "08 12 34 56 78 90", "0 8 1 2 ...", a number across a line break, and a NIK split 8-8,
  4-2-6-4 or in pairs are read as one number and reported over the original characters;
* e-mail with an obfuscated ``@`` and ``.`` ("nama [at] gmail [dot] com", "(at)", spaced, in
  words: "at"/"et", "dot"/"titik");
* vehicle plates in any case and with any one separator ("G-1234-AB", "g.1234.ab"), checked
  against the regional letter codes;
* descriptive addresses ("rumah cat hijau sebelah musholla ...", "gang sebelah toko ...");
* the sender's name in a WhatsApp-style signature at the end of a text.

Each recogniser appends ``(start, end, kind)`` spans over the original text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from publisher.privacy.lexicon import (
    COMMON_WORDS,
    NAME_ROLES,
    NOT_NAMES,
    PLACES,
    PLATE_REGIONS,
    PROVINCE_CODES,
)

Spans = list[tuple[int, int, str]]

# A run of digit groups; the separators are the ways people split a number. No leading
# look-behind other than "not a digit": a NIK or phone glued to a word ("NIK3328...",
# "hp0812...") is still one.
_DIGIT_RUN: Final = re.compile(
    r"(?<!\d)\+?[ \t]?\d+(?:(?:[ \t]*[.\-/–][ \t]*|[ \t]*\r?\n[ \t]*|[ \t]+)\d+)*"
)
_GROUP: Final = re.compile(r"\d+")
_ID_CONTEXT: Final = re.compile(r"(?:nik|ktp|kk|kartu\s+keluarga|kependudukan)\W{0,12}$")  # (low)
_KK_BEFORE: Final = re.compile(r"(?:\bkk|kartu\s+keluarga)\W{0,12}$")  # (low)
_MONEY: Final = re.compile(r"(?:rp|idr)\.?\s*$")  # (low)

_AT: Final = (
    r"(?:[ \t]*@[ \t]*|[ \t]*[\[({<][ \t]*(?:at|et)[ \t]*[\])}>][ \t]*|[ \t]+(?:at|et)[ \t]+)"
)
_DOT: Final = (
    r"(?:[ \t]*\.[ \t]*|[ \t]*[\[({<][ \t]*(?:dot|titik)[ \t]*[\])}>][ \t]*"
    r"|[ \t]+(?:dot|titik)[ \t]+)"
)
_EMAIL_LOOSE: Final = re.compile(  # (low)
    r"(?<![\w.@])[a-z0-9][a-z0-9._%+\-]{0,63}" + _AT + r"[a-z0-9\-]{2,63}"
    r"(?:" + _DOT + r"[a-z0-9\-]{2,63}){0,2}" + _DOT + r"(?:com|net|org|id|info|biz|me)(?![\w])"
)

_PLATE_LOOSE: Final = re.compile(  # (low)
    r"(?<![\w.\-/])(?P<region>[a-z]{1,2})(?P<sep>[ .\-]?)\d{1,4}(?P=sep)(?P<suffix>[a-z]{1,3})"
    r"(?![\w\-/]|\.\w)"
)

_VEHICLE_BEFORE: Final = re.compile(  # (low): "truk h 5236 rt" is a plate
    r"\b(?:truk|motor|mobil|pikap|angkot|bus|kendaraan|nopol|plat|pelat|tnkb)\b[^.\n]{0,12}$"
)
_LANDMARK: Final = (
    r"(?:musholla|mushola|musala|mushala|masjid|langgar|surau|toko|warung|pos\s+ronda|pos|sd|smp"
    r"|mi|tk|paud|sekolah|balai\s+desa|balai|makam|jembatan|pabrik|kios|bengkel|lapangan|pasar"
    r"|kantor|gereja|pangkalan|konter|rumah)"
)
_DESCRIPTIVE: Final = re.compile(  # (low)
    r"\b(?:rumah|rmh|gang|gg|lorong|kediaman)\b\.?(?:[ \t]+[a-z'’\-]+){0,4}?[ \t]+"
    r"(?:persis[ \t]+|pas[ \t]+)?(?:sebelah|samping|depan|belakang|dekat|seberang|pojok"
    r"|ujung|sebelahnya|sampingnya|depannya|belakangnya)\b(?:[ \t]+(?:nya|persis|pas))?"
    r"[ \t]+" + _LANDMARK + r"\b"
)
_LANDMARK_NAME: Final = re.compile(r"[ \t]+([\w'’\-]+)")
_LANDMARK_WORDS: Final = frozenset(("motor", "mobil", "bangunan", "negeri", "desa"))
_VERB: Final = re.compile(r"(?:meng|meny|mem|men|ber|ter|di|ke|se)[a-z]{3,}$")

_CLOSING: Final = (
    r"(?:terima\s+kasih|trims|tks|thx|makasih|matur\s+nuwun|nuwun|salam|wassalam\w*"
    r"|hormat\s+(?:saya|kami)|ttd|salam\s+hormat)"
)
_SIGNATURE: Final = re.compile(
    r"(?:(?:^|\n|[.!?][ \t]+)[ \t]*" + _CLOSING + r"[ \t]*[.,!:]*[ \t]*(?:\r?\n[ \t]*)+"
    r"|(?:^|\n)[ \t]*(?:ttd|salam)\.?[ \t]+|(?:^|\n)[ \t]*[-–—~]+[ \t]*)"
    r"(?P<name>[A-Z][\w'’]+(?:[ \t]+[A-Z][\w'’]+){0,2})[ \t.!]*\Z",
    re.IGNORECASE,
)


_NOT_SENDER: Final = (
    PLACES
    | NAME_ROLES
    | frozenset(
        (
            "sudah",
            "terima",
            "kasih",
            "salam",
            "tim",
            "admin",
            "petugas",
            "warga",
            "pemkab",
            "pemdes",
        )
    )
)


def digit_view(
    text: str,
    low: str,
    spans: Spans,
    *,
    allowed_phone: Callable[[str], bool],
) -> None:
    """Phones and NIK/KK numbers in any grouping, reported over the original characters."""
    for run in _DIGIT_RUN.finditer(text):
        groups = [g.span() for g in _GROUP.finditer(text, run.start(), run.end())]
        if sum(e - s for s, e in groups) < 10:
            continue
        plus = text[run.start()] == "+"
        i = 0
        while i < len(groups):
            i = _number_at(text, low, groups, i, plus and i == 0, spans, allowed_phone)


def _is_date(text: str, groups: list[tuple[int, int]], i: int) -> bool:
    if i + 2 >= len(groups):
        return False
    d, m, y = (text[s:e] for s, e in groups[i : i + 3])
    return (
        len(d) <= 2
        and len(m) <= 2
        and len(y) == 4
        and 1 <= int(d) <= 31
        and 1 <= int(m) <= 12
        and y[:2] in ("19", "20")
    )


def _number_at(
    text: str,
    low: str,
    groups: list[tuple[int, int]],
    i: int,
    plus: bool,
    spans: Spans,
    allowed_phone: Callable[[str], bool],
) -> int:
    """Find a phone or a NIK starting at group ``i``; return the next group to look at."""
    if _is_date(text, groups, i):
        return i + 3
    start = groups[i][0]
    if _MONEY.search(low, max(0, start - 5), start):
        return i + 1
    digits = ""
    phone_end = -1
    for j in range(i, len(groups)):
        digits += text[groups[j][0] : groups[j][1]]
        if len(digits) > 16:
            break
        national = digits if digits.startswith("08") else None
        if digits.startswith("628") and (plus or j > i):
            national = "0" + digits[2:]
        if national is not None and 10 <= len(national) <= 13:
            phone_end = j
        if len(digits) == 16 and not digits.startswith(("08", "628")):
            ctx = low[max(0, start - 30) : start]
            if nik_is_valid(digits) or _ID_CONTEXT.search(ctx):
                kind = "kk" if _KK_BEFORE.search(ctx) else "nik"
                spans.append((start, groups[j][1], kind))
                return j + 1
    if phone_end >= 0:
        number = "".join(text[s:e] for s, e in groups[i : phone_end + 1])
        national = number if number.startswith("0") else "0" + number[2:]
        s0 = start - 1 if plus and start > 0 and text[start - 1] == "+" else start
        if not allowed_phone(national):
            spans.append((s0, groups[phone_end][1], "phone"))
        return phone_end + 1
    return i + 1


def nik_is_valid(digits: str) -> bool:
    """A NIK's province, regency, district and birth date (day + 40 for women) are valid."""
    if digits[:2] not in PROVINCE_CODES or digits[2:4] == "00" or digits[4:6] == "00":
        return False
    day = int(digits[6:8])
    month = int(digits[8:10])
    if day > 40:
        day -= 40
    if not 1 <= month <= 12 or day < 1:
        return False
    # Year has two digits, so 29 February is always allowed.
    return (
        day <= (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1] and digits[12:] != "0000"
    )


def loose_emails(low: str, spans: Spans) -> None:
    if "@" in low or "dot" in low or "titik" in low or ". " in low:
        spans.extend((m.start(), m.end(), "email") for m in _EMAIL_LOOSE.finditer(low))


def loose_plates(low: str, spans: Spans) -> None:
    for m in _PLATE_LOOSE.finditer(low):
        suffix = m.group("suffix")
        # "G-1234-RW" is a plate; "h 2 dan" is not: a bare suffix must not be a word.
        if m.group("region") in PLATE_REGIONS and (
            m.group("sep") in (".", "-")
            or suffix not in COMMON_WORDS
            or _VEHICLE_BEFORE.search(low, max(0, m.start() - 25), m.start())
        ):
            spans.append((m.start(), m.end(), "plate"))


def descriptive_addresses(text: str, low: str, spans: Spans) -> None:
    for m in _DESCRIPTIVE.finditer(low):
        end = m.end()
        # The landmark's own name, when it has one: "musholla Al-Ikhlas", "SD Negeri 2".
        for _ in range(3):
            w = _LANDMARK_NAME.match(text, end)
            if w is None:
                break
            word = w.group(1).lower()
            if (word in NOT_NAMES and word not in _LANDMARK_WORDS) or _VERB.match(word):
                break
            end = w.end()
        spans.append((m.start(), end, "address"))


def signature(text: str, spans: Spans) -> None:
    tail_at = max(0, len(text) - 80)
    m = _SIGNATURE.search(text, tail_at)
    if m is None:
        return
    words = m.group("name").split()
    # The last line after a closing is the sender, even when the name is also a word ("Hari",
    # "Bagus"); only what is plainly not a person is left.
    if not words[0][0].isupper() or any(w.lower() in _NOT_SENDER for w in words):
        return
    spans.append((m.start("name"), m.end("name"), "name"))
