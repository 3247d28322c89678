"""Training: candidate comparison by cross-validation, calibration, thresholds, retraining.

Flow of ``train``:

1. Load the corpus and take the fixed three-way split (``corpus.split3``): training,
   validation, held-out. Only training fits; only validation calibrates and sets thresholds;
   held-out only measures.
2. Every example is used twice, complaint + the PIC's note and the complaint alone (a case
   often reaches screening with no note), so the label cannot be read from the note.
3. Compare the candidates (``CANDIDATES``: linear models x normalisation variants, with and
   without the conflict-cue lexicon) by stratified 5-fold cross-validation on the training
   part (folds by example, so both variants of one complaint stay in one fold); the best one
   by general-pass rate at the review recall target (ROC AUC breaks ties) wins.
4. The winner is fitted on the whole training part; the window size for long texts
   (``WINDOWS``) is chosen on the validation split, then a sigmoid (Platt) is fitted on the
   validation scores and the thresholds are the highest that catch ``BLOCK_RECALL`` and
   ``REVIEW_RECALL`` of validation conflict cases.
5. Evaluated on the held-out part and on the frozen check set (``generator``), with and
   without the note, and saved with its metadata (``model.save_model``).

``retrain`` adds reviewer decisions to the training part, skips when the training data hash is
unchanged, and promotes the new model only if it is not worse on the frozen check set and on
the fixed held-out part (a small held-out cost is accepted when the check set improves).

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

from classifiers.corpus import LabelledExample, data_hash, load_corpus, screening_text, split3
from classifiers.errors import ModelError
from classifiers.model import (
    FORMAT_VERSION,
    ConflictModel,
    load_model,
    read_metadata,
    save_model,
)
from classifiers.normalize import NormalizerConfig, normalize

# Conflict recall targets on the validation split (issue #17): ``review`` flags a case for a
# reviewer, ``block`` keeps it out without one.
BLOCK_RECALL = 0.90
REVIEW_RECALL = 0.97
# Token window sizes tried on the validation split (0: whole text only).
WINDOWS = (0, 16, 24)
FOLDS = 5
SEED = 20261127
WORD_RANGE = (1, 2)
CHAR_RANGE = (2, 5)
# Bumped whenever the feature or model recipe changes, so the data hash changes with it.
RECIPE = "tfidf-word12-charwb25-cues-windows-platt-v2"


@dataclass(frozen=True)
class Candidate:
    """One model recipe: a linear classifier and a normalisation variant."""

    name: str
    classifier: str
    normalizer: NormalizerConfig
    char_features: bool = True
    # Weight of the char n-gram block against the word block while fitting (L2 shrinks a
    # down-weighted block harder). The stored char coefficients absorb the weight, so scoring
    # (``classifiers.model``) is unchanged. Below 1: on real text, char n-grams of words
    # unseen in the corpus leaned toward conflict (issue #17, fourth pass).
    char_weight: float = 1.0


def _make_classifier(kind: str) -> Any:
    from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
    from sklearn.svm import LinearSVC

    factories: dict[str, Callable[[], Any]] = {
        "logreg": lambda: LogisticRegression(
            C=0.2, class_weight="balanced", solver="liblinear", max_iter=1000
        ),
        "logreg_c1": lambda: LogisticRegression(
            C=1.0, class_weight="balanced", solver="liblinear", max_iter=1000
        ),
        "logreg_c05": lambda: LogisticRegression(
            C=0.5, class_weight="balanced", solver="liblinear", max_iter=1000
        ),
        "logreg_c3": lambda: LogisticRegression(
            C=3.0, class_weight="balanced", solver="liblinear", max_iter=1000
        ),
        "logreg_c005": lambda: LogisticRegression(
            C=0.05, class_weight="balanced", solver="liblinear", max_iter=1000
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
_CUES = NormalizerConfig(slang=True, cues=True)
CANDIDATES: tuple[Candidate, ...] = (
    Candidate("logreg_cues", "logreg", _CUES),
    Candidate("linearsvc_cues", "linearsvc", _CUES),
    Candidate("sgd_huber_cues", "sgd_huber", _CUES),
    Candidate("ridge_cues", "ridge", _CUES),
    Candidate("logreg", "logreg", _SLANG),
    Candidate("linearsvc", "linearsvc", _SLANG),
)
# Kept loadable by name (older artefacts and ``--candidate``), not compared by default: each
# costs a vectoriser fit per fold, and earlier runs measured them behind the above.
EXTRA_CANDIDATES: tuple[Candidate, ...] = (
    Candidate("ridge", "ridge", _SLANG),
    Candidate("sgd_huber", "sgd_huber", _SLANG),
    Candidate("logreg_word_only", "logreg", _SLANG, char_features=False),
    Candidate("logreg_cues_c1", "logreg_c1", _CUES),
    Candidate("logreg_cues_c005", "logreg_c005", _CUES),
    Candidate("logreg_cues_c3", "logreg_c3", _CUES),
    Candidate("logreg_cues_word_only", "logreg", _CUES, char_features=False),
    Candidate("logreg_cues_cw05", "logreg", _CUES, char_weight=0.5),
    Candidate("logreg_cues_cw025", "logreg", _CUES, char_weight=0.25),
    Candidate("logreg_cues_c05_cw05", "logreg_c05", _CUES, char_weight=0.5),
)
CANDIDATE_BY_NAME = {c.name: c for c in (*CANDIDATES, *EXTRA_CANDIDATES)}


@dataclass
class CandidateResult:
    name: str
    roc_auc: float
    general_pass_at_review_recall: float
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


def both_texts(examples: Sequence[LabelledExample]) -> list[str]:
    """Each example with its note, then each alone: ``2 * len(examples)`` screening texts."""
    return [e.text for e in examples] + [screening_text(e.complaint, None) for e in examples]


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
        blocks.append(candidate.char_weight * char.fit_transform(texts))
    return word, char, sparse.hstack(blocks, format="csr")


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


def _doubled(index: NDArray[np.int_], n: int) -> NDArray[np.int_]:
    """Rows of ``both_texts`` for the examples at ``index`` (with note, then alone)."""
    return np.concatenate([index, index + n])


def compare_candidates(
    examples: Sequence[LabelledExample], candidates: Sequence[Candidate] = CANDIDATES
) -> list[CandidateResult]:
    """Cross-validate each candidate on ``examples`` (with and without notes); best first.

    Folds are drawn over examples, so a complaint with its note and the same complaint alone
    are never on both sides. Vectorisers are fitted once per fold and normalisation variant
    and shared by every classifier using it (the char n-gram vocabulary is the costly part).
    Raw decision values are compared: ROC AUC and the pass rate at a recall target do not
    change under a monotonic calibration.
    """
    from scipy import sparse
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    n = len(examples)
    y_one = np.array([e.y for e in examples])
    y = np.concatenate([y_one, y_one])
    folds = [
        (_doubled(a, n), _doubled(b, n))
        for a, b in StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(
            np.zeros(n), y_one
        )
    ]
    raw_texts = both_texts(examples)
    blocks_by_config: dict[NormalizerConfig, list[tuple[Any, Any, Any, Any]]] = {}
    results: list[CandidateResult] = []
    for candidate in candidates:
        started = time.perf_counter()
        config = candidate.normalizer
        if config not in blocks_by_config:
            texts = [normalize(text, config) for text in raw_texts]
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
                weight = candidate.char_weight
                x_train = sparse.hstack([w_train, weight * c_train], format="csr")
                x_test = sparse.hstack([w_test, weight * c_test], format="csr")
            else:
                x_train, x_test = w_train, w_test
            model = _make_classifier(candidate.classifier).fit(x_train, y[train_index])
            scores[test_index] = model.decision_function(x_test)
        review = threshold_for_recall(scores, y, REVIEW_RECALL)
        results.append(
            CandidateResult(
                name=candidate.name,
                roc_auc=float(roc_auc_score(y, scores)),
                general_pass_at_review_recall=general_pass_rate(scores, y, review),
                seconds=time.perf_counter() - started,
            )
        )
    results.sort(key=lambda r: (r.general_pass_at_review_recall, r.roc_auc), reverse=True)
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


def _platt(raw: NDArray[np.float64], y: NDArray[np.int_]) -> tuple[float, float]:
    """Sigmoid ``1 / (1 + exp(a * raw + b))`` fitted on validation scores."""
    from sklearn.linear_model import LogisticRegression

    if len(set(y.tolist())) < 2:
        return -1.0, 0.0
    fitted = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
    return -float(fitted.coef_[0][0]), -float(fitted.intercept_[0])


def _validation_metrics(raw: NDArray[np.float64], y: NDArray[np.int_]) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    review = threshold_for_recall(raw, y, REVIEW_RECALL)
    both = 0 < int(y.sum()) < len(y)
    return {
        "roc_auc": float(roc_auc_score(y, raw)) if both else float("nan"),
        "general_pass_at_review_recall": general_pass_rate(raw, y, review),
    }


def fit(
    train_examples: Sequence[LabelledExample],
    candidate: Candidate,
    training_hash: str,
    validation_examples: Sequence[LabelledExample] = (),
) -> FittedModel:
    """Fit ``candidate`` on ``train_examples``; window, calibration and thresholds from
    ``validation_examples`` (out-of-fold scores on the training part when there are none)."""
    y_one = np.array([e.y for e in train_examples])
    y = np.concatenate([y_one, y_one])
    texts = [normalize(text, candidate.normalizer) for text in both_texts(train_examples)]
    word, char, x_train = _fit_transform(candidate, texts)
    estimator = _make_classifier(candidate.classifier).fit(x_train, y)
    coef = np.asarray(estimator.coef_, dtype=np.float64).ravel().copy()
    # The model was fitted on the weighted char block; scoring sees it unweighted.
    coef[len(word.vocabulary_) :] *= candidate.char_weight
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
        "window": 0,
        "calibration": {"kind": "sigmoid", "a": -1.0, "b": 0.0},
        "block_threshold": 1.0,
        "review_threshold": 1.0,
    }
    validation = list(validation_examples) or list(train_examples)
    y_val_one = np.array([e.y for e in validation])
    y_val = np.concatenate([y_val_one, y_val_one])
    val_texts = both_texts(validation)
    windows: dict[int, dict[str, float]] = {}
    raws: dict[int, NDArray[np.float64]] = {}
    for window in WINDOWS:
        params["window"] = window
        model = ConflictModel({**params, "format_version": FORMAT_VERSION}, {})
        raws[window] = model.decision_function([normalize(t, model.normalizer) for t in val_texts])
        windows[window] = _validation_metrics(raws[window], y_val)
    chosen_window = max(
        windows, key=lambda w: (windows[w]["general_pass_at_review_recall"], windows[w]["roc_auc"])
    )
    best_raw = raws[chosen_window]
    params["window"] = chosen_window
    a, b = _platt(best_raw, y_val)
    calibrated = 1.0 / (1.0 + np.exp(a * best_raw + b))
    block = threshold_for_recall(calibrated, y_val, BLOCK_RECALL)
    review = min(threshold_for_recall(calibrated, y_val, REVIEW_RECALL), block)
    params.update(
        calibration={"kind": "sigmoid", "a": a, "b": b},
        block_threshold=float(block),
        review_threshold=float(review),
    )
    metadata: dict[str, Any] = {
        "version": version,
        "created_at": created.isoformat(timespec="seconds"),
        "candidate": candidate.name,
        "recipe": RECIPE,
        "normalizer": candidate.normalizer.as_dict(),
        "window": chosen_window,
        "window_comparison": {str(w): m for w, m in windows.items()},
        "training_data_hash": training_hash,
        "training_examples": len(train_examples),
        "validation_examples": len(validation_examples),
        "training_reviewer_examples": sum(e.source != "corpus" for e in train_examples),
        "thresholds": {"block": float(block), "review": float(review)},
        "threshold_rule": {
            "block_recall_target": BLOCK_RECALL,
            "review_recall_target": REVIEW_RECALL,
            "source": "calibrated scores on the validation split, with and without the note",
        },
        "libraries": _library_versions(),
    }
    return FittedModel(params, metadata)


def training_hash(train_examples: Sequence[LabelledExample], candidate: Candidate) -> str:
    salt = f"{RECIPE}|{candidate.name}|{BLOCK_RECALL}|{REVIEW_RECALL}"
    return data_hash(train_examples, salt=salt)


def _check_examples(path: Path | None) -> list[LabelledExample]:
    """The frozen check set (``generator``); empty when the file is absent."""
    from classifiers.generator import default_checkset_path

    path = path or default_checkset_path()
    return load_corpus(path) if path.exists() else []


def measure(
    model: ConflictModel,
    test_examples: Sequence[LabelledExample],
    check_examples: Sequence[LabelledExample],
) -> dict[str, Any]:
    """Reports on held-out and check set, each with the note and with the complaint alone."""
    from classifiers.evaluation import evaluate

    metrics: dict[str, Any] = {
        "held_out": evaluate(model, test_examples).to_dict(),
        "held_out_complaint_only": evaluate(model, test_examples, with_note=False).to_dict(),
    }
    if check_examples:
        metrics["check_set"] = evaluate(model, check_examples).to_dict()
        metrics["check_set_complaint_only"] = evaluate(
            model, check_examples, with_note=False
        ).to_dict()
    return metrics


def train(
    corpus_path: Path | None = None,
    extra_examples: Sequence[LabelledExample] = (),
    output_dir: Path | None = None,
    candidate: str | None = None,
    save: bool = True,
    checkset_path: Path | None = None,
) -> TrainResult:
    """Train (comparing candidates unless ``candidate`` names one), evaluate, and save."""
    train_examples, validation, test_examples = split3(load_corpus(corpus_path))
    train_examples = [*train_examples, *extra_examples]
    comparison: list[CandidateResult] = []
    if candidate is None:
        comparison = compare_candidates(train_examples)
        chosen = CANDIDATE_BY_NAME[comparison[0].name]
    else:
        chosen = CANDIDATE_BY_NAME[candidate]
    fitted = fit(train_examples, chosen, training_hash(train_examples, chosen), validation)
    fitted.metadata["metrics"] = measure(
        fitted.as_model(), test_examples, _check_examples(checkset_path)
    )
    if comparison:
        fitted.metadata["comparison"] = [vars(result) for result in comparison]
    path = save_model(fitted.params, fitted.metadata, output_dir) if save else None
    return TrainResult(path, fitted, comparison)


# Guarded: ranking, and the review level's recall and general pass (what reviewers see).
_GUARDED = ("roc_auc", "recall_at_review", "general_pass")
# The held-out cost accepted from a retrain that improves the frozen check set.
CORPUS_COST = 0.02


def _guarded(metrics: dict[str, Any], part: str) -> dict[str, float]:
    return {f"{part}.{key}": float(metrics[part][key]) for key in _GUARDED if part in metrics}


def worse_metrics(old: dict[str, float], new: dict[str, float], tolerance: float) -> list[str]:
    """The guarded metrics on which ``new`` is worse than ``old`` (empty: promote).

    The frozen check set rules: any check-set metric more than ``tolerance`` below the old
    one refuses. A held-out metric may fall by up to ``CORPUS_COST`` when the check set
    improved (real text over our own corpus), else only by ``tolerance``.
    """
    check_keys = [k for k in new if k.startswith("check_set.") and k in old]
    check_gain = any(new[k] > old[k] + tolerance for k in check_keys)
    worse = [k for k in check_keys if new[k] < old[k] - tolerance]
    slack = CORPUS_COST if check_gain and not worse else tolerance
    worse += [k for k in new if k.startswith("held_out.") and k in old and new[k] < old[k] - slack]
    return worse


def retrain(
    extra_examples: Sequence[LabelledExample],
    corpus_path: Path | None = None,
    model_dir: Path | None = None,
    tolerance: float = 0.005,
    checkset_path: Path | None = None,
) -> RetrainResult:
    """Retrain on corpus + reviewer decisions; promote only if not worse.

    Skips (no training at all) when the training data hash equals the current model's.
    "Not worse": ROC AUC, conflict recall at the review threshold and the share of general
    cases passing each within ``tolerance`` of the current model's on the frozen check set
    (real register, never trained on) and on the fixed held-out split; when the check set
    improves, the held-out split may lose up to ``CORPUS_COST``. Without a usable current
    model, the new one must meet the floors (recall >= 0.95, ROC AUC >= 0.95, general pass
    >= 0.80) on the held-out split.
    """
    train_examples, validation, test_examples = split3(load_corpus(corpus_path))
    train_examples = [*train_examples, *extra_examples]
    check_examples = _check_examples(checkset_path)
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
    fitted = fit(train_examples, candidate, new_hash, validation)
    new_all = measure(fitted.as_model(), test_examples, check_examples)
    fitted.metadata["metrics"] = new_all
    new_metrics = {**_guarded(new_all, "held_out"), **_guarded(new_all, "check_set")}
    old_metrics: dict[str, float] = {}
    if current is not None:
        old_all = measure(current, test_examples, check_examples)
        old_metrics = {**_guarded(old_all, "held_out"), **_guarded(old_all, "check_set")}
        worse = worse_metrics(old_metrics, new_metrics, tolerance)
    else:
        floors = {
            "held_out.roc_auc": 0.95,
            "held_out.recall_at_review": 0.95,
            "held_out.general_pass": 0.80,
        }
        worse = [k for k, floor in floors.items() if new_metrics[k] < floor]
    old_version = current.version if current is not None else None
    if worse:
        return RetrainResult(
            "rejected",
            f"worse on the check set or held-out split: {', '.join(worse)}",
            new_hash,
            old_version,
            fitted.metadata["version"],
            old_metrics,
            new_metrics,
        )
    save_model(fitted.params, fitted.metadata, model_dir)
    return RetrainResult(
        "promoted",
        "not worse on the check set and held-out split",
        new_hash,
        old_version,
        fitted.metadata["version"],
        old_metrics,
        new_metrics,
    )
