"""X's weighted length: twitter-text's own conformance cases, read from ../shared."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pytest

from publisher.platforms.x.twitter_text import V2, V3, TwitterConfig, parse, weighted_length
from tests.conftest import shared_path

WEIGHTED_GROUPS = {
    # Upstream's reference test forces v2 for the first group and v3 for the emoji group.
    "WeightedTweetsCounterTest": "v2.json",
    "WeightedTweetsWithDiscountedEmojiCounterTest": "v3.json",
    "UnicodeDirectionalMarkerCounterTest": "v3.json",
}


def _weighted_cases() -> list[Any]:
    yaml = pytest.importorskip("yaml")
    root = shared_path("fixtures", "twitter-text")
    tests = yaml.safe_load((root / "conformance" / "validate.yml").read_text("utf-8"))["tests"]
    cases = []
    for group, config_file in WEIGHTED_GROUPS.items():
        config = TwitterConfig.from_json(
            json.loads((root / "config" / config_file).read_text("utf-8"))
        )
        cases += [(group, config, case) for case in tests[group]]
    return cases


def test_all_44_weighted_length_cases_of_the_upstream_conformance_file_pass() -> None:
    cases = _weighted_cases()
    assert len(cases) == 44
    failures = [
        (group, case["description"], asdict(parse(case["text"], config)), case["expected"])
        for group, config, case in cases
        if asdict(parse(case["text"], config)) != case["expected"]
    ]
    assert failures == []


def test_the_bundled_configurations_equal_the_upstream_files() -> None:
    root = shared_path("fixtures", "twitter-text", "config")
    for bundled, name in ((V2, "v2.json"), (V3, "v3.json")):
        assert TwitterConfig.from_json(json.loads((root / name).read_text("utf-8"))) == bundled


def test_a_url_weighs_23_however_long_it_is() -> None:
    short = weighted_length("Info: https://tegalkab.go.id")
    long = weighted_length("Info: https://tegalkab.go.id/berita/2025/11/27/jalan-sudah-diperbaiki")
    assert short == long == len("Info: ") + 23


def test_an_emoji_family_weighs_2_under_v3_and_each_code_point_under_v2() -> None:
    family = "👨‍👩‍👧‍👦"
    assert weighted_length(family, V3) == 2
    assert weighted_length(family, V2) == 4 * 2 + 3  # four people at 2, three joiners at 1


def test_an_indonesian_caption_with_emoji_counts_latin_as_1_and_each_emoji_as_2() -> None:
    text = "✅ Jalan di Desa Procot sudah ditambal.\n📅 Kamis, 27 November 2025 #LaporBupatiTegal"
    emoji = 2
    assert weighted_length(text) == len(text) - emoji + emoji * 2


def test_a_decimal_amount_with_dots_is_not_taken_for_a_url() -> None:
    assert weighted_length("Anggaran Rp1.500.000 sudah cair.") == 32
