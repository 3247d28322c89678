"""Normalisation of informal Indonesian/Javanese text and masking of identifiers."""

from __future__ import annotations

from classifiers.normalize import NormalizerConfig, normalize


def test_it_masks_phone_numbers_nik_plates_rt_rw_and_money() -> None:
    text = (
        "Hub 081234567890 atau +6285712345678, NIK 3328012345678901, motor G 1234 AB, "
        "RT 03 RW 05, diminta 150rb dan Rp 2.000.000"
    )
    out = normalize(text)
    for leaked in ("0812", "6285", "3328", "1234", "03", "05", "150", "2.000"):
        assert leaked not in out
    assert out.count("xtelp") == 2
    assert "xnik" in out and "xplat" in out and out.count("xuang") == 2
    assert "rt xangka rw xangka" in out


def test_it_maps_tegal_javanese_and_chat_abbreviations_to_standard_indonesian() -> None:
    out = normalize("Nyong wis lapor tp ora ana tanggapan, kepriben kiye? Sdh 3 hr yg bgt")
    assert out.split()[:2] == ["saya", "sudah"]
    assert "tidak ada" in out and "bagaimana ini" in out
    assert "yang banget" in out


def test_it_expands_reduplication_and_shortens_letter_runs() -> None:
    assert normalize("anak2 parahhhh") == "anak anak parahh"


def test_stopword_removal_keeps_words_that_signal_accusations() -> None:
    config = NormalizerConfig(remove_stopwords=True)
    out = normalize("Saya dan ibu tidak tahu bahwa bapak kades yang ambil", config).split()
    for kept in ("saya", "ibu", "tidak", "bapak", "kades"):
        assert kept in out
    for dropped in ("dan", "bahwa", "yang"):
        assert dropped not in out


def test_stemming_keeps_pronouns_and_masks() -> None:
    out = normalize("Saya dipukuli dan dimintai 100rb", NormalizerConfig(stem=True)).split()
    assert "saya" in out and "pukul" in out and "xuang" in out


def test_any_string_normalises_without_error() -> None:
    for text in ("", "   ", "!!!", "ðŸ˜€ \x00 \u200b", "1" * 40):
        assert isinstance(normalize(text), str)
