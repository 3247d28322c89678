"""The detector over a generated corpus: 10,000 texts with planted personal data, 10,000 clean.

The same generator and scorer run 100,000 + 100,000 texts in bench/privacy.py.
"""

from __future__ import annotations

import pytest

from publisher.privacy import PersonalDataDetector
from publisher.privacy.corpus import (
    PUBLIC_PHONES,
    STRUCTURED_KINDS,
    CorpusReport,
    evaluate,
    generate_clean,
    generate_dirty,
)

SIZE = 10_000


@pytest.fixture(scope="module")
def report() -> CorpusReport:
    detector = PersonalDataDetector(public_phone_allowlist=PUBLIC_PHONES)
    return evaluate(detector, generate_dirty(SIZE, seed=11), generate_clean(SIZE, seed=12))


def test_the_corpus_plants_every_kind_many_times(report: CorpusReport) -> None:
    for kind in (*STRUCTURED_KINDS, "address", "rt_rw", "house_number", "bank_account"):
        assert report.planted[kind] >= 300, kind
    assert report.planted["name_known"] >= 3000 and report.planted["name_unknown"] >= 2000


def test_no_structured_identifier_leaks(report: CorpusReport) -> None:
    assert {k: report.missed.get(k, 0) for k in STRUCTURED_KINDS} == dict.fromkeys(
        STRUCTURED_KINDS, 0
    )


def test_no_name_held_on_the_case_leaks(report: CorpusReport) -> None:
    assert report.missed.get("name_known", 0) == 0


def test_honorific_introduced_unknown_names_are_found_at_least_95_percent(
    report: CorpusReport,
) -> None:
    assert report.recall("name_unknown") >= 0.95


def test_fewer_than_one_percent_of_clean_texts_are_flagged(report: CorpusReport) -> None:
    assert report.clean_texts == SIZE
    assert report.false_positive_rate < 0.01
