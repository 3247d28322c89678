"""The conflict-prone model at scoring time: loading the artefact safely, scoring, reasons.

Artefact = two files in one directory (default: ``classifiers/artifacts/``):

* ``model.json``: metadata: format version, the name, size and sha256 of the model file,
  model version, training data hash, metrics, thresholds, library versions;
* ``conflict-model-<sha12>.skops``: a skops file holding only plain types (dict, list, str,
  numbers, numpy arrays): vocabularies, idf weights, coefficients, calibration, thresholds.

Loading never executes code: the sha256 is checked first; then the skops file is read by
``read_plain_skops``, which accepts only the node types on ``ALLOWED_TYPES`` (dict, list, str,
numbers, numpy arrays of numbers or strings, read with ``allow_pickle=False``): stricter than
skops' defaults, which trust scikit-learn classes too, and no class is ever instantiated. The
artefact is a standard skops file (written by ``skops.io.dumps``; ``skops.io.loads(data,
trusted=[])`` reads it identically, tested); scoring just does not import skops and
scikit-learn, which would cost about 2 s of the 5 s screening budget. Then the contents are
validated and cross-checked with the metadata.
Saving is atomic: the model file gets a fresh content-addressed name, and the switch to it is
one ``os.replace`` of ``model.json``; a crash leaves the old model in force.

Errors (see ``classifiers.errors``): ``ModelNotFound``, ``ModelCorrupt``,
``ModelVersionMismatch``, all subclasses of ``ModelError``. Nothing here fails open.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import tempfile
import zipfile
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from classifiers.errors import ModelCorrupt, ModelError, ModelNotFound, ModelVersionMismatch
from classifiers.features import TfidfFeatures
from classifiers.normalize import (
    PROTECTED_WORDS,
    STOPWORDS,
    NormalizerConfig,
    cue_table,
    cue_tokens,
    normalize,
)

FORMAT_VERSION = 1
METADATA_NAME = "model.json"
SKOPS_PROTOCOL = 2
# The only node types an artefact may contain. The artefact holds no objects at all, so no
# class is ever instantiated on load. Never pass ``trusted=True`` to skops.
ALLOWED_TYPES = frozenset(
    {
        "builtins.dict",
        "builtins.list",
        "builtins.tuple",
        "builtins.str",
        "builtins.int",
        "builtins.float",
        "builtins.bool",
        "numpy.ndarray",
    }
)
MAX_REASONS = 5

Decision = Literal["block", "review", "pass"]

# How a masked token is named to a reviewer.
_MASK_NAMES: dict[str, str] = {
    "xuang": "nominal uang",
    "xangka": "angka",
    "xtelp": "nomor telepon",
    "xnik": "NIK",
    "xplat": "pelat nomor",
    "xurl": "tautan",
    "xemail": "alamat e-mail",
}
_REQUIRED_ARRAYS = ("word_terms", "word_idf", "char_terms", "char_idf", "coef")
# Never a reason: function words and pronouns (they say nothing a reviewer can check) and the
# agency's own action words (the follow-up note, not the complaint, says them).
FUNCTION_WORDS = (STOPWORDS | PROTECTED_WORDS) - {"tetangga", "kades", "suami", "istri", "anak"}
EXTRA_FUNCTION_WORDS = frozenset(
    [
        "aku",
        "gue",
        "gw",
        "kalian",
        "kamu",
        "nya",
        "se",
        "si",
        "sang",
        "tersebut",
        "tsb",
        "hal",
        "begitu",
        "begini",
        "sangat",
        "paling",
        "lebih",
        "bisa",
        "dapat",
        "harus",
        "masih",
        "telah",
        "sedang",
        "lalu",
        "kemudian",
        "setelah",
        "sebelum",
        "sejak",
        "hingga",
        "tanpa",
        "bagi",
        "tentang",
        "seperti",
        "serta",
        "namun",
        "jadi",
        "maka",
        "pak",
        "bu",
        "mas",
        "mbak",
        "bpk",
        "min",
        "tiap",
        "setiap",
        "semua",
        "banyak",
        "sering",
        "selalu",
        "hanya",
        "cuma",
        "malah",
        "apalagi",
        "katanya",
        "kata",
        "bilang",
        "minta",
        "kalau",
        "dan",
    ]
)
AGENCY_WORDS = frozenset(
    [
        "memediasi",
        "mediasi",
        "dimediasi",
        "inspektorat",
        "polsek",
        "polres",
        "bhabinkamtibmas",
        "babinsa",
        "ditindaklanjuti",
        "dikoordinasikan",
        "koordinasi",
        "pembinaan",
        "teguran",
        "dipertemukan",
        "mempertemukan",
        "berdamai",
        "sepakat",
        "diperiksa",
        "pemeriksaan",
        "klarifikasi",
        "diklarifikasi",
        "diteruskan",
        "ditangani",
        "peninjauan",
        "musyawarah",
        "kekeluargaan",
        "instansi",
        "terkait",
        "petugas",
        "uptd",
        "dlh",
        "dishub",
    ]
)
# Words of any complaint, conflict or not (greetings, "want", "now", "to"): measured as the
# most frequent reasons on real complaints before they were listed here.
FILLER_WORDS = frozenset(
    [
        "kepada",
        "sekarang",
        "meminta",
        "memberikan",
        "mendapatkan",
        "menanyakan",
        "memiliki",
        "ingin",
        "mau",
        "tahu",
        "tau",
        "sekitar",
        "hampir",
        "sampai",
        "sampe",
        "ketika",
        "saat",
        "waktu",
        "orang",
        "hari",
        "bulan",
        "tahun",
        "sendiri",
        "lain",
        "melaporkan",
        "lapor",
        "assalamualaikum",
        "assalamu",
        "alaikum",
        "wassalamualaikum",
        "wr",
        "wb",
        "selamat",
        "siang",
        "pagi",
        "sore",
        "malam",
        "yth",
        "hormat",
        "terimakasih",
        "mohon",
    ]
)
NOT_A_REASON = (
    FUNCTION_WORDS | EXTRA_FUNCTION_WORDS | FILLER_WORDS | AGENCY_WORDS | {"xangka", "xtempat"}
)
FALLBACK_REASON = "isi laporan secara keseluruhan mirip laporan yang rawan konflik"


@dataclass(frozen=True, slots=True)
class Score:
    """The model's verdict on one text."""

    probability: float
    decision: Decision
    reasons: list[str] = field(default_factory=list)


def default_model_dir() -> Path:
    return Path(__file__).resolve().parent / "artifacts"


def default_model_path() -> Path:
    """The committed artefact's metadata file."""
    return default_model_dir() / METADATA_NAME


def _display(phrase: str) -> str:
    return " ".join(f"[{_MASK_NAMES[t]}]" if t in _MASK_NAMES else t for t in phrase.split())


def reason_text(phrase: str) -> str:
    """A reviewer-facing Bahasa Indonesia phrase for one pushing word or phrase."""
    if phrase in _MASK_NAMES:
        return f"penyebutan {_MASK_NAMES[phrase]} menaikkan skor"
    kind = "frasa" if " " in phrase else "kata"
    return f'{kind} "{_display(phrase)}" menaikkan skor'


class ConflictModel:
    """A loaded, validated model. Cheap to call; safe to share between threads for reading."""

    def __init__(self, params: Mapping[str, Any], metadata: Mapping[str, Any]) -> None:
        self.params = dict(params)
        self.metadata = dict(metadata)
        self.version: str = str(params["version"])
        self.block_threshold: float = float(params["block_threshold"])
        self.review_threshold: float = float(params["review_threshold"])
        self.normalizer = NormalizerConfig.from_dict(params["normalizer"])
        self.features = TfidfFeatures(
            np.asarray(params["word_terms"]),
            np.asarray(params["word_idf"], dtype=np.float64),
            (int(params["word_range"][0]), int(params["word_range"][1])),
            np.asarray(params["char_terms"]),
            np.asarray(params["char_idf"], dtype=np.float64),
            (int(params["char_range"][0]), int(params["char_range"][1])),
        )
        coef = np.asarray(params["coef"], dtype=np.float64)
        n_word = self.features.n_word
        self._coef_word: NDArray[np.float64] = coef[:n_word]
        self._coef_char: NDArray[np.float64] = coef[n_word:]
        self._intercept = float(params["intercept"])
        calibration = params["calibration"]
        self._calibration_kind = str(calibration["kind"])
        self._cal_a = float(calibration.get("a", 0.0))
        self._cal_b = float(calibration.get("b", 0.0))
        self._cal_x = np.asarray(calibration.get("x", np.zeros(0)), dtype=np.float64)
        self._cal_y = np.asarray(calibration.get("y", np.zeros(0)), dtype=np.float64)
        # Per word: sum of coef * idf over its char n-grams: the char block's push before the
        # row's l2 scaling, exact when each n-gram occurs once in the text (sublinear tf keeps
        # repeats close). Cached because words repeat across documents.
        self._word_char_push: dict[str, float] = {}
        self._char_weight = self._coef_char * self.features.char.idf
        self._terms: list[str] = self.features.word.terms.tolist()
        # Long texts are also scored by windows of this many tokens (0: whole text only), so
        # one conflict sentence in a long general complaint is not diluted.
        self.window = int(params.get("window", 0))
        self._not_a_reason = NOT_A_REASON | cue_tokens()
        # Reasons: token -> its char push when it may be named, None when it may not.
        self._nameable = _Nameable(self)

    def _windows(self, normalised: Sequence[str]) -> tuple[list[str], list[int]]:
        """Overlapping token windows of long texts, with the row each belongs to."""
        size = self.window
        step = max(size // 2, 1)
        cues = cue_table() if self.normalizer.cues else {}
        marks = cue_tokens()
        texts: list[str] = []
        rows: list[int] = []
        for row, text in enumerate(normalised):
            tokens = [t for t in text.split() if t not in marks]
            if len(tokens) <= size + step // 2:
                continue
            for start in range(0, len(tokens) - step, step):
                part = tokens[start : start + size]
                texts.append(" ".join(part + [cues[t] for t in part if t in cues]))
                rows.append(row)
        return texts, rows

    def _window_max(
        self, normalised: Sequence[str], raw: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """``raw`` raised to the best window's value where a window scores higher."""
        if self.window <= 0:
            return raw
        texts, rows = self._windows(normalised)
        if not texts:
            return raw
        word_block, char_block, _ = self.features.transform_blocks(texts)
        window_raw = word_block @ self._coef_word + char_block @ self._coef_char + self._intercept
        combined = raw.copy()
        np.maximum.at(combined, np.asarray(rows), np.asarray(window_raw, dtype=np.float64))
        return combined

    # -- scoring ---------------------------------------------------------------------------

    def decision_function(self, normalised: Sequence[str]) -> NDArray[np.float64]:
        word_block, char_block, _ = self.features.transform_blocks(normalised)
        raw = word_block @ self._coef_word + char_block @ self._coef_char + self._intercept
        return self._window_max(normalised, np.asarray(raw, dtype=np.float64))

    def calibrate(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        if self._calibration_kind == "sigmoid":
            return np.asarray(1.0 / (1.0 + np.exp(self._cal_a * raw + self._cal_b)))
        return np.asarray(np.interp(raw, self._cal_x, self._cal_y))

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Probability of conflict for raw texts, without reasons (for evaluation)."""
        normalised = [normalize(text, self.normalizer) for text in texts]
        return self.calibrate(self.decision_function(normalised))

    def decide(self, probability: float) -> Decision:
        if probability >= self.block_threshold:
            return "block"
        if probability >= self.review_threshold:
            return "review"
        return "pass"

    def score(self, texts: Sequence[str], reasons_for_pass: bool = False) -> list[Score]:
        """Score a batch of screening texts (complaint + newline + follow-up note).

        Reasons are listed for ``block`` and ``review`` decisions; a ``pass`` gets none unless
        ``reasons_for_pass`` (nothing pushed it far enough to be worth a reviewer's reading,
        and skipping them halves the cost of a typical batch, which is mostly general).
        """
        normalised = [normalize(text, self.normalizer) for text in texts]
        word_block, char_block, char_norms = self.features.transform_blocks(normalised)
        raw = word_block @ self._coef_word + char_block @ self._coef_char + self._intercept
        raw = self._window_max(normalised, np.asarray(raw, dtype=np.float64))
        probabilities = self.calibrate(raw)
        # Every word feature's contribution at once; rows are sliced below.
        contributions = word_block.data * self._coef_word[word_block.indices]
        pushes = contributions.tolist()
        indices = word_block.indices.tolist()
        indptr = word_block.indptr.tolist()
        # Where a phrase (2+ words) pushed the score up: the only phrases a reason can name.
        rising = np.flatnonzero(
            (contributions > 0.0) & self._is_phrase[word_block.indices]
        ).tolist()
        scores: list[Score] = []
        for row, text in enumerate(normalised):
            probability = float(probabilities[row])
            decision = self.decide(probability)
            reasons: list[str] = []
            if decision != "pass" or reasons_for_pass:
                start, end = indptr[row], indptr[row + 1]
                phrases = [
                    (indices[at], pushes[at])
                    for at in rising[bisect_left(rising, start) : bisect_left(rising, end)]
                ]
                reasons = self._reasons(
                    text, indices[start:end], pushes[start:end], float(char_norms[row]), phrases
                )
                if not reasons and decision != "pass":
                    reasons = [FALLBACK_REASON]
            scores.append(Score(probability, decision, reasons))
        return scores

    # -- reasons ---------------------------------------------------------------------------

    def _char_push(self, word: str) -> float:
        push = self._word_char_push.get(word)
        if push is None:
            indices = self.features.char_indices(word)
            push = float(self._char_weight[indices].sum()) if indices else 0.0
            if len(self._word_char_push) < 500_000:
                self._word_char_push[word] = push
        return push

    def _reasons(
        self,
        text: str,
        word_indices: list[int],
        word_pushes: list[float],
        char_factor: float,
        phrases: list[tuple[int, float]] | None = None,
    ) -> list[str]:
        """The words and phrases whose features pushed this text's score up the most.

        ``word_pushes`` are this row's word-feature contributions (value * coefficient);
        ``phrases`` (optional, found for a whole batch at once by ``score``) are the row's
        phrase features with a positive push, in row order: the only ones that can be named.
        """
        terms = self._terms
        word_push = dict(zip(map(terms.__getitem__, word_indices), word_pushes, strict=True))
        tokens = set(text.split())
        get = word_push.get
        unigram = {
            token: get(token, 0.0) + char_push * char_factor
            for token, char_push in zip(
                tokens, map(self._nameable.__getitem__, tokens), strict=True
            )
            if char_push is not None
        }
        candidates: list[tuple[float, str]] = [
            (push, token) for token, push in unigram.items() if push > 0.0
        ]
        pairs = self._pairs
        if phrases is None:
            phrases = list(zip(word_indices, word_pushes, strict=True))
        for index, push in phrases:
            pair = pairs[index]
            if pair is None or push <= 0.0:
                continue
            left, right = pair
            left_push, right_push = unigram.get(left, 0.0), unigram.get(right, 0.0)
            if left_push > 0.0 and right_push > 0.0:
                candidates.append((push + left_push + right_push, terms[index]))
        candidates.sort(reverse=True)
        chosen: list[str] = []
        used: set[str] = set()
        for _, phrase in candidates:
            tokens = set(phrase.split())
            if tokens & used or (tokens <= {"xangka"}):
                continue
            chosen.append(phrase)
            used |= tokens
            if len(chosen) == MAX_REASONS:
                break
        return [_reason_text(phrase) for phrase in chosen]

    @functools.cached_property
    def _is_phrase(self) -> NDArray[np.bool_]:
        """Per word feature: True for a phrase of 2+ words."""
        return np.array([pair is not None for pair in self._pairs], dtype=bool)

    @functools.cached_property
    def _pairs(self) -> list[tuple[str, str] | None]:
        """Per word feature: a phrase's (first word, rest), or None for a single word."""
        return [
            tuple(term.split(" ", 1)) if " " in term else None  # type: ignore[misc]
            for term in self._terms
        ]


class _Nameable(dict[str, float | None]):
    """Token -> its char push if it may be named as a reason, else None (kept per token).

    Only words the model learned from the corpus can be named: a reporter's name or any other
    word never seen in training never reaches a reviewer as a reason. A known token is one
    dict lookup in C; a new one is checked in ``__missing__``. Bounded in size.
    """

    def __init__(self, model: ConflictModel) -> None:
        super().__init__()
        self.model = model

    def __missing__(self, token: str) -> float | None:
        model = self.model
        push = (
            model._char_push(token)
            if token in model.features.word.vocabulary and token not in model._not_a_reason
            else None
        )
        if len(self) < 500_000:
            self[token] = push
        return push


@functools.lru_cache(maxsize=65_536)
def _reason_text(phrase: str) -> str:
    return reason_text(phrase)


# -- artefact I/O ----------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _metadata_path(path: Path | None) -> Path:
    if path is None:
        return default_model_path()
    return path / METADATA_NAME if path.is_dir() else path


def read_metadata(path: Path | None = None) -> dict[str, Any]:
    """The metadata of an artefact (no model file check); raises the typed errors."""
    meta_path = _metadata_path(path)
    try:
        raw = meta_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelNotFound(f"model metadata not found: {meta_path}") from None
    except OSError as exc:
        raise ModelCorrupt(f"model metadata unreadable: {meta_path}: {exc}") from None
    try:
        metadata = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ModelCorrupt(f"model metadata is not valid JSON: {exc.msg}") from None
    if not isinstance(metadata, dict):
        raise ModelCorrupt("model metadata must be a JSON object")
    version = metadata.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelVersionMismatch(
            f"model format version {version!r}, this code reads {FORMAT_VERSION}"
        )
    return metadata


def _check_params(params: object, metadata: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise ModelCorrupt("model file does not hold a parameter mapping")
    if params.get("format_version") != FORMAT_VERSION:
        raise ModelVersionMismatch(
            f"model file format version {params.get('format_version')!r}, "
            f"this code reads {FORMAT_VERSION}"
        )
    for key in _REQUIRED_ARRAYS:
        if not isinstance(params.get(key), np.ndarray):
            raise ModelCorrupt(f"model file lacks array {key!r}")
    n_word, n_char = len(params["word_terms"]), len(params["char_terms"])
    if len(params["word_idf"]) != n_word or len(params["char_idf"]) != n_char:
        raise ModelCorrupt("model file vocabularies and idf weights disagree")
    if params["coef"].shape != (n_word + n_char,):
        raise ModelCorrupt("model file coefficients do not match the vocabularies")
    calibration = params.get("calibration")
    if not isinstance(calibration, dict) or calibration.get("kind") not in {"sigmoid", "isotonic"}:
        raise ModelCorrupt("model file has no valid calibration")
    thresholds = metadata.get("thresholds", {})
    for name in ("block", "review"):
        stored = params.get(f"{name}_threshold")
        if not isinstance(stored, float) or stored != thresholds.get(name):
            raise ModelCorrupt(f"{name} threshold in model file and metadata disagree")
    if params.get("version") != metadata.get("version"):
        raise ModelCorrupt("model version in model file and metadata disagree")
    if not 0.0 <= params["review_threshold"] <= params["block_threshold"] <= 1.0:
        raise ModelCorrupt("thresholds out of order")
    return params


_PLAIN_JSON = (str, int, float, bool)


def _read_node(node: object, archive: zipfile.ZipFile) -> object:
    """Rebuild one skops schema node; only plain containers, JSON scalars and arrays."""
    if not isinstance(node, dict):
        raise ModelCorrupt("model file schema is malformed")
    kind = f"{node.get('__module__')}.{node.get('__class__')}"
    loader = node.get("__loader__")
    if kind not in ALLOWED_TYPES:
        raise ModelCorrupt(f"model file holds untrusted types: {kind}")
    if loader == "DictNode" and kind == "builtins.dict":
        content = node.get("content")
        if not isinstance(content, dict):
            raise ModelCorrupt("model file schema is malformed")
        return {str(key): _read_node(value, archive) for key, value in content.items()}
    if loader in {"ListNode", "TupleNode"} and kind in {"builtins.list", "builtins.tuple"}:
        content = node.get("content")
        if not isinstance(content, list):
            raise ModelCorrupt("model file schema is malformed")
        items = [_read_node(item, archive) for item in content]
        return items if loader == "ListNode" else tuple(items)
    if loader == "JsonNode" and node.get("is_json") is True:
        value = json.loads(str(node.get("content")))
        if value is not None and not isinstance(value, _PLAIN_JSON):
            raise ModelCorrupt("model file holds a non-scalar JSON node")
        return value
    if loader == "NdArrayNode" and kind == "numpy.ndarray" and node.get("type") == "numpy":
        with archive.open(str(node.get("file"))) as handle:
            array = np.load(io.BytesIO(handle.read()), allow_pickle=False)
        if array.dtype.kind not in "biufU":
            raise ModelCorrupt(f"model file holds an array of dtype {array.dtype}")
        return array
    raise ModelCorrupt(f"model file holds untrusted types: {kind} via {loader}")


def read_plain_skops(data: bytes) -> object:
    """Read a skops file that holds only plain data, without importing skops.

    Stricter than ``skops.io.loads(data, trusted=[])`` (which still trusts scikit-learn
    classes) and it imports neither skops nor scikit-learn, which would cost about 2 s of the
    screening budget. The result equals skops' own (tested).
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
        if not isinstance(schema, dict) or schema.get("protocol") != SKOPS_PROTOCOL:
            raise ModelCorrupt("model file uses an unsupported skops protocol")
        return _read_node(schema, archive)


def load_model(path: Path | None = None) -> ConflictModel:
    """Load and verify an artefact; ``path`` is its directory or ``model.json``.

    Raises a ``ModelError`` subclass for any problem; never returns a half-usable model.
    """
    meta_path = _metadata_path(path)
    metadata = read_metadata(meta_path)
    name = metadata.get("model_file")
    if not isinstance(name, str) or "/" in name or "\\" in name or not name.endswith(".skops"):
        raise ModelCorrupt("model metadata names no valid model file")
    model_path = meta_path.parent / name
    try:
        data = model_path.read_bytes()
    except FileNotFoundError:
        raise ModelNotFound(f"model file not found: {model_path}") from None
    except OSError as exc:
        raise ModelCorrupt(f"model file unreadable: {model_path}: {exc}") from None
    if len(data) != metadata.get("size_bytes") or _sha256(data) != metadata.get("sha256"):
        raise ModelCorrupt(f"model file does not match its recorded sha256: {model_path.name}")
    try:
        params = read_plain_skops(data)
    except ModelError:
        raise
    except (zipfile.BadZipFile, ValueError, KeyError, TypeError, OSError, EOFError) as exc:
        raise ModelCorrupt(f"model file unreadable: {type(exc).__name__}: {exc}") from None
    except Exception as exc:  # zip, JSON and npy readers raise many types; all mean corrupt
        raise ModelCorrupt(f"model file unreadable: {type(exc).__name__}") from None
    return ConflictModel(_check_params(params, metadata), metadata)


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(handle, 0o644)  # readable like any checked-in file, not mkstemp's 0600
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def save_model(
    params: Mapping[str, Any], metadata: Mapping[str, Any], directory: Path | None = None
) -> Path:
    """Write an artefact atomically and return the path of its ``model.json``.

    ``metadata`` gets ``format_version``, ``model_file``, ``size_bytes`` and ``sha256`` added.
    Model files no longer referenced are removed afterwards.
    """
    import skops.io

    directory = directory or default_model_dir()
    directory.mkdir(parents=True, exist_ok=True)
    payload = dict(params)
    payload["format_version"] = FORMAT_VERSION
    data = skops.io.dumps(payload, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    digest = _sha256(data)
    model_name = f"conflict-model-{digest[:12]}.skops"
    _atomic_write(directory / model_name, data)
    full = dict(metadata)
    full.update(
        format_version=FORMAT_VERSION, model_file=model_name, size_bytes=len(data), sha256=digest
    )
    text = json.dumps(full, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    meta_path = directory / METADATA_NAME
    _atomic_write(meta_path, text.encode("utf-8"))
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    for old in directory.glob("conflict-model-*.skops"):
        if old.name != model_name:
            old.unlink(missing_ok=True)
    return meta_path
