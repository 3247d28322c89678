"""The fast scoring path (#23) gives exactly what the plain one gave: same normalised text, same
probabilities (bit for bit), same levels, same reasons. The plain path is frozen in
``tests/classifier_reference.py``; speed itself is measured in ``bench/screen.py``."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from pathlib import Path

import pytest

from bench.screen import make_cases
from classifiers import normalize as fast
from classifiers.cli import cli_screen
from classifiers.corpus import load_corpus, screening_text
from classifiers.generator import default_checkset_path
from classifiers.model import ConflictModel, load_model
from classifiers.normalize import NormalizerConfig
from tests import classifier_reference as plain

CONFIGS = (
    NormalizerConfig(),
    NormalizerConfig(cues=True),
    NormalizerConfig(slang=False),
    NormalizerConfig(remove_stopwords=True, cues=True),
)

# The plain forms of the rewritten patterns, in ``_MASKS`` order, then the place pattern.
PLAIN_MASKS = (
    re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE),
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    re.compile(r"(?<!\d)(?:\+?62|0)8\d{1,3}[- ]?\d{3,4}[- ]?\d{3,5}(?!\d)"),
    re.compile(r"(?<!\d)\d{16}(?!\d)"),
    re.compile(r"\b(rt|rw)\.? ?\d{1,3}\b", re.IGNORECASE),
    re.compile(r"\b[A-Z]{1,2} ?\d{1,4} ?[A-Z]{1,3}\b"),
    re.compile(
        r"\brp\.? ?\d[\d.,]*(?: ?(?:rb|ribu|ewu|jt|juta|yuta|k))?\b"
        r"|\b\d[\d.,]* ?(?:rb|ribu|rebu|ewu|jt|juta|yuta|jeti|k)\b",
        re.IGNORECASE,
    ),
)
PLAIN_PLACE = re.compile(
    r"\b((?i:desa|kel|kelurahan|kec|kecamatan|dukuh|dusun|jl|jln|jalan|gg|gang|perum|blok)\.? )"
    r"[A-Z][\w'-]+(?: [A-Z][\w'-]+)*"
)

# Pieces that exercise every pattern's edges: case folds (Kelvin sign, long s, dotted I),
# digits of other scripts, underscores, words glued to numbers, reduplication, letter runs.
PIECES = (
    "Desa", "desa.", "KEL", "Kel.", "kelurahan", "Kec", "KECAMATAN", "dukuh", "Dusun", "Jl.", "jln",
    "JALAN", "gg", "Gang", "perum", "Blok", "\u212ael.", "Kemantran", "Adiwerna", "Tegal",
    "RT", "rt.", "Rw", "rW 05", "Rp", "rp.", "RP 50.000", "150rb", "2 juta", "3jt", "5 K", "10k",
    "ribu", "rebu", "ewu", "jeti", "yuta", "G 1234 AB", "H1234XY", "AB 12 C", "0812-3456-7890",
    "+6285712345678", "6281234567", "08123456789", "3328012345678901", "33280123456789012",
    "\u0663\u0664\u0665", "\u0968\u0969", "1.000.000", "2,5", "anak2", "ANAK2", "x2", "ab2_",
    "parahhhh", "ooo", "a_b", "_", "www.x.id", "WwW.", "https://t.co/x", "hp:", "@", "a@b.co",
    "\u0130", "\u017f", "\u00e9t\u00e9", "k\u00f6nig", "\u00bd", "\ufb01", "\u2460", "\n", "\t",
    "  ", ",", ".", "-", "'", "!!", "nyong", "ora", "gak", "tp", "bapak", "tanah", "sengketa",
    "tetangga", "warga", "2", "22", "9", "0", "62", "8",
)  # fmt: skip


def _fuzzed_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = [rng.choice(PIECES) for _ in range(rng.randint(1, 25))]
        glue = [rng.choice(("", " ", " ", " ", ". ", ", ", "\n")) for _ in parts]
        texts.append("".join(p + g for p, g in zip(parts, glue, strict=True)))
    return texts


@pytest.fixture(scope="module")
def model() -> ConflictModel:
    return load_model()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """The corpus, the check set and 2,000 benchmark cases (names and numbers spliced in)."""
    found = [screening_text(e.complaint, e.follow_up) for e in load_corpus()]
    found += [
        screening_text(e.complaint, e.follow_up) for e in load_corpus(default_checkset_path())
    ]
    found += [screening_text(c["complaint"], c["follow_up"]) for c in make_cases(2_000)]
    return found


def test_each_rewritten_mask_pattern_matches_exactly_what_its_plain_form_matches() -> None:
    for text in _fuzzed_texts(3_000, seed=1):
        text = unicodedata.normalize("NFKC", text)
        for (pattern, replacement, _), plain_pattern in zip(fast._MASKS, PLAIN_MASKS, strict=True):
            assert pattern.sub(replacement, text) == plain_pattern.sub(replacement, text), text
        assert fast._PLACE_AFTER.sub(r"\1xtempat ", text) == PLAIN_PLACE.sub(r"\1xtempat ", text), (
            text
        )


def test_normalisation_equals_the_plain_path_on_fuzzed_and_real_texts(texts: list[str]) -> None:
    sample = _fuzzed_texts(1_500, seed=2) + texts[::15]
    for config in CONFIGS:
        expected = [plain.normalize(text, config) for text in sample]
        assert fast.normalize_many(sample, config) == expected
        assert [fast.normalize(text, config) for text in sample] == expected


def _assert_same_scores(model: ConflictModel, texts: list[str]) -> None:
    reference = plain.ReferenceModel(model.params, model.metadata)
    for start in range(0, len(texts), 1_000):  # batches, as the command scores them
        batch = texts[start : start + 1_000]
        assert model.score(batch, reasons_for_pass=True) == reference.score(
            batch, reasons_for_pass=True
        )
        assert model.score(batch[:200]) == reference.score(batch[:200])


def test_scores_levels_and_reasons_equal_the_plain_path_bit_for_bit(
    model: ConflictModel, texts: list[str]
) -> None:
    _assert_same_scores(model, texts[::7])


@pytest.mark.slow
def test_every_corpus_check_set_and_bench_case_scores_as_on_the_plain_path(
    texts: list[str],
) -> None:
    _assert_same_scores(load_model(), texts)


def test_one_case_at_a_time_scores_like_a_batch(model: ConflictModel, texts: list[str]) -> None:
    reference = plain.ReferenceModel(model.params, model.metadata)
    for text in texts[:: len(texts) // 50]:
        assert model.score([text], reasons_for_pass=True) == reference.score(
            [text], reasons_for_pass=True
        )


def test_the_screen_command_writes_the_same_lines_as_the_plain_path(
    model: ConflictModel, tmp_path: Path
) -> None:
    cases = make_cases(300)
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), "utf-8")
    cli_screen(source, target)
    reference = plain.ReferenceModel(model.params, model.metadata)
    scores = reference.score([screening_text(c["complaint"], c["follow_up"]) for c in cases])
    written = [json.loads(line) for line in target.read_text("utf-8").splitlines()]
    assert [(r["id"], r["score"], r["level"], r["reasons"]) for r in written] == [
        (c["id"], round(s.probability, 6), s.decision, s.reasons)
        for c, s in zip(cases, scores, strict=True)
    ]


def test_features_are_the_same_whole_batch_or_text_by_text(
    model: ConflictModel, texts: list[str]
) -> None:
    # A batch holding the separator token goes text by text; both ways equal the plain path.
    reference = plain.ReferenceModel(model.params, model.metadata).features
    normalised = [*fast.normalize_many(texts[::40], model.normalizer), "", "a", "xangka b c"]
    for batch in (normalised, [*normalised, "kata \x00\x00 lain"]):
        ours = model.features.transform_blocks(batch)
        theirs = reference.transform_blocks(batch)
        for mine, plain_block in zip(ours[:2], theirs[:2], strict=True):
            assert (mine != plain_block).nnz == 0
            assert mine.indices.tolist() == plain_block.indices.tolist()
            assert mine.data.tobytes() == plain_block.data.tobytes()
        assert ours[2].tobytes() == theirs[2].tobytes()
