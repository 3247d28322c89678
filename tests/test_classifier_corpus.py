"""The labelled corpus follows the labelling rules (classifiers/LABELLING.md)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from classifiers.corpus import (
    MAX_WORDS,
    MIN_WORDS,
    NEAR_DUPLICATE_JACCARD,
    TOPICS,
    LabelledExample,
    data_hash,
    default_corpus_path,
    is_test,
    load_corpus,
    near_duplicates,
    split,
    word_count,
)
from classifiers.errors import CorpusError


@pytest.fixture(scope="module")
def corpus() -> list[LabelledExample]:
    return load_corpus()


def test_the_corpus_has_at_least_two_thousand_valid_examples(corpus: list[LabelledExample]) -> None:
    assert len(corpus) >= 2000
    labels = Counter(e.label for e in corpus)
    assert min(labels.values()) >= 0.4 * len(corpus)
    assert all(e.topic in TOPICS for e in corpus)
    assert all(MIN_WORDS <= word_count(e.complaint) <= MAX_WORDS for e in corpus)
    assert all(e.follow_up.strip() and e.reason.strip() for e in corpus)


def test_no_two_hand_written_complaints_share_a_template() -> None:
    # The generated register corpus shares templates by design (classifiers/generator.py);
    # only the hand-written corpus is held to "no two alike".
    corpus = load_corpus(default_corpus_path())
    pairs = near_duplicates([e.complaint for e in corpus], NEAR_DUPLICATE_JACCARD)
    shown = [(corpus[i].id, corpus[j].id, round(s, 2)) for i, j, s in pairs[:10]]
    assert not pairs, f"near-duplicate complaints (char 5-gram Jaccard): {shown}"


def test_no_generated_complaint_is_repeated_word_for_word(corpus: list[LabelledExample]) -> None:
    generated = [e.complaint for e in corpus if e.id.startswith("g")]
    assert len(set(generated)) == len(generated)


def test_the_near_duplicate_check_catches_a_templated_pair() -> None:
    texts = [
        "Lampu jalan di Desa Kalisapu mati sudah seminggu, mohon diperbaiki",
        "Lampu jalan di Desa Kalimati mati sudah seminggu, mohon diperbaiki",
        "Kades memakai dana desa untuk keperluan pribadi keluarganya",
    ]
    assert [(i, j) for i, j, _ in near_duplicates(texts)] == [(0, 1)]


def test_the_corpus_covers_dialect_short_texts_and_every_conflict_family(
    corpus: list[LabelledExample],
) -> None:
    words = Counter(w for e in corpus for w in set(e.complaint.lower().split()))
    for dialect_word in ("nyong", "ora", "wis", "kuwe", "kepriben", "pimen", "laka", "rika"):
        assert words[dialect_word] >= 1, dialect_word
    assert sum(words[w] for w in ("yg", "gak", "tdk", "sdh", "udh", "bgt")) >= 50
    assert sum(word_count(e.complaint) <= 10 for e in corpus) >= 100
    assert sum(word_count(e.complaint) >= 60 for e in corpus) >= 20
    topics = Counter(e.topic for e in corpus if e.label == "conflict")
    for family in (
        "tetangga",
        "tanah",
        "warisan",
        "pungli",
        "danadesa",
        "nepotisme",
        "sara",
        "tawuran",
        "kdrt",
        "utang",
        "rentenir",
        "koperasi",
        "ancaman",
        "asusila",
        "usaha",
        "antardesa",
    ):
        assert topics[family] >= 15, family


def test_the_split_is_fixed_by_id_and_keeps_reviewer_examples_in_training(
    corpus: list[LabelledExample],
) -> None:
    _train, test = split(corpus)
    assert 0.15 < len(test) / len(corpus) < 0.25
    assert [e.id for e in test] == [e.id for e in split(corpus)[1]]
    reviewer = LabelledExample(
        id=test[0].id,
        complaint="x " * 8,
        follow_up="y",
        label="conflict",
        topic="tanah",
        reason="r",
        source="reviewer",
    )
    assert is_test(reviewer.id)
    assert reviewer in split([reviewer])[0]


def test_the_data_hash_ignores_order_but_not_content(corpus: list[LabelledExample]) -> None:
    sample = corpus[:50]
    assert data_hash(sample) == data_hash(list(reversed(sample)))
    assert data_hash(sample) != data_hash(sample[:-1])
    assert data_hash(sample, salt="a") != data_hash(sample, salt="b")


def test_it_rejects_a_line_with_an_unknown_label(tmp_path: Path) -> None:
    bad = {
        "id": "x1",
        "complaint": "satu dua tiga empat lima enam tujuh delapan",
        "follow_up": "ok",
        "label": "maybe",
        "topic": "jalan",
        "reason": "r",
    }
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="label"):
        load_corpus(path)


def test_it_rejects_a_complaint_shorter_than_eight_words(tmp_path: Path) -> None:
    bad = {
        "id": "x1",
        "complaint": "lampu mati",
        "follow_up": "ok",
        "label": "general",
        "topic": "pju",
        "reason": "r",
    }
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="2 words"):
        load_corpus(path)
