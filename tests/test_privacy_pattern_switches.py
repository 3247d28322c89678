"""Each recogniser of the detector is needed by a test (issue #16, "a dead pattern survives the
fast suite"): switching it off here turns the kind-aware coverage check red.

The check is the one of ``test_every_planted_identifier_is_found_by_the_pattern_of_its_own_kind``
(tests/test_privacy_hard_cases.py): a planted identifier must be covered by findings of *its
own kind*, with the case knowing none of the numbers, so neither the bank-account fallback for
long digit runs nor the known-value path can hide a dead pattern. Probes are the hard-case
generator's notes, plus hand-written forms that only one recogniser reads (landlines, plates of
regions outside the loose list).

Two regexes are shadowed on every form we generate and are not switched here: ``_SIXTEEN``
(every 16-digit grouping is also read by the digit view) and ``_EMAIL`` (plain addresses are
also read by the loose e-mail recogniser); removing either changes no finding of the hard-case
generator or of tests/privacy_corpus.py (measured 2026-12-02, 2,000 + 3,000 notes).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

import publisher.privacy.detector as detector_module
from publisher.privacy import KnownIdentities, PersonalDataDetector
from tests.privacy_corpus import PUBLIC_PHONES
from tests.privacy_hard_cases import (
    HardCase,
    Planted,
    covered_as,
    generate_dirty,
)
from tests.test_privacy_hard_cases import _documented_limit

NEVER = re.compile(r"(?!)")


def _off(*_args: object, **_kwargs: object) -> None:
    return None


def _probe(text: str, kind: str, value: str) -> HardCase:
    start = text.index(value)
    return HardCase(text, KnownIdentities(), [Planted(kind, "probe", start, start + len(value))])


# Forms only one recogniser reads (both are also in tests/privacy_corpus.py).
PROBES = [
    _probe("Kantor desa bisa ditelepon di (0283) 351234 ya.", "phone", "(0283) 351234"),
    _probe("Rumah warga dihubungi lewat 0285-118291 tadi pagi.", "phone", "0285-118291"),
    _probe("Mobil QD 206 YS parkir di bahu jalan.", "plate", "QD 206 YS"),
]

# name -> (module attribute, replacement): each is one recogniser.
SWITCHES: dict[str, tuple[str, object]] = {
    "phone regex (landlines, +62)": ("_PHONE", NEVER),
    "digit view (phones and NIKs in any grouping)": ("digit_view", _off),
    "plate regex": ("_PLATE", NEVER),
    "loose plates (dashes, dots, lower case)": ("loose_plates", _off),
    "obfuscated e-mails": ("loose_emails", _off),
    "RT/RW": ("_RT_RW", NEVER),
    "honorific, kin-word and role names": ("_HONORIFIC", NEVER),
    "signatures": ("signature", _off),
    "street addresses": ("_ADDRESS", NEVER),
    "descriptive addresses": ("descriptive_addresses", _off),
}


def misses(cases: list[HardCase]) -> list[tuple[str, str]]:
    detector = PersonalDataDetector(public_phone_allowlist=PUBLIC_PHONES)
    missed = []
    for case in cases:
        findings = detector.detect(case.text, case.known)
        for p in case.planted:
            value = case.text[p.start : p.end]
            if p.kind == "name" and not case.known.names and _documented_limit(value):
                continue
            if not covered_as(findings, p):
                missed.append((p.kind, p.form))
    return missed


@pytest.fixture(scope="module")
def notes() -> list[HardCase]:
    return [*generate_dirty(600, seed=1616), *PROBES]


def test_with_every_recogniser_on_nothing_is_missed(notes: list[HardCase]) -> None:
    assert misses(notes) == []


@pytest.mark.parametrize("switch", SWITCHES)
def test_switching_off_one_recogniser_turns_the_kind_check_red(
    switch: str, notes: list[HardCase], monkeypatch: pytest.MonkeyPatch
) -> None:
    attribute, replacement = SWITCHES[switch]
    assert hasattr(detector_module, attribute)
    monkeypatch.setattr(detector_module, attribute, replacement)
    assert misses(notes), f"{switch} switched off, yet every identifier was still found"


def test_switching_off_the_case_names_turns_the_kind_check_red(
    notes: list[HardCase], monkeypatch: pytest.MonkeyPatch
) -> None:
    off: Callable[..., None] = _off
    monkeypatch.setattr(detector_module.PersonalDataDetector, "_known_names", off)
    assert ("name", "known_plain") in misses(notes)
