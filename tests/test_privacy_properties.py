"""Property: generated identities embedded anywhere in arbitrary text never survive redaction,
and never survive the logging filter.

``embedded()`` (a Hypothesis strategy of (text, known identities, planted values)) and
``leaked_parts(text, planted)`` are meant for reuse by the caption and stored-post checks.
"""

from __future__ import annotations

import logging
import random
import re
from functools import lru_cache

from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.privacy import KnownIdentities, PersonalDataDetector, PersonalDataFilter, redact
from publisher.privacy.lexicon import NAME_PARTICLES
from tests.privacy_corpus import (
    Pools,
    load_pools,
    make_mobile,
    make_nik,
    make_plate,
    shape_mobile,
    shape_sixteen,
)


@lru_cache(maxsize=1)
def _pools() -> Pools:
    return load_pools(2026)


@lru_cache(maxsize=1)
def _detector() -> PersonalDataDetector:
    return PersonalDataDetector()


# Arbitrary Unicode without digits: digits glued to a number make a different number.
FILLER = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Nd", "Nl", "No")), max_size=30)
SEPARATORS = st.sampled_from([" ", "\n", ", ", ": ", " (", ") ", ". ", "; ", " / ", "\t"])


def _identities(seed: int) -> tuple[KnownIdentities, dict[str, str]]:
    r = random.Random(seed)
    pools = _pools()
    name = pools.full_names[r.randrange(len(pools.full_names))]
    phone = shape_mobile(r, make_mobile(r))
    nik = shape_sixteen(r, make_nik(r))
    email = pools.emails[r.randrange(len(pools.emails))]
    plate = make_plate(r, pools).upper()
    known = KnownIdentities(names=(name,), phones=(phone,), niks=(nik,), emails=(email,))
    return known, {"name": name, "phone": phone, "nik": nik, "email": email, "plate": plate}


@st.composite
def embedded(draw: st.DrawFn) -> tuple[str, KnownIdentities, dict[str, str]]:
    known, values = _identities(draw(st.integers(0, 2**32)))
    kinds = draw(st.lists(st.sampled_from(sorted(values)), min_size=1, max_size=6))
    parts = [draw(FILLER)]
    for kind in kinds:
        parts += [draw(SEPARATORS), values[kind], draw(SEPARATORS), draw(FILLER)]
    return "".join(parts), known, {k: values[k] for k in kinds}


def leaked_parts(text: str, planted: dict[str, str]) -> list[str]:
    """The planted values (or name words) still present in ``text``."""
    leaks = [v for k, v in planted.items() if k != "name" and v in text]
    if "name" in planted:
        core = planted["name"].split(",", 1)[0]
        for word in re.findall(r"[^\W\d_]+", core):
            whole_word = rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])"
            if (
                len(word) >= 3
                and word.lower() not in NAME_PARTICLES
                and re.search(whole_word, text, re.I)
            ):
                leaks.append(word)
    return leaks


@settings(max_examples=300, deadline=None)
@given(embedded())
def test_detect_and_redact_remove_every_embedded_identity(
    case: tuple[str, KnownIdentities, dict[str, str]],
) -> None:
    text, known, planted = case
    redacted = redact(text, _detector().detect(text, known)).text
    assert leaked_parts(redacted, planted) == []


@settings(max_examples=150, deadline=None)
@given(embedded())
def test_the_logging_filter_scrubs_every_embedded_identity(
    case: tuple[str, KnownIdentities, dict[str, str]],
) -> None:
    text, known, planted = case
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "note: %s", (text,), None)
    PersonalDataFilter(_detector(), known=lambda: known).filter(record)
    assert leaked_parts(record.getMessage(), planted) == []
