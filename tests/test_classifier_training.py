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
