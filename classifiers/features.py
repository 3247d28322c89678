"""Fast TF-IDF features for scoring: word 1-2-grams plus character n-grams within words.

Training fits scikit-learn's ``TfidfVectorizer`` (word and ``char_wb``); scoring uses
``TfidfFeatures``, built from the fitted vocabularies and idf weights, which gives the same
matrix (tested) but is several times faster on large batches: ``char_wb`` n-grams never cross
a word boundary, so each distinct word's n-gram indices are computed once and cached, instead
of re-slicing every word of every document in Python. It also avoids importing scikit-learn
at scoring time.

Both blocks use sublinear tf, idf and l2 normalisation per block, then are stacked side by side
(the layout of a ``FeatureUnion``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def word_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """Word n-grams exactly as scikit-learn's default word analyzer makes them."""
    tokens = WORD_TOKEN.findall(text)
    low, high = ngram_range
    grams: list[str] = []
    for n in range(low, high + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


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


@dataclass
class _Block:
    """One TF-IDF block: vocabulary, idf, n-gram range."""

    terms: NDArray[np.str_]
    idf: NDArray[np.float64]
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.vocabulary = {term: index for index, term in enumerate(self.terms.tolist())}

    def finish(
        self, indices: list[int], indptr: list[int]
    ) -> tuple[sparse.csr_matrix, NDArray[np.float64]]:
        """Counts -> sublinear tf * idf -> l2-normalised rows; also each row's 1/norm."""
        rows = len(indptr) - 1
        data = np.ones(len(indices), dtype=np.float64)
        matrix = sparse.csr_matrix(
            (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
            shape=(rows, len(self.terms)),
        )
        matrix.sum_duplicates()
        np.log(matrix.data, out=matrix.data)
        matrix.data += 1.0
        matrix.data *= self.idf[matrix.indices]
        squared = matrix.multiply(matrix).sum(axis=1).A1
        norms = np.sqrt(squared)
        norms[norms == 0.0] = 1.0
        inverse = 1.0 / norms
        matrix.data *= np.repeat(inverse, np.diff(matrix.indptr))
        return matrix, inverse


class TfidfFeatures:
    """Word + char_wb TF-IDF transform from stored vocabularies (no scikit-learn needed)."""

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
        """(word block, char block, char rows' 1/norm) for already-normalised texts."""
        word_vocabulary = self.word.vocabulary
        word_range = self.word.ngram_range
        w_indices: list[int] = []
        w_indptr = [0]
        c_indices: list[int] = []
        c_indptr = [0]
        char_indices = self.char_indices
        for text in texts:
            w_indices.extend(
                word_vocabulary[gram]
                for gram in word_ngrams(text, word_range)
                if gram in word_vocabulary
            )
            w_indptr.append(len(w_indices))
            for word in text.split():
                c_indices.extend(char_indices(word))
            c_indptr.append(len(c_indices))
        word_block, _ = self.word.finish(w_indices, w_indptr)
        char_block, char_inverse_norms = self.char.finish(c_indices, c_indptr)
        return word_block, char_block, char_inverse_norms

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        word_block, char_block, _ = self.transform_blocks(texts)
        return sparse.hstack([word_block, char_block], format="csr")
