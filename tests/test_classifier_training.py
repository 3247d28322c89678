"""Training, threshold choice and retraining from reviewer decisions.

Tests that train a model (on a small slice of the corpus) are marked slow.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.corpus import LabelledExample, load_corpus
from classifiers.features import TfidfFeatures
from classifiers.model import load_model
from classifiers.normalize import normalize
from classifiers.training import (
    general_pass_rate,
    retrain,
    threshold_for_recall,
    train,
    worse_metrics,
)


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every 8th example of the real corpus: enough to train in seconds."""
    examples = load_corpus()[::8]
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    path.write_text("".join(e.to_json() + "\n" for e in examples), "utf-8")
    return path


@pytest.fixture()
def trained(small_corpus: Path, tmp_path: Path) -> Path:
    train(corpus_path=small_corpus, output_dir=tmp_path, candidate="ridge")
    return tmp_path


def test_fast_features_equal_scikit_learn_tfidf() -> None:
    texts = [normalize(e.text) for e in load_corpus()[:300]]
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2).fit(
        texts
    )
    fast = TfidfFeatures(
        word.get_feature_names_out().astype(str),
        word.idf_,
        (1, 2),
        char.get_feature_names_out().astype(str),
        char.idf_,
        (2, 5),
    )
    expected = sparse.hstack([word.transform(texts), char.transform(texts)]).toarray()
    assert np.allclose(fast.transform(texts).toarray(), expected)


def test_thresholds_are_the_highest_that_reach_the_recall_target() -> None:
    probabilities = np.array([0.9, 0.8, 0.7, 0.6, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 1, 1, 0, 0, 0])
    assert threshold_for_recall(probabilities, y, 0.75) == 0.7
    assert threshold_for_recall(probabilities, y, 1.0) == 0.6
    assert general_pass_rate(probabilities, y, 0.25) == pytest.approx(2 / 3)


@pytest.mark.slow
def test_training_saves_a_loadable_model_with_metrics_and_hash(trained: Path) -> None:
    model = load_model(trained)
    metadata = json.loads((trained / "model.json").read_text("utf-8"))
    assert metadata["training_data_hash"] and metadata["libraries"]["scikit-learn"]
    assert "held_out" in metadata["metrics"]
    assert model.metadata["candidate"] == "ridge"


@pytest.mark.slow
def test_retraining_without_new_decisions_changes_nothing(
    small_corpus: Path, trained: Path
) -> None:
    before = (trained / "model.json").read_text("utf-8")
    result = retrain([], corpus_path=small_corpus, model_dir=trained)
    assert result.status == "skipped"
    assert (trained / "model.json").read_text("utf-8") == before


@pytest.mark.slow
def test_reviewer_decisions_trigger_training_and_then_are_remembered(
    small_corpus: Path, trained: Path
) -> None:
    decisions = [
        LabelledExample(
            id=f"review-{i}",
            complaint=complaint,
            follow_up="Ditolak reviewer: rawan konflik",
            label="conflict",
            topic="tetangga",
            reason="reject-as-conflict",
            source="reviewer",
        )
        for i, complaint in enumerate(
            [
                "Pemilik toko sebelah menaruh gerobak di depan rumah kami dan marah saat ditegur",
                "Keluarga besar kami ribut soal pembagian kebun kelapa peninggalan kakek",
            ]
        )
    ]
    first = retrain(decisions, corpus_path=small_corpus, model_dir=trained)
    assert first.status in {"promoted", "rejected"}
    assert first.new_metrics and first.old_metrics
    if first.status == "promoted":
        assert load_model(trained).version == first.new_version
        assert retrain(decisions, corpus_path=small_corpus, model_dir=trained).status == "skipped"


@pytest.mark.slow
def test_a_new_model_that_is_not_good_enough_is_not_promoted(
    small_corpus: Path, trained: Path
) -> None:
    before = (trained / "model.json").read_text("utf-8")
    decision = LabelledExample(
        id="review-x",
        complaint="Tetangga menutup saluran air kami dengan semen dan marah marah",
        follow_up="Ditolak reviewer",
        label="conflict",
        topic="tetangga",
        reason="reject",
        source="reviewer",
    )
    # A negative tolerance demands a strict improvement on every guarded metric, which a
    # near-identical retrain cannot deliver: the guard must keep the current model.
    result = retrain([decision], corpus_path=small_corpus, model_dir=trained, tolerance=-1.0)
    assert result.status == "rejected" and "worse" in result.reason
    assert (trained / "model.json").read_text("utf-8") == before


def _metrics(held_out: float, check: float) -> dict[str, float]:
    keys = ("roc_auc", "recall_at_review", "general_pass")
    return {
        **{f"held_out.{k}": held_out for k in keys},
        **{f"check_set.{k}": check for k in keys},
    }


def test_the_guard_refuses_a_retrain_that_helps_the_corpus_but_hurts_the_check_set() -> None:
    worse = worse_metrics(_metrics(0.95, 0.90), _metrics(0.99, 0.85), tolerance=0.005)
    assert worse and all(k.startswith("check_set.") for k in worse)


def test_the_guard_accepts_a_small_corpus_cost_for_a_better_check_set() -> None:
    assert worse_metrics(_metrics(0.95, 0.85), _metrics(0.94, 0.90), tolerance=0.005) == []
    assert worse_metrics(_metrics(0.95, 0.85), _metrics(0.90, 0.90), tolerance=0.005)
    assert worse_metrics(_metrics(0.95, 0.85), _metrics(0.94, 0.85), tolerance=0.005)


@pytest.mark.slow
def test_a_down_weighted_char_block_scores_as_it_was_fitted(small_corpus: Path) -> None:
    """Issue #17: a candidate may fit on a down-weighted char n-gram block; the stored char
    coefficients absorb the weight, so the unchanged scoring features give the decision
    values of the estimator on the weighted features."""
    from sklearn.linear_model import LogisticRegression

    from classifiers.corpus import screening_text, split3
    from classifiers.training import CANDIDATE_BY_NAME, fit

    candidate = CANDIDATE_BY_NAME["logreg_cues_c05_cw05"]
    assert candidate.char_weight == 0.5
    examples, validation, _ = split3(load_corpus(small_corpus))
    model = fit(examples, candidate, "0" * 16, validation).as_model()
    raw = [e.text for e in examples] + [screening_text(e.complaint, None) for e in examples]
    texts = [normalize(t, candidate.normalizer) for t in raw]
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    char.fit(texts)
    estimator = LogisticRegression(
        C=0.5, class_weight="balanced", solver="liblinear", max_iter=1000
    )
    weighted = sparse.hstack([word.transform(texts), 0.5 * char.transform(texts)], format="csr")
    estimator.fit(weighted, np.array([e.y for e in examples] * 2))
    probe = [normalize(e.text, candidate.normalizer) for e in validation[:40]]
    expected = estimator.decision_function(
        sparse.hstack([word.transform(probe), 0.5 * char.transform(probe)], format="csr")
    )
    word_block, char_block, _ = model.features.transform_blocks(probe)
    coef = np.asarray(model.params["coef"])
    n_word = word_block.shape[1]
    scored = word_block @ coef[:n_word] + char_block @ coef[n_word:] + model.params["intercept"]
    assert np.allclose(scored, expected, atol=1e-6)
