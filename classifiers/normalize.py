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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import chain

MASK_TOKENS = frozenset({"xurl", "xemail", "xtelp", "xnik", "xplat", "xuang", "xangka", "xtempat"})

# The patterns below are written so that each starts with a plain character class: Python's
# regex engine then jumps from candidate to candidate in C instead of trying the whole pattern
# at every position (3-5x faster on a complaint; #23). A leading ``\b`` or ``(?<!\d)`` is
# therefore moved behind the first character as an equivalent look-behind: ``X(?<!\wX)`` is
# ``\bX`` when X is a word character, ``\d(?<!\d\d)`` is ``(?<!\d)\d``. Case-insensitive first
# letters are spelled out with every character ``re.IGNORECASE`` would match (``k`` also
# matches the Kelvin sign). ``tests/test_classifier_speed.py`` checks each against the plain
# form it replaces (kept there) on the corpus and on fuzzed text.

# A capitalised name after a place word (``Desa Kemantran``, ``Jl. Diponegoro``) is a place:
# masked like identifiers, so that addresses never pull a score toward ``general``. Plain form:
# ``\b((?i:desa|kel|kelurahan|kec|kecamatan|dukuh|dusun|jl|jln|jalan|gg|gang|perum|blok)\.? )``
# followed by the capitalised words; alternatives are grouped by first letter, in their order.
_PLACE_AFTER = re.compile(
    r"([dDkK\u212ajJgGpPbB](?<!\w[dDkK\u212ajJgGpPbB])"
    r"(?:(?<=[dD])(?i:esa|ukuh|usun)|(?<=[kK\u212a])(?i:el|elurahan|ec|ecamatan)"
    r"|(?<=[jJ])(?i:l|ln|alan)|(?<=[gG])(?i:g|ang)|(?<=[pP])(?i:erum)|(?<=[bB])(?i:lok))\.? )"
    r"[A-Z][\w'-]+(?: [A-Z][\w'-]+)*"
)

# Pattern, replacement, and a cheap test that must pass before the pattern can match at all
# (most complaints have no e-mail or URL). Applied in this order on the original-case text;
# RT/RW numbers go before plates, which look alike. The plain form of each is in a comment.
_MONEY_UNITS = r"(?:rb|ribu|rebu|ewu|jt|juta|yuta|jeti|k)"
_MASKS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    # https?://\S+|www\.\S+ (case-insensitive)
    (re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE), " xurl ", "url"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), " xemail ", "@"),
    # (?<!\d)(?:\+?62|0)8\d{1,3}[- ]?\d{3,4}[- ]?\d{3,5}(?!\d)
    (
        re.compile(r"(?:\+(?<!\d\+)62|6(?<!\d6)2|0(?<!\d0))8\d{1,3}[- ]?\d{3,4}[- ]?\d{3,5}(?!\d)"),
        " xtelp ",
        "digit",
    ),
    # (?<!\d)\d{16}(?!\d)
    (re.compile(r"\d(?<!\d\d)\d{15}(?!\d)"), " xnik ", "digit"),
    # \b(rt|rw)\.? ?\d{1,3}\b (case-insensitive)
    (
        re.compile(r"([rR](?<!\w[rR])[tTwW])\.? ?\d{1,3}\b"),
        r" \1 xangka ",
        "digit",
    ),
    # \b[A-Z]{1,2} ?\d{1,4} ?[A-Z]{1,3}\b
    (re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]? ?\d{1,4} ?[A-Z]{1,3}\b"), " xplat ", "digit"),
    # \brp\.? ?\d[\d.,]*(?: ?(?:rb|ribu|ewu|jt|juta|yuta|k))?\b
    # |\b\d[\d.,]* ?(?:rb|ribu|rebu|ewu|jt|juta|yuta|jeti|k)\b (case-insensitive)
    (
        re.compile(
            r"[rR\d](?<!\w[rR\d])"
            r"(?:(?<=[rR])(?i:p\.? ?\d[\d.,]*(?: ?(?:rb|ribu|ewu|jt|juta|yuta|k))?\b)"
            r"|(?<=\d)(?i:[\d.,]* ?" + _MONEY_UNITS + r"\b))"
        ),
        " xuang ",
        "digit",
    ),
)
_DIGIT = re.compile(r"\d")
_REDUPLICATION = re.compile(r"\b([a-z]{2,})2\b")
_LONG_RUNS = re.compile(r"([a-z])\1{2,}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Word characters other than ``_``: the tokens left by replacing every run of non-word
# characters and every ``_`` with a space and splitting (one pass instead of three).
_TOKEN = re.compile(r"[^\W_]+")

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
        # ``re.IGNORECASE`` matches ``w`` only to ``w`` and ``W``: the same test, without a scan.
        "url": "://" in text or "www." in text.lower(),
        "@": "@" in text,
        "digit": _DIGIT.search(text) is not None,
    }
    for pattern, replacement, hint in _MASKS:
        if hints[hint]:
            text = pattern.sub(replacement, text)
    return _PLACE_AFTER.sub(r"\1xtempat ", text)


class _TokenMap(dict[str, tuple[str, ...]]):
    """Raw token -> what it becomes (letter runs shortened, slang, stopwords, stem, places).

    Every one of those steps looks at one token alone, so the result is kept per distinct
    token (a batch of complaints repeats a few thousand words): a known token is one dict
    lookup in C, only a new one runs the steps, in ``__missing__``. ``_LONG_RUNS`` is applied
    per token because a run of equal letters never spans two tokens. Bounded in size.
    """

    def __init__(self, config: NormalizerConfig) -> None:
        super().__init__()
        self.config = config
        self.cues = _CueMap(self) if config.cues else None

    def __missing__(self, raw: str) -> tuple[str, ...]:
        config = self.config
        token = _LONG_RUNS.sub(r"\1\1", raw)
        tokens = slang_table().get(token, token).split() if config.slang else [token]
        if config.remove_stopwords:
            tokens = [t for t in tokens if t in PROTECTED_WORDS or t not in STOPWORDS]
        if config.stem:
            stem = _stemmer()
            tokens = [t if t in PROTECTED_WORDS or t in MASK_TOKENS else stem(t) for t in tokens]
        places = place_names()
        found = tuple("xtempat" if t in places else t for t in tokens)
        if len(self) < _TOKEN_CACHE_SIZE:
            self[raw] = found
        return found


class _CueMap(dict[str, tuple[str, ...]]):
    """Raw token -> the cue class tokens its normalised tokens append (same bound)."""

    def __init__(self, tokens: _TokenMap) -> None:
        super().__init__()
        self.tokens = tokens

    def __missing__(self, raw: str) -> tuple[str, ...]:
        table = cue_table()
        found = tuple(table[t] for t in self.tokens[raw] if t in table)
        if len(self) < _TOKEN_CACHE_SIZE:
            self[raw] = found
        return found


# One token map per normaliser configuration (a model uses one; training compares a few).
_TOKEN_MAPS: dict[NormalizerConfig, _TokenMap] = {}
_TOKEN_CACHE_SIZE = 500_000


def _token_map(config: NormalizerConfig) -> _TokenMap:
    found = _TOKEN_MAPS.get(config)
    if found is None:
        found = _TOKEN_MAPS.setdefault(config, _TokenMap(config))
    return found


def normalize(text: str, config: NormalizerConfig = NormalizerConfig()) -> str:
    """Normalise one complaint text to space-separated lower-case tokens."""
    return _normalize_with(text, _token_map(config))


def _normalize_with(text: str, table: _TokenMap) -> str:
    text = mask_identifiers(text).lower()
    if _may_reduplicate(text):
        text = _REDUPLICATION.sub(r"\1 \1", text)
    if _DIGIT.search(text) is not None:
        text = _NUMBER.sub(" xangka ", text)
    # ASCII text (almost every complaint): every character but a letter or digit becomes a
    # space and the rest is split, in C; the same tokens as ``_TOKEN``, which handles the rest.
    raws = text.translate(_ascii_separators()).split() if text.isascii() else _TOKEN.findall(text)
    tokens = list(chain.from_iterable(map(table.__getitem__, raws)))
    if table.cues is not None:
        if _cues_cascade():  # a cue token that is itself a cue word: the original loop
            tokens.extend(cue_table()[t] for t in tokens if t in cue_table())
        else:  # each token's cues, in token order: what that loop appends
            tokens += chain.from_iterable(map(table.cues.__getitem__, raws))
    return " ".join(tokens)


def _may_reduplicate(text: str) -> bool:
    """False when ``_REDUPLICATION`` cannot match: no ``2`` right after a letter a-z."""
    at = text.find("2")
    while at != -1:
        if at > 0 and "a" <= text[at - 1] <= "z":
            return True
        at = text.find("2", at + 1)
    return False


@cache
def _ascii_separators() -> dict[int, str]:
    """``str.translate`` table: every ASCII character that is not a letter or digit -> space."""
    return {c: " " for c in range(128) if not chr(c).isalnum()}


@cache
def _cues_cascade() -> bool:
    table = cue_table()
    return any(kind in table for kind in table.values())


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


def normalize_many(
    texts: Sequence[str], config: NormalizerConfig = NormalizerConfig()
) -> list[str]:
    """Normalise a batch (same result as calling ``normalize`` on each)."""
    table = _token_map(config)
    return [_normalize_with(text, table) for text in texts]
