"""The labelled corpus: loading, validation, the fixed evaluation split and near-duplicates.

The corpus is ``classifiers/data/corpus.jsonl``, one JSON object a line with the fields of
``LabelledExample`` (see ``classifiers/LABELLING.md`` for the rules). Reviewer decisions are
given to training as extra ``LabelledExample`` objects with ``source="reviewer"``.

The evaluation split is fixed by a hash of each example's id, so it never changes when
examples are added and a held-out example can never drift into training.

Errors: ``CorpusError`` (from ``classifiers.errors``) for a line or corpus that breaks a rule.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from scipy import sparse

from classifiers.errors import CorpusError

Label = Literal["conflict", "general"]
LABELS: tuple[Label, ...] = ("conflict", "general")

# topic -> short description (Bahasa Indonesia, shown in LABELLING.md and evaluation tables).
TOPICS: dict[str, str] = {
    # general
    "jalan": "jalan, jembatan, trotoar, rambu",
    "pju": "penerangan jalan umum",
    "drainase": "saluran, gorong-gorong",
    "banjir": "banjir, tanggul, sungai",
    "sampah": "sampah, TPS, kebersihan",
    "air": "air bersih, PDAM/Tirta Ayu",
    "irigasi": "irigasi pertanian",
    "listrik": "listrik (diteruskan ke PLN)",
    "fasum": "fasilitas umum: taman, pasar, toilet, GOR",
    "adminduk": "layanan administrasi kependudukan dan perizinan",
    "sekolah": "sarana sekolah",
    "kesehatan": "puskesmas, RSUD, posyandu",
    "transportasi": "angkutan umum, parkir, lalu lintas",
    "lingkungan": "polusi dan lingkungan tanpa pihak yang dapat dikenali",
    "layanan": "layanan publik lain (internet, informasi, bantuan umum)",
    "informasi": "pertanyaan dan permintaan informasi tanpa pihak yang dituduh",
    # conflict-prone
    "tetangga": "perselisihan antartetangga",
    "tanah": "sengketa tanah, batas, sertifikat",
    "warisan": "sengketa warisan",
    "pungli": "pungutan liar oleh orang/pejabat yang dapat dikenali",
    "danadesa": "dugaan penyalahgunaan Dana Desa/BLT",
    "nepotisme": "nepotisme, titipan, kolusi",
    "oknum": "perilaku buruk pejabat/pegawai yang dapat dikenali",
    "bansos": "tuduhan kecurangan bansos",
    "sara": "SARA, intoleransi, ujaran kebencian",
    "antardesa": "ketegangan antardesa atau antarkelompok",
    "tawuran": "tawuran, perkelahian massal",
    "kdrt": "KDRT, kekerasan anak, urusan rumah tangga",
    "utang": "utang piutang, arisan, penagihan",
    "rentenir": "rentenir, bank plecit, pinjol",
    "koperasi": "koperasi/BUMDes/investasi yang tidak membayar",
    "ancaman": "ancaman, intimidasi",
    "asusila": "asusila, pelecehan",
    "usaha": "usaha milik tetangga/warga yang dapat dikenali",
    "pekerja": "perselisihan pekerja dengan perusahaan atau lembaga yang dapat dikenali",
}

MIN_WORDS = 8
# Real complaints have a long tail past 150 words (formal letters run to several paragraphs).
MAX_WORDS = 400
TEST_SHARE_PERCENT = 20
# The validation split (calibration and thresholds), never used for fitting.
VALIDATION_SHARE_PERCENT = 15
NEAR_DUPLICATE_JACCARD = 0.5
SHINGLE = 5


@dataclass(frozen=True, slots=True)
class LabelledExample:
    """One labelled complaint with the PIC's follow-up note."""

    id: str
    complaint: str
    follow_up: str
    label: Label
    topic: str
    reason: str
    source: str = "corpus"

    @property
    def text(self) -> str:
        """The screening input: complaint text + newline + follow-up note."""
        return screening_text(self.complaint, self.follow_up)

    @property
    def y(self) -> int:
        return 1 if self.label == "conflict" else 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def screening_text(complaint: str, follow_up: str | None) -> str:
    """The text the model scores: the complaint, a newline, then the follow-up note."""
    return f"{complaint}\n{follow_up or ''}"


def default_corpus_path() -> Path:
    return Path(__file__).resolve().parent / "data" / "corpus.jsonl"


def word_count(text: str) -> int:
    return len(text.split())


def parse_example(raw: object, where: str) -> LabelledExample:
    """Validate one decoded JSON object against the labelling rules."""
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: expected a JSON object")
    fields = ("id", "complaint", "follow_up", "label", "topic", "reason")
    missing = [f for f in fields if not isinstance(raw.get(f), str) or not raw[f].strip()]
    if missing:
        raise CorpusError(f"{where}: missing or empty field(s): {', '.join(missing)}")
    label = raw["label"]
    if label not in LABELS:
        raise CorpusError(f"{where}: label must be one of {LABELS}, got {label!r}")
    if raw["topic"] not in TOPICS:
        raise CorpusError(f"{where}: unknown topic {raw['topic']!r}")
    words = word_count(raw["complaint"])
    if not MIN_WORDS <= words <= MAX_WORDS:
        raise CorpusError(f"{where}: complaint has {words} words, allowed {MIN_WORDS}-{MAX_WORDS}")
    source = raw.get("source", "corpus")
    return LabelledExample(
        id=raw["id"],
        complaint=raw["complaint"],
        follow_up=raw["follow_up"],
        label=label,
        topic=raw["topic"],
        reason=raw["reason"],
        source=source if isinstance(source, str) else "corpus",
    )


def default_corpus_paths() -> tuple[Path, ...]:
    """The hand-written corpus and the generated real-register corpus (``generator``)."""
    data = default_corpus_path().parent
    return (data / "corpus.jsonl", data / "register.jsonl")


def load_corpus(path: Path | None = None) -> list[LabelledExample]:
    """Read and validate the corpus (default: ``default_corpus_paths``); ids must be unique."""
    examples: list[LabelledExample] = []
    seen: set[str] = set()
    for one in (path,) if path is not None else default_corpus_paths():
        _load_into(one, examples, seen)
    return examples


def _load_into(path: Path, examples: list[LabelledExample], seen: set[str]) -> None:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{where}: invalid JSON ({exc.msg})") from None
            example = parse_example(raw, where)
            if example.id in seen:
                raise CorpusError(f"{where}: duplicate id {example.id!r}")
            seen.add(example.id)
            examples.append(example)


def _bucket(example_id: str) -> int:
    digest = hashlib.sha256(example_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100


def is_test(example_id: str) -> bool:
    """Whether an id belongs to the fixed evaluation split (stable under corpus growth)."""
    return _bucket(example_id) < TEST_SHARE_PERCENT


def is_validation(example_id: str) -> bool:
    """Whether an id belongs to the fixed validation split (calibration and thresholds)."""
    bucket = _bucket(example_id)
    return TEST_SHARE_PERCENT <= bucket < TEST_SHARE_PERCENT + VALIDATION_SHARE_PERCENT


def split3(
    examples: Sequence[LabelledExample],
) -> tuple[list[LabelledExample], list[LabelledExample], list[LabelledExample]]:
    """(train, validation, test) by the fixed id hash; reviewer examples always train."""
    train: list[LabelledExample] = []
    validation: list[LabelledExample] = []
    test: list[LabelledExample] = []
    for example in examples:
        if example.source != "corpus":
            train.append(example)
        elif is_test(example.id):
            test.append(example)
        elif is_validation(example.id):
            validation.append(example)
        else:
            train.append(example)
    return train, validation, test


def split(
    examples: Sequence[LabelledExample],
) -> tuple[list[LabelledExample], list[LabelledExample]]:
    """(train, test) by the fixed id hash; reviewer examples always go to training."""
    train: list[LabelledExample] = []
    test: list[LabelledExample] = []
    for example in examples:
        held_out = example.source == "corpus" and is_test(example.id)
        (test if held_out else train).append(example)
    return train, test


def data_hash(examples: Iterable[LabelledExample], salt: str = "") -> str:
    """sha256 of the training data (order-independent), plus a salt such as the config."""
    lines = sorted(f"{e.id}\t{e.label}\t{e.text}" for e in examples)
    digest = hashlib.sha256(salt.encode("utf-8"))
    for line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


_SPACES = re.compile(r"\s+")


def _shingles(text: str) -> set[str]:
    text = _SPACES.sub(" ", text.lower()).strip()
    if len(text) <= SHINGLE:
        return {text}
    return {text[i : i + SHINGLE] for i in range(len(text) - SHINGLE + 1)}


def near_duplicates(
    texts: Sequence[str], threshold: float = NEAR_DUPLICATE_JACCARD
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) of texts whose character 5-gram Jaccard is >= threshold.

    Exact on all pairs: a sparse binary shingle matrix times its transpose gives every
    intersection size at once, which is far faster than comparing Python sets pairwise.
    """
    vocabulary: dict[str, int] = {}
    indices: list[int] = []
    indptr = [0]
    for text in texts:
        for shingle in _shingles(text):
            indices.append(vocabulary.setdefault(shingle, len(vocabulary)))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(texts), len(vocabulary)))
    sizes = np.diff(matrix.indptr).astype(np.float64)
    inter = sparse.triu(matrix @ matrix.T, k=1).tocoo()
    union = sizes[inter.row] + sizes[inter.col] - inter.data
    jaccard = inter.data / np.maximum(union, 1.0)
    hits = np.nonzero(jaccard >= threshold)[0]
    return [(int(inter.row[k]), int(inter.col[k]), float(jaccard[k])) for k in hits]
