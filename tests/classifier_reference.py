"""Today's scoring path (before the #23 speed work), frozen as the reference the fast path must
equal bit for bit (``tests/test_classifier_speed.py``). Copied verbatim from
``classifiers/normalize.py``, ``features.py`` and ``model.py`` at commit 9792a4b; only the
imports and the class names differ. Do not "fix" anything here: it is the yardstick.
If a retraining adds a feature, add the same feature here in the naive way."""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from classifiers.model import FALLBACK_REASON, MAX_REASONS, NOT_A_REASON, Score, reason_text
from classifiers.normalize import (
    MASK_TOKENS,
    PROTECTED_WORDS,
    STOPWORDS,
    NormalizerConfig,
    _stemmer,
    cue_table,
    cue_tokens,
    place_names,
    slang_table,
)


def char_wb_ngrams(word: str, ngram_range: tuple[int, int]) -> list[str]:
    """Character n-grams of one space-padded word, as scikit-learn's ``char_wb`` makes them."""
    padded = f" {word} "
    low, high = ngram_range
    grams: list[str] = []
    for n in range(low, high + 1):
        if len(padded) <= n:  # a short word counts once, as scikit-learn does
            grams.append(padded)
            break
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


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


@dataclass
class _Block:
    """One TF-IDF block: vocabulary, idf, n-gram range."""

    terms: NDArray[np.str_]
    idf: NDArray[np.float64]
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.vocabulary = {term: index for index, term in enumerate(self.terms.tolist())}

    def finish(self, counts: sparse.csr_matrix) -> tuple[sparse.csr_matrix, NDArray[np.float64]]:
        """Counts -> sublinear tf * idf -> l2-normalised rows; also each row's 1/norm."""
        matrix = sparse.csr_matrix(counts, dtype=np.float64)
        matrix.sum_duplicates()
        np.log(matrix.data, out=matrix.data)
        matrix.data += 1.0
        matrix.data *= self.idf[matrix.indices]
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        norms = np.sqrt(np.bincount(rows, weights=matrix.data**2, minlength=matrix.shape[0]))
        norms[norms == 0.0] = 1.0
        inverse = 1.0 / norms
        matrix.data *= np.repeat(inverse, np.diff(matrix.indptr))
        return matrix, inverse


def _csr(indices: list[int], indptr: list[int], columns: int) -> sparse.csr_matrix:
    data = np.ones(len(indices), dtype=np.float64)
    return sparse.csr_matrix(
        (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(indptr) - 1, columns),
    )


class ReferenceFeatures:
    """Word + char_wb TF-IDF transform from stored vocabularies (no scikit-learn needed).

    The char block is computed as (documents x distinct words) @ (distinct words x char
    n-grams): exact counts, with the per-word n-gram lists cached and the heavy summing done
    by scipy in C.
    """

    def __init__(
        self,
        word_terms: NDArray[np.str_],
        word_idf: NDArray[np.float64],
        word_range: tuple[int, int],
        char_terms: NDArray[np.str_],
        char_idf: NDArray[np.float64],
        char_range: tuple[int, int],
    ) -> None:
        self.word = _Block(word_terms, word_idf, word_range)
        self.char = _Block(char_terms, char_idf, char_range)
        self._char_cache: dict[str, list[int]] = {}

    @property
    def n_word(self) -> int:
        return len(self.word.terms)

    @property
    def n_features(self) -> int:
        return len(self.word.terms) + len(self.char.terms)

    def char_indices(self, word: str) -> list[int]:
        """Vocabulary indices of one word's char n-grams (cached; duplicates kept)."""
        cached = self._char_cache.get(word)
        if cached is None:
            vocabulary = self.char.vocabulary
            cached = [
                vocabulary[gram]
                for gram in char_wb_ngrams(word, self.char.ngram_range)
                if gram in vocabulary
            ]
            if len(self._char_cache) < 500_000:
                self._char_cache[word] = cached
        return cached

    def transform_blocks(
        self, texts: Sequence[str]
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, NDArray[np.float64]]:
        """(word block, char block, char rows' 1/norm) for normalised texts.

        Texts must be normalised (``classifiers.normalize``): word characters separated by
        single spaces; that is what makes the token shortcuts below exact.
        """
        word_vocabulary = self.word.vocabulary
        low, high = self.word.ngram_range
        w_indices: list[int] = []
        w_indptr = [0]
        distinct: dict[str, int] = {}
        t_indices: list[int] = []
        t_indptr = [0]
        for text in texts:
            tokens = text.split()
            t_indices.extend([distinct.setdefault(w, len(distinct)) for w in tokens])
            t_indptr.append(len(t_indices))
            # scikit-learn's word tokens are runs of 2+ word characters; in normalised text
            # (word characters and single spaces only) that is every token longer than 1.
            words = [w for w in tokens if len(w) > 1]
            for n in range(max(low, 2), high + 1):
                grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
                w_indices.extend([word_vocabulary[g] for g in grams if g in word_vocabulary])
            w_indptr.append(len(w_indices))
        per_doc = _csr(t_indices, t_indptr, len(distinct))
        # Unigrams and char n-grams: (documents x distinct words) @ (distinct words x terms).
        u_indices: list[int] = []
        u_indptr = [0]
        m_indices: list[int] = []
        m_indptr = [0]
        use_unigrams = low <= 1
        for word in distinct:
            index = word_vocabulary.get(word) if use_unigrams else None
            if index is not None:
                u_indices.append(index)
            u_indptr.append(len(u_indices))
            m_indices.extend(self.char_indices(word))
            m_indptr.append(len(m_indices))
        n_word = len(self.word.terms)
        word_counts = _csr(w_indices, w_indptr, n_word) + per_doc @ _csr(
            u_indices, u_indptr, n_word
        )
        word_block, _ = self.word.finish(word_counts)
        per_word = _csr(m_indices, m_indptr, len(self.char.terms))
        char_block, char_inverse_norms = self.char.finish(per_doc @ per_word)
        return word_block, char_block, char_inverse_norms

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        word_block, char_block, _ = self.transform_blocks(texts)
        return sparse.hstack([word_block, char_block], format="csr")


class ReferenceModel:
    """A loaded, validated model. Cheap to call; safe to share between threads for reading."""

    def __init__(self, params: Mapping[str, Any], metadata: Mapping[str, Any]) -> None:
        self.params = dict(params)
        self.metadata = dict(metadata)
        self.version: str = str(params["version"])
        self.block_threshold: float = float(params["block_threshold"])
        self.review_threshold: float = float(params["review_threshold"])
        self.normalizer = NormalizerConfig.from_dict(params["normalizer"])
        self.features = ReferenceFeatures(
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
        pushes = (word_block.data * self._coef_word[word_block.indices]).tolist()
        indices = word_block.indices.tolist()
        indptr = word_block.indptr.tolist()
        scores: list[Score] = []
        for row, text in enumerate(normalised):
            probability = float(probabilities[row])
            decision = self.decide(probability)
            reasons: list[str] = []
            if decision != "pass" or reasons_for_pass:
                start, end = indptr[row], indptr[row + 1]
                reasons = self._reasons(
                    text, indices[start:end], pushes[start:end], float(char_norms[row])
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
    ) -> list[str]:
        """The words and phrases whose features pushed this text's score up the most.

        ``word_pushes`` are this row's word-feature contributions (value * coefficient).
        """
        terms = self._terms
        word_push = dict(zip([terms[i] for i in word_indices], word_pushes, strict=True))
        unigram: dict[str, float] = {}
        vocabulary = self.features.word.vocabulary
        char_push = self._char_push
        excluded = self._not_a_reason
        for token in set(text.split()):
            # Only words the model learned from the corpus can be named: a reporter's name
            # or any other word never seen in training never reaches a reviewer as a reason.
            if token in vocabulary and token not in excluded:
                unigram[token] = word_push.get(token, 0.0) + char_push(token) * char_factor
        candidates: list[tuple[float, str]] = [
            (push, token) for token, push in unigram.items() if push > 0.0
        ]
        for phrase, push in word_push.items():
            if push <= 0.0 or " " not in phrase:
                continue
            left, right = phrase.split(" ", 1)
            left_push, right_push = unigram.get(left, 0.0), unigram.get(right, 0.0)
            if left_push > 0.0 and right_push > 0.0:
                candidates.append((push + left_push + right_push, phrase))
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
        return [reason_text(phrase) for phrase in chosen]
