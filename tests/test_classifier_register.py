"""Issue #17: the real-register corpus, masking of places, the cue lexicon, long texts, reasons."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from pathlib import Path

import pytest

from classifiers import ConflictModel, load_model
from classifiers.corpus import load_corpus, split3
from classifiers.generator import (
    CHECKSET_SEED,
    CONFLICT_MORE,
    REGISTER_SEED,
    _fill,
    default_checkset_path,
    default_register_path,
    generate,
)
from classifiers.model import NOT_A_REASON
from classifiers.normalize import NormalizerConfig, normalize

CUES = NormalizerConfig(cues=True)


@pytest.fixture(scope="module")
def model() -> ConflictModel:
    return load_model()


def test_the_generator_is_seeded_and_the_committed_files_are_its_output(tmp_path: Path) -> None:
    assert generate(50, REGISTER_SEED, "g") == generate(50, REGISTER_SEED, "g")
    committed = load_corpus(default_register_path())
    assert committed[:200] == generate(200, REGISTER_SEED, "g")
    taken = frozenset(e.complaint for e in committed)
    assert load_corpus(default_checkset_path()) == generate(600, CHECKSET_SEED, "k", taken)


def test_the_register_corpus_has_real_lengths_styles_and_kinds() -> None:
    examples = load_corpus(default_register_path())
    assert len(examples) >= 4000
    words = [len(e.complaint.split()) for e in examples]
    assert 25 <= statistics.median(words) <= 40
    assert sum(w > 150 for w in words) >= 50 and min(words) >= 8
    assert sum(e.complaint.startswith("Yth.") for e in examples) >= 300
    assert sum(e.complaint.startswith("Lokasi:") for e in examples) >= 800
    kinds = Counter(e.topic for e in examples if e.label == "conflict")
    for kind in ("tetangga", "usaha", "oknum", "bansos", "sara", "antardesa", "tawuran", "warisan"):
        assert kinds[kind] >= 100, kind
    general = [e.complaint.lower() for e in examples if e.label == "general"]
    assert sum("rt" in c.split() or "tetangga" in c for c in general) >= 300


def test_validation_and_held_out_splits_never_overlap_training() -> None:
    train, validation, test = split3(load_corpus())
    ids = [{e.id for e in part} for part in (train, validation, test)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert len(validation) >= 700 and len(test) >= 1000


def test_place_names_and_addresses_are_masked_like_identifiers() -> None:
    text = normalize("Jalan rusak di Jl. Diponegoro Desa Kemantran, kec tarub dekat Slawi")
    assert "diponegoro" not in text and "kemantran" not in text and "tarub" not in text
    assert "slawi" not in text and text.count("xtempat") >= 3


def test_conflict_cues_become_class_tokens_the_model_can_weigh() -> None:
    text = normalize("toa musholla keras sekali, jukir minta uang", CUES)
    assert text.endswith("xsara xtuduhan")


def test_one_conflict_sentence_is_not_diluted_by_a_long_general_complaint(
    model: ConflictModel,
) -> None:
    general = (
        "jalan di desa kami rusak parah banyak lubang kalau hujan jadi kubangan air "
        "warga sudah kerja bakti menimbun dengan batu tapi tidak cukup "
    ) * 4
    tacked = general + "pak RT hanya memasukkan saudaranya sendiri ke daftar penerima bansos"
    # Training chooses the window on the validation split (0 when windows do not help there);
    # the mechanism itself is checked with a window forced on.
    windowed = ConflictModel({**model.params, "window": 16}, model.metadata)
    (whole,) = model.probabilities([tacked])
    plain, flagged = windowed.score([general, tacked])
    assert flagged.probability > whole and flagged.probability > plain.probability


def test_reasons_name_complaint_phrases_never_function_or_agency_words(
    model: ConflictModel,
) -> None:
    texts = [
        "Saya mau lapor, tetangga yang di rumah no. 12 selalu parkir mobil di depan rumah saya "
        "dengan sengaja\nSudah dimediasi oleh kepala desa dan Bhabinkamtibmas",
        "Toa musholla dekat rumah saya dinyalakan keras sekali dari jam 3 pagi\n",
    ]
    for score in model.score(texts):
        assert score.decision != "pass" and score.reasons
        for reason in score.reasons:
            quoted = reason.split('"')[1] if '"' in reason else ""
            assert not set(quoted.split()) & NOT_A_REASON, reason
            assert "dimediasi" not in reason and "bhabinkamtibmas" not in reason


def test_general_questions_use_the_words_the_first_generator_gave_only_to_conflict() -> None:
    """Issue #17, second pass: aid, land papers and family asked about neutrally are
    general; a named shop's trader, a named clinic's staff and a company that does not pay
    are conflict (the kinds the real sample's development half showed)."""
    examples = load_corpus(default_register_path())
    general = [e.complaint.lower() for e in examples if e.label == "general"]
    conflict = [e.complaint.lower() for e in examples if e.label == "conflict"]
    for word in ("bantuan", "sertifikat", "istri", "suami"):
        assert sum(word in c for c in general) >= 80, word
    for phrase in ("trotoar", "puskesmas", "pt "):
        assert sum(phrase in c for c in conflict) >= 100, phrase


def test_second_pass_conflict_templates_are_patterns_not_one_remembered_case() -> None:
    """The real sample's licences forbid retelling its complaints (MODEL_CARD.md, Data): every
    conflict template of the second pass draws its object, place, actor or amount from slot
    lists, so one template yields many different situations."""
    rng = random.Random(3)
    variety = []
    for kind, templates in CONFLICT_MORE.items():
        for template in templates:
            filled = {_fill(template, rng) for _ in range(200)}
            assert "{" in template and len(filled) >= 5, (kind, template)
            variety.append(len(filled))
    assert statistics.median(variety) >= 50
