"""Text normalisation for informal Indonesian and Tegal Javanese complaint text.

Steps, in order (each is a table or a regular expression, no hidden state):

1. Unicode NFKC; identifiers are masked *before* lower-casing, because vehicle plates are
   recognised by their capitals: URLs, e-mail, phone numbers, NIK/KK (16 digits), plates,
   RT/RW numbers (before plates, which look alike), money amounts (``xuang``: amounts are a
   strong pungli signal) and any other number (``xangka``). Masks keep the model from
   learning identities and stop personal data from ever appearing in a reason shown to a
   reviewer.
2. Lower-case; reduplication written with a 2 (``anak2``) is expanded; runs of three or more
   equal letters are shortened (``parahhh`` -> ``parahh``).
3. Slang, abbreviations and Javanese words are mapped to standard Indonesian with the table in
   ``classifiers/data/slang.tsv`` (``nyong`` -> ``saya``, ``ora``/``gak`` -> ``tidak``).
4. Optional, chosen by cross-validation (see ``training``): Sastrawi stemming and stopword
   removal. Words that signal accusations (pronouns, ``bapak``, ``ibu``, ``tidak``, ...) are
   never removed.

No errors are raised: any string normalises to a (possibly empty) string.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

MASK_TOKENS = frozenset({"xurl", "xemail", "xtelp", "xnik", "xplat", "xuang", "xangka", "xtempat"})
# A capitalised name after a place word (``Desa Kemantran``, ``Jl. Diponegoro``) is a place:
# masked like identifiers, so that addresses never pull a score toward ``general``.
_PLACE_AFTER = re.compile(
    r"\b((?i:desa|kel|kelurahan|kec|kecamatan|dukuh|dusun|jl|jln|jalan|gg|gang|perum|blok)\.? )"
    r"[A-Z][\w'-]+(?: [A-Z][\w'-]+)*"
)

# Pattern, replacement, and a cheap test that must pass before the pattern can match at all
# (most complaints have no e-mail or URL). Applied in this order on the original-case text;
# RT/RW numbers go before plates, which look alike.
_MASKS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE), " xurl ", "url"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), " xemail ", "@"),
    (re.compile(r"(?<!\d)(?:\+?62|0)8\d{1,3}[- ]?\d{3,4}[- ]?\d{3,5}(?!\d)"), " xtelp ", "digit"),
    (re.compile(r"(?<!\d)\d{16}(?!\d)"), " xnik ", "digit"),
    (re.compile(r"\b(rt|rw)\.? ?\d{1,3}\b", re.IGNORECASE), r" \1 xangka ", "digit"),
    (re.compile(r"\b[A-Z]{1,2} ?\d{1,4} ?[A-Z]{1,3}\b"), " xplat ", "digit"),
    (
        re.compile(
            r"\brp\.? ?\d[\d.,]*(?: ?(?:rb|ribu|ewu|jt|juta|yuta|k))?\b"
            r"|\b\d[\d.,]* ?(?:rb|ribu|rebu|ewu|jt|juta|yuta|jeti|k)\b",
            re.IGNORECASE,
        ),
        " xuang ",
        "digit",
    ),
)
_DIGIT = re.compile(r"\d")
_URL_HINT = re.compile(r"://|www\.", re.IGNORECASE)
_REDUPLICATION = re.compile(r"\b([a-z]{2,})2\b")
_LONG_RUNS = re.compile(r"([a-z])\1{2,}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NON_WORD = re.compile(r"[^\w]+")

# Never dropped by stopword removal: they carry who-did-what-to-whom.
PROTECTED_WORDS = frozenset(
    {
        "saya",
        "kami",
        "kita",
        "dia",
        "mereka",
        "kamu",
        "beliau",
        "bapak",
        "ibu",
        "tidak",
        "bukan",
        "belum",
        "tidakada",
        "anak",
        "suami",
        "istri",
        "kades",
        "tetangga",
    }
)

# Function words whose removal was measured (``training.compare_candidates``).
STOPWORDS = frozenset(
    {
        "yang",
        "di",
        "ke",
        "dari",
        "dan",
        "atau",
        "untuk",
        "pada",
        "dengan",
        "ini",
        "itu",
        "juga",
        "sudah",
        "akan",
        "ada",
        "karena",
        "tapi",
        "tetapi",
        "saja",
        "lagi",
        "sama",
        "oleh",
        "dalam",
        "agar",
        "supaya",
        "kalau",
        "jika",
        "bila",
        "para",
        "pun",
        "lah",
        "kah",
        "nya",
        "sih",
        "dong",
        "kok",
        "ya",
        "yaa",
        "deh",
        "nih",
        "tuh",
        "kan",
        "banget",
        "sangat",
        "mohon",
        "tolong",
        "terima",
        "kasih",
        "sebagai",
        "bahwa",
        "adalah",
        "yaitu",
    }
)


@dataclass(frozen=True, slots=True)
class NormalizerConfig:
    """How text is normalised; stored in the model artefact so training and scoring agree."""

    slang: bool = True
    stem: bool = False
    remove_stopwords: bool = False
    # Append one ``x<class>`` token per conflict cue (``classifiers/data/cues.tsv``).
    cues: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {
            "slang": self.slang,
            "stem": self.stem,
            "remove_stopwords": self.remove_stopwords,
            "cues": self.cues,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, object]) -> NormalizerConfig:
        return cls(
            slang=bool(raw.get("slang", True)),
            stem=bool(raw.get("stem", False)),
            remove_stopwords=bool(raw.get("remove_stopwords", False)),
            cues=bool(raw.get("cues", False)),
        )


def _read_tsv(name: str) -> dict[str, str]:
    """A two-column table in ``classifiers/data/`` (``#`` lines are comments)."""
    text = resources.files("classifiers").joinpath(f"data/{name}").read_text("utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, value = line.partition("\t")
        if key and value:
            table[key.strip()] = value.strip()
    return table


@cache
def slang_table() -> dict[str, str]:
    """The slang/dialect table shipped in ``classifiers/data/slang.tsv``."""
    return _read_tsv("slang.tsv")


@cache
def _stemmer() -> Callable[[str], str]:
    # Imported lazily: only models trained with stemming pay for it.
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    stem: Callable[[str], str] = StemmerFactory().create_stemmer().stem
    return cache(stem)


def mask_identifiers(text: str) -> str:
    """Replace identifiers and numbers with mask tokens (original case expected)."""
    text = unicodedata.normalize("NFKC", text)
    hints = {
        "url": _URL_HINT.search(text) is not None,
        "@": "@" in text,
        "digit": _DIGIT.search(text) is not None,
    }
    for pattern, replacement, hint in _MASKS:
        if hints[hint]:
            text = pattern.sub(replacement, text)
    return _PLACE_AFTER.sub(r"\1xtempat ", text)


def normalize(text: str, config: NormalizerConfig = NormalizerConfig()) -> str:
    """Normalise one complaint text to space-separated lower-case tokens."""
    text = mask_identifiers(text).lower()
    text = _REDUPLICATION.sub(r"\1 \1", text)
    text = _NUMBER.sub(" xangka ", text)
    text = _LONG_RUNS.sub(r"\1\1", text)
    tokens = _NON_WORD.sub(" ", text).replace("_", " ").split()
    if config.slang:
        table = slang_table()
        tokens = " ".join(table.get(token, token) for token in tokens).split()
    if config.remove_stopwords:
        tokens = [t for t in tokens if t in PROTECTED_WORDS or t not in STOPWORDS]
    if config.stem:
        stem = _stemmer()
        tokens = [t if t in PROTECTED_WORDS or t in MASK_TOKENS else stem(t) for t in tokens]
    places = place_names()
    tokens = ["xtempat" if t in places else t for t in tokens]
    if config.cues:
        table = cue_table()
        tokens.extend(table[t] for t in tokens if t in table)
    return " ".join(tokens)


@cache
def cue_table() -> dict[str, str]:
    """Conflict-cue word -> its class token (``xsara``, ``xtuduhan``, ...)."""
    return {word: f"x{kind}" for word, kind in _read_tsv("cues.tsv").items()}


def cue_tokens() -> frozenset[str]:
    """The class tokens ``normalize`` may append (never shown to reviewers as words)."""
    return frozenset(cue_table().values())


@cache
def place_names() -> frozenset[str]:
    """Tegal's kecamatan and desa names (``classifiers/data/places.txt``), masked as ``xtempat``."""
    text = resources.files("classifiers").joinpath("data/places.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def normalize_many(texts: list[str], config: NormalizerConfig = NormalizerConfig()) -> list[str]:
    """Normalise a batch (same result as calling ``normalize`` on each)."""
    return [normalize(text, config) for text in texts]
