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

import itertools
import re
from collections import defaultdict
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


def _csr(indices: list[int], indptr: list[int], columns: int, shift: int = 0) -> sparse.csr_matrix:
    data = np.ones(len(indices), dtype=np.float64)
    columns_of = np.asarray(indices, dtype=np.int64)
    if shift:
        columns_of += shift
    return sparse.csr_matrix(
        (data, columns_of, np.asarray(indptr, dtype=np.int64)),
        shape=(len(indptr) - 1, columns),
    )


def _csr_from(
    columns: NDArray[np.int64], rows: NDArray[np.int64], n_rows: int, n_columns: int
) -> sparse.csr_matrix:
    """A matrix of ones at (rows, columns); ``rows`` must be in order."""
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    data = np.ones(len(columns), dtype=np.float64)
    return sparse.csr_matrix((data, columns, indptr), shape=(n_rows, n_columns))


# Joins a batch's texts into one token stream; never a token of a normalised text (those are
# word characters only), and checked for anyway.
_SEPARATOR = "\x00\x00"


def _sorted(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """The same counts with each row's columns in order, in linear time.

    A sparse product leaves columns unsorted, and scipy then sorts every row (n log n, a
    third of the feature time on 10,000 cases). Converting to CSC and back is two counting
    passes that yield sorted rows; counts are whole numbers, so the values are exact and the
    floating-point work downstream runs in the same order as before.
    """
    return matrix.tocsc().tocsr()


class TfidfFeatures:
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
        self._phrase_index: dict[tuple[str, ...], int] | None = None

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

    def _phrases(self) -> dict[tuple[str, ...], int]:
        """Word n-grams of 2+ words keyed by their tuple of words (built once, on first use).

        Looking up ``(a, b)`` reuses the words' cached hashes; joining ``"a b"`` first would
        build and hash a new string for every pair of every text. Values are column + 1, so
        that ``filter(None, ...)`` drops the misses (None) in C without dropping column 0.
        """
        if self._phrase_index is None:
            self._phrase_index = {
                tuple(term.split(" ")): index + 1
                for term, index in self.word.vocabulary.items()
                if " " in term
            }
        return self._phrase_index

    def _whole_batch(
        self, texts: Sequence[str], distinct: defaultdict[str, int]
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """(documents x distinct words counts, word n-grams of 2+ words) for a whole batch.

        The texts are joined with a separator token and split once; n-grams are looked up
        over the whole batch in C (one crossing a separator contains it, so it is never in
        the vocabulary) and given to their document by numpy, instead of a Python loop per
        text. Same counts as ``_per_text``.
        """
        low, high = self.word.ngram_range
        n_docs = len(texts)
        tokens = f" {_SEPARATOR} ".join(texts).split()
        separator = distinct[_SEPARATOR]
        ids = np.fromiter(map(distinct.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        is_separator = ids == separator
        docs = np.cumsum(is_separator)
        per_doc = _csr_from(ids[~is_separator], docs[~is_separator], n_docs, len(distinct))
        # scikit-learn's word tokens are runs of 2+ word characters; in normalised text
        # (word characters and single spaces only) that is every token longer than 1.
        lengths = np.fromiter(map(len, distinct), dtype=np.int64, count=len(distinct))
        long = lengths[ids] > 1
        words = [w for w in tokens if len(w) > 1]
        word_docs = docs[long]
        phrase = self._phrases().get
        columns: list[NDArray[np.int64]] = []
        rows: list[NDArray[np.int64]] = []
        for n in range(max(low, 2), high + 1):
            grams = (
                itertools.pairwise(words)
                if n == 2
                else zip(*(words[k:] for k in range(n)), strict=False)
            )
            found = np.array(list(map(phrase, grams)), dtype=np.float64)  # misses: nan
            starts = np.flatnonzero(~np.isnan(found))
            columns.append(found[starts].astype(np.int64) - 1)  # column + 1, see _phrases
            rows.append(word_docs[starts])
        if len(columns) > 1:  # n-grams of each size per document, in document order
            order = np.argsort(np.concatenate(rows), kind="stable")
            column_of, row_of = np.concatenate(columns)[order], np.concatenate(rows)[order]
        else:
            column_of = columns[0] if columns else np.zeros(0, np.int64)
            row_of = rows[0] if rows else np.zeros(0, np.int64)
        return per_doc, _csr_from(column_of, row_of, n_docs, len(self.word.terms))

    def _per_text(
        self, texts: Sequence[str], distinct: defaultdict[str, int]
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """The same as ``_whole_batch``, one text at a time (a text holding the separator)."""
        low, high = self.word.ngram_range
        phrase = self._phrases().get
        sizes = range(max(low, 2), high + 1)
        w_indices: list[int] = []
        w_indptr = [0]
        number = distinct.__getitem__
        t_indices: list[int] = []
        t_indptr = [0]
        for text in texts:
            tokens = text.split()
            t_indices += map(number, tokens)
            t_indptr.append(len(t_indices))
            words = [w for w in tokens if len(w) > 1]
            for n in sizes:
                grams = (
                    itertools.pairwise(words)
                    if n == 2
                    else zip(*(words[k:] for k in range(n)), strict=False)
                )
                w_indices += filter(None, map(phrase, grams))  # column + 1, see _phrases
            w_indptr.append(len(w_indices))
        per_doc = _csr(t_indices, t_indptr, len(distinct))
        return per_doc, _csr(w_indices, w_indptr, len(self.word.terms), shift=-1)

    def transform_blocks(
        self, texts: Sequence[str]
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, NDArray[np.float64]]:
        """(word block, char block, char rows' 1/norm) for normalised texts.

        Texts must be normalised (``classifiers.normalize``): word characters separated by
        single spaces; that is what makes the token shortcuts below exact.
        """
        low = self.word.ngram_range[0]
        # Each distinct word of the batch gets the next row number on first sight (in C).
        distinct: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        if any(_SEPARATOR in text for text in texts):
            per_doc, word_ngrams = self._per_text(texts, distinct)
        else:
            per_doc, word_ngrams = self._whole_batch(texts, distinct)
        # Unigrams and char n-grams: (documents x distinct words) @ (distinct words x terms),
        # computed transposed: the product's rows then come out sorted by one counting pass.
        per_doc_t = per_doc.T.tocsr()
        u_indices: list[int] = []
        u_indptr = [0]
        m_indices: list[int] = []
        m_indptr = [0]
        use_unigrams = low <= 1
        lookup = self.word.vocabulary.get
        char_indices = self.char_indices
        for word in distinct:
            index = lookup(word) if use_unigrams else None
            if index is not None:
                u_indices.append(index)
            u_indptr.append(len(u_indices))
            m_indices += char_indices(word)
            m_indptr.append(len(m_indices))
        n_word = len(self.word.terms)
        unigrams = _csr(u_indices, u_indptr, n_word).T.tocsr() @ per_doc_t
        word_counts = word_ngrams + unigrams.T.tocsr()
        word_block, _ = self.word.finish(_sorted(word_counts))
        per_word_t = _csr(m_indices, m_indptr, len(self.char.terms)).T.tocsr()
        char_counts = (per_word_t @ per_doc_t).T.tocsr()  # CSC -> CSR: rows sorted
        char_block, char_inverse_norms = self.char.finish(char_counts)
        return word_block, char_block, char_inverse_norms

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        word_block, char_block, _ = self.transform_blocks(texts)
        return sparse.hstack([word_block, char_block], format="csr")
