"""Training: candidate comparison by cross-validation, calibration, thresholds, retraining.

Flow of ``train``:

1. Load the corpus and take the fixed split (``corpus.split``); the held-out part is never
   used for fitting, for choosing the candidate or for choosing thresholds.
2. Compare the candidates (``CANDIDATES``: linear models x normalisation variants) by
   stratified 5-fold cross-validation on the training part; the best one by general-pass rate
   at the block recall target (ROC AUC breaks ties) wins.
3. Thresholds come from the winner's out-of-fold probabilities on the training part: ``block``
   is the highest threshold that still catches ``BLOCK_RECALL`` of conflict cases, ``review``
   the highest that catches ``REVIEW_RECALL``.
4. The winner is fitted on the whole training part with sigmoid calibration
   (``CalibratedClassifierCV(ensemble=False)``: one linear model, one sigmoid), evaluated on the
   held-out part, and saved with its metadata (``model.save_model``).

``retrain`` adds reviewer decisions to the training part, skips when the training data hash is
unchanged, and promotes the new model only if it is not worse on the fixed held-out part.

Errors: ``CorpusError`` for bad data; ``ModelError`` subclasses from loading the current model
are caught in ``retrain`` (a broken current model is replaced by a model that meets the floors).
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from classifiers.corpus import LabelledExample, data_hash, load_corpus, split
from classifiers.errors import ModelError
from classifiers.model import (
    FORMAT_VERSION,
    ConflictModel,
    load_model,
    read_metadata,
    save_model,
)
from classifiers.normalize import NormalizerConfig, normalize

BLOCK_RECALL = 0.98
REVIEW_RECALL = 0.995
FOLDS = 5
SEED = 20261127
WORD_RANGE = (1, 2)
CHAR_RANGE = (2, 5)
# Bumped whenever the feature or model recipe changes, so the data hash changes with it.
RECIPE = "tfidf-word12-charwb25-v1"


@dataclass(frozen=True)
class Candidate:
    """One model recipe: a linear classifier and a normalisation variant."""

    name: str
    classifier: str
    normalizer: NormalizerConfig
    char_features: bool = True


def _make_classifier(kind: str) -> Any:
    from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
    from sklearn.svm import LinearSVC

    factories: dict[str, Callable[[], Any]] = {
        "logreg": lambda: LogisticRegression(
            C=10.0, class_weight="balanced", solver="liblinear", max_iter=1000
        ),
        "linearsvc": lambda: LinearSVC(C=0.5, class_weight="balanced"),
        "sgd_huber": lambda: SGDClassifier(
            loss="modified_huber",
            alpha=5e-5,
            class_weight="balanced",
            random_state=SEED,
            max_iter=50,
            tol=None,
        ),
        "ridge": lambda: RidgeClassifier(alpha=1.0, class_weight="balanced"),
    }
    return factories[kind]()


_SLANG = NormalizerConfig(slang=True)
CANDIDATES: tuple[Candidate, ...] = (
    Candidate("logreg", "logreg", _SLANG),
    Candidate("linearsvc", "linearsvc", _SLANG),
    Candidate("sgd_huber", "sgd_huber", _SLANG),
    Candidate("ridge", "ridge", _SLANG),
    Candidate("logreg_word_only", "logreg", _SLANG, char_features=False),
    Candidate("logreg_no_slang", "logreg", NormalizerConfig(slang=False)),
    Candidate("logreg_stopwords", "logreg", NormalizerConfig(remove_stopwords=True)),
    Candidate("logreg_stem", "logreg", NormalizerConfig(stem=True)),
)
CANDIDATE_BY_NAME = {candidate.name: candidate for candidate in CANDIDATES}


@dataclass
class CandidateResult:
    name: str
    roc_auc: float
    general_pass_at_block_recall: float
    seconds: float


@dataclass
class FittedModel:
    """A trained model before it is written: parameters and metadata for ``save_model``."""

    params: dict[str, Any]
    metadata: dict[str, Any]

    def as_model(self) -> ConflictModel:
        params = dict(self.params)
        params["format_version"] = FORMAT_VERSION
        return ConflictModel(params, self.metadata)


@dataclass
class TrainResult:
    model_path: Path | None
    fitted: FittedModel
    comparison: list[CandidateResult] = field(default_factory=list)


@dataclass
class RetrainResult:
    status: Literal["skipped", "promoted", "rejected"]
    reason: str
    training_data_hash: str
    old_version: str | None = None
    new_version: str | None = None
    old_metrics: dict[str, float] = field(default_factory=dict)
    new_metrics: dict[str, float] = field(default_factory=dict)


def _vectorizers(candidate: Candidate) -> tuple[Any, Any | None]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(ngram_range=WORD_RANGE, sublinear_tf=True, min_df=1, dtype=np.float64)
    char = (
        TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=CHAR_RANGE,
            sublinear_tf=True,
            min_df=2,
            dtype=np.float64,
        )
        if candidate.char_features
        else None
    )
    return word, char


def _fit_transform(candidate: Candidate, texts: Sequence[str]) -> tuple[Any, Any | None, Any]:
    from scipy import sparse

    word, char = _vectorizers(candidate)
    blocks = [word.fit_transform(texts)]
    if char is not None:
        blocks.append(char.fit_transform(texts))
    return word, char, sparse.hstack(blocks, format="csr")


def _transform(word: Any, char: Any | None, texts: Sequence[str]) -> Any:
    from scipy import sparse

    blocks = [word.transform(texts)]
    if char is not None:
        blocks.append(char.transform(texts))
    return sparse.hstack(blocks, format="csr")


def _calibrated(candidate: Candidate) -> Any:
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(
        _make_classifier(candidate.classifier), method="sigmoid", cv=FOLDS, ensemble=False
    )


def out_of_fold(
    candidate: Candidate, texts: Sequence[str], y: NDArray[np.int_], calibrated: bool = True
) -> NDArray[np.float64]:
    """Out-of-fold scores (vectorisers refitted inside each fold).

    Calibrated probabilities for threshold choice; raw decision values for comparing
    candidates, where only the ranking matters (ROC AUC and the pass rate at a recall
    target are unchanged by a monotonic calibration) and calibration would cost 6x the fits.
    """
    from sklearn.model_selection import StratifiedKFold

    probabilities = np.zeros(len(texts), dtype=np.float64)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for train_index, test_index in folds.split(np.zeros(len(y)), y):
        fold_train = [texts[i] for i in train_index]
        word, char, x_train = _fit_transform(candidate, fold_train)
        x_test = _transform(word, char, [texts[i] for i in test_index])
        if calibrated:
            model = _calibrated(candidate).fit(x_train, y[train_index])
            probabilities[test_index] = model.predict_proba(x_test)[:, 1]
        else:
            model = _make_classifier(candidate.classifier).fit(x_train, y[train_index])
            probabilities[test_index] = model.decision_function(x_test)
    return probabilities


def threshold_for_recall(
    probabilities: NDArray[np.float64], y: NDArray[np.int_], recall: float
) -> float:
    """The highest threshold t with recall(p >= t) >= ``recall`` on the given cases."""
    positives = np.sort(probabilities[y == 1])[::-1]
    if positives.size == 0:
        return 0.5
    needed = int(np.ceil(recall * positives.size))
    return float(positives[max(needed, 1) - 1])


def general_pass_rate(
    probabilities: NDArray[np.float64], y: NDArray[np.int_], threshold: float
) -> float:
    general = probabilities[y == 0]
    return float(np.mean(general < threshold)) if general.size else 0.0


def compare_candidates(
    examples: Sequence[LabelledExample], candidates: Sequence[Candidate] = CANDIDATES
) -> list[CandidateResult]:
    """Cross-validate each candidate on ``examples``; best first.

    Vectorisers are fitted once per fold and normalisation variant and shared by every
    classifier using that variant (the expensive part is the char n-gram vocabulary).
    """
    from scipy import sparse
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    y = np.array([e.y for e in examples])
    folds = list(
        StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(np.zeros(len(y)), y)
    )
    blocks_by_config: dict[NormalizerConfig, list[tuple[Any, Any, Any, Any]]] = {}
    results: list[CandidateResult] = []
    for candidate in candidates:
        started = time.perf_counter()
        config = candidate.normalizer
        if config not in blocks_by_config:
            texts = [normalize(e.text, config) for e in examples]
            per_fold = []
            for train_index, test_index in folds:
                word, char = _vectorizers(Candidate("all", "ridge", config))
                assert char is not None  # char_features defaults to True
                fold_train = [texts[i] for i in train_index]
                fold_test = [texts[i] for i in test_index]
                per_fold.append(
                    (
                        word.fit_transform(fold_train),
                        char.fit_transform(fold_train),
                        word.transform(fold_test),
                        char.transform(fold_test),
                    )
                )
            blocks_by_config[config] = per_fold
        scores = np.zeros(len(y), dtype=np.float64)
        for (train_index, test_index), (w_train, c_train, w_test, c_test) in zip(
            folds, blocks_by_config[config], strict=True
        ):
            if candidate.char_features:
                x_train = sparse.hstack([w_train, c_train], format="csr")
                x_test = sparse.hstack([w_test, c_test], format="csr")
            else:
                x_train, x_test = w_train, w_test
            model = _make_classifier(candidate.classifier).fit(x_train, y[train_index])
            scores[test_index] = model.decision_function(x_test)
        block = threshold_for_recall(scores, y, BLOCK_RECALL)
        results.append(
            CandidateResult(
                name=candidate.name,
                roc_auc=float(roc_auc_score(y, scores)),
                general_pass_at_block_recall=general_pass_rate(scores, y, block),
                seconds=time.perf_counter() - started,
            )
        )
    results.sort(key=lambda r: (r.general_pass_at_block_recall, r.roc_auc), reverse=True)
    return results


def _library_versions() -> dict[str, str]:
    import scipy
    import sklearn
    import skops

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
    }


def fit(
    train_examples: Sequence[LabelledExample],
    candidate: Candidate,
    training_hash: str,
) -> FittedModel:
    """Fit ``candidate`` on ``train_examples``; thresholds from out-of-fold probabilities."""
    y = np.array([e.y for e in train_examples])
    texts = [normalize(e.text, candidate.normalizer) for e in train_examples]
    oof = out_of_fold(candidate, texts, y)
    block = threshold_for_recall(oof, y, BLOCK_RECALL)
    review = min(threshold_for_recall(oof, y, REVIEW_RECALL), block)
    word, char, x_train = _fit_transform(candidate, texts)
    calibrated = _calibrated(candidate).fit(x_train, y)
    inner = calibrated.calibrated_classifiers_[0]
    estimator, calibrator = inner.estimator, inner.calibrators[0]
    coef = np.asarray(estimator.coef_, dtype=np.float64).ravel()
    intercept = float(np.asarray(estimator.intercept_, dtype=np.float64).ravel()[0])
    if char is None:
        char_terms = np.array([], dtype="<U1")
        char_idf = np.array([], dtype=np.float64)
    else:
        char_terms = char.get_feature_names_out().astype(str)
        char_idf = char.idf_.astype(np.float64)
    created = datetime.now(UTC)
    version = f"{created:%Y%m%d.%H%M%S}-{training_hash[:8]}"
    params: dict[str, Any] = {
        "version": version,
        "candidate": candidate.name,
        "normalizer": candidate.normalizer.as_dict(),
        "word_terms": word.get_feature_names_out().astype(str),
        "word_idf": word.idf_.astype(np.float64),
        "word_range": list(WORD_RANGE),
        "char_terms": char_terms,
        "char_idf": char_idf,
        "char_range": list(CHAR_RANGE),
        "coef": coef,
        "intercept": intercept,
        "calibration": {"kind": "sigmoid", "a": float(calibrator.a_), "b": float(calibrator.b_)},
        "block_threshold": float(block),
        "review_threshold": float(review),
    }
    metadata: dict[str, Any] = {
        "version": version,
        "created_at": created.isoformat(timespec="seconds"),
        "candidate": candidate.name,
        "recipe": RECIPE,
        "normalizer": candidate.normalizer.as_dict(),
        "training_data_hash": training_hash,
        "training_examples": len(train_examples),
        "training_reviewer_examples": sum(e.source != "corpus" for e in train_examples),
        "thresholds": {"block": float(block), "review": float(review)},
        "threshold_rule": {
            "block_recall_target": BLOCK_RECALL,
            "review_recall_target": REVIEW_RECALL,
            "source": "out-of-fold probabilities on the training split",
        },
        "libraries": _library_versions(),
    }
    return FittedModel(params, metadata)


def training_hash(train_examples: Sequence[LabelledExample], candidate: Candidate) -> str:
    salt = f"{RECIPE}|{candidate.name}|{BLOCK_RECALL}|{REVIEW_RECALL}"
    return data_hash(train_examples, salt=salt)


def train(
    corpus_path: Path | None = None,
    extra_examples: Sequence[LabelledExample] = (),
    output_dir: Path | None = None,
    candidate: str | None = None,
    save: bool = True,
) -> TrainResult:
    """Train (comparing candidates unless ``candidate`` names one), evaluate, and save."""
    from classifiers.evaluation import evaluate

    train_examples, test_examples = split(load_corpus(corpus_path))
    train_examples = [*train_examples, *extra_examples]
    comparison: list[CandidateResult] = []
    if candidate is None:
        comparison = compare_candidates(train_examples)
        chosen = CANDIDATE_BY_NAME[comparison[0].name]
    else:
        chosen = CANDIDATE_BY_NAME[candidate]
    fitted = fit(train_examples, chosen, training_hash(train_examples, chosen))
    report = evaluate(fitted.as_model(), test_examples)
    fitted.metadata["metrics"] = {"held_out": report.to_dict()}
    if comparison:
        fitted.metadata["comparison"] = [vars(result) for result in comparison]
    path = save_model(fitted.params, fitted.metadata, output_dir) if save else None
    return TrainResult(path, fitted, comparison)


_GUARDED = ("roc_auc", "recall", "general_not_blocked")


def retrain(
    extra_examples: Sequence[LabelledExample],
    corpus_path: Path | None = None,
    model_dir: Path | None = None,
    tolerance: float = 0.005,
) -> RetrainResult:
    """Retrain on corpus + reviewer decisions; promote only if not worse on the held-out split.

    Skips (no training at all) when the training data hash equals the current model's.
    "Not worse": ROC AUC, conflict recall at the block threshold and the share of general
    cases not blocked each within ``tolerance`` of the current model's, on the same fixed
    held-out split. Without a usable current model, the new one must meet the floors
    (recall >= 0.95, ROC AUC >= 0.95, general not blocked >= 0.80).
    """
    from classifiers.evaluation import evaluate

    train_examples, test_examples = split(load_corpus(corpus_path))
    train_examples = [*train_examples, *extra_examples]
    current: ConflictModel | None
    try:
        current = load_model(model_dir)
        candidate_name = str(current.metadata.get("candidate", CANDIDATES[0].name))
    except ModelError:
        current = None
        try:
            candidate_name = str(read_metadata(model_dir).get("candidate", CANDIDATES[0].name))
        except ModelError:
            candidate_name = CANDIDATES[0].name
    candidate = CANDIDATE_BY_NAME.get(candidate_name, CANDIDATES[0])
    new_hash = training_hash(train_examples, candidate)
    if current is not None and current.metadata.get("training_data_hash") == new_hash:
        return RetrainResult("skipped", "training data unchanged", new_hash, current.version)
    fitted = fit(train_examples, candidate, new_hash)
    new_report = evaluate(fitted.as_model(), test_examples)
    new_metrics = {key: float(new_report.to_dict()[key]) for key in _GUARDED}
    fitted.metadata["metrics"] = {"held_out": new_report.to_dict()}
    old_metrics: dict[str, float] = {}
    if current is not None:
        old_report = evaluate(current, test_examples)
        old_metrics = {key: float(old_report.to_dict()[key]) for key in _GUARDED}
        worse = [k for k in _GUARDED if new_metrics[k] < old_metrics[k] - tolerance]
    else:
        floors = {"roc_auc": 0.95, "recall": 0.95, "general_not_blocked": 0.80}
        worse = [k for k, floor in floors.items() if new_metrics[k] < floor]
    old_version = current.version if current is not None else None
    if worse:
        return RetrainResult(
            "rejected",
            f"worse on held-out split: {', '.join(worse)}",
            new_hash,
            old_version,
            fitted.metadata["version"],
            old_metrics,
            new_metrics,
        )
    save_model(fitted.params, fitted.metadata, model_dir)
    return RetrainResult(
        "promoted",
        "not worse on held-out split",
        new_hash,
        old_version,
        fitted.metadata["version"],
        old_metrics,
        new_metrics,
    )
