"""Benchmark and evaluation of the personal-data detector: ``python -m bench.privacy``.

1. Quality on the generated corpus (100,000 texts with planted personal data, 100,000 clean).
2. Throughput (texts per CPU-second, i.e. per core) against a naive detector in the same run:
   every pattern compiled case-insensitively and run over the original text, one regex search
   per known name word, and a per-character edit-distance loop for typos.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Sequence

from publisher.privacy import KnownIdentities, PersonalDataDetector
from publisher.privacy import detector as det
from publisher.privacy.corpus import (
    PUBLIC_PHONES,
    STRUCTURED_KINDS,
    CorpusText,
    evaluate,
    generate_clean,
    generate_dirty,
)


class NaiveDetector:
    """The obvious way: one case-insensitive regex per pattern and per known name word."""

    def __init__(self) -> None:
        self._patterns = [
            re.compile(p.pattern, re.IGNORECASE)
            for p in (
                det._SIXTEEN,
                det._ACCOUNT,
                det._PHONE,
                det._LONG_DIGITS,
                det._EMAIL,
                det._PLATE,
                det._PLATE_CONTEXT,
                det._RT_RW,
                det._HOUSE_NUMBER,
                det._BLOCK,
                det._ADDRESS,
                det._HONORIFIC,
            )
        ]
        self._word = re.compile(r"\w+")

    def detect(self, text: str, known: KnownIdentities | None) -> list[tuple[int, int]]:
        spans = [m.span() for p in self._patterns for m in p.finditer(text)]
        if known is not None:
            words = {w for n in known.names for w in n.split() if len(w) >= 3}
            for w in words:
                spans += [m.span() for m in re.finditer(rf"\b{re.escape(w)}\b", text, re.I)]
            tokens = self._word.findall(text)
            spans += [(0, 0) for t in tokens for w in words if len(w) >= 5 and _within_one(t, w)]
        return sorted(spans)


def _within_one(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    if abs(len(a) - len(b)) > 1:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] <= 1


def _throughput(
    run: Callable[[str, KnownIdentities | None], object], items: Sequence[CorpusText]
) -> tuple[float, float]:
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    for item in items:
        run(item.text, item.known)
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    return len(items) / cpu, len(items) / wall


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.privacy")
    parser.add_argument("--size", type=int, default=100_000, help="texts per corpus half")
    parser.add_argument("--naive-size", type=int, default=20_000)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    dirty = generate_dirty(args.size, seed=101)
    clean = generate_clean(args.size, seed=102)
    mean = sum(len(i.text) for i in dirty + clean) / (2 * args.size)
    print(
        f"corpus: {len(dirty):,} dirty + {len(clean):,} clean texts "
        f"(generated in {time.perf_counter() - t0:.1f} s), mean length {mean:.0f} chars"
    )

    detector = PersonalDataDetector(public_phone_allowlist=PUBLIC_PHONES)
    report = evaluate(detector, dirty, clean)
    print("\nkind              planted    missed    recall")
    for kind in sorted(report.planted):
        print(
            f"{kind:16s} {report.planted[kind]:8,d} {report.missed.get(kind, 0):9,d}"
            f"  {report.recall(kind):8.4f}"
        )
    print(
        f"\nleaks of structured identifiers ({', '.join(STRUCTURED_KINDS)}): "
        f"{report.leaks(STRUCTURED_KINDS)}"
    )
    print(f"leaks of names held on the case: {report.missed.get('name_known', 0)}")
    print(f"recall on honorific-introduced unknown names: {report.recall('name_unknown'):.4f}")
    rate = 100 * report.false_positive_rate
    print(
        f"clean texts flagged: {report.clean_flagged:,} of {report.clean_texts:,} ({rate:.2f} %),"
        f" findings by kind {report.flagged_kinds}"
    )

    mixed = [x for pair in zip(dirty, clean, strict=True) for x in pair]
    cpu_rate, wall_rate = _throughput(detector.detect, mixed)
    naive = NaiveDetector()
    sample = mixed[: args.naive_size]
    naive_cpu, naive_wall = _throughput(naive.detect, sample)
    fast_cpu, _ = _throughput(detector.detect, sample)
    print(
        f"\nthroughput, detector, {len(mixed):,} texts: {cpu_rate:,.0f} texts/CPU-s "
        f"({wall_rate:,.0f} texts/s wall)"
    )
    print(
        f"throughput on the same {len(sample):,} texts: detector {fast_cpu:,.0f} texts/CPU-s, "
        f"naive {naive_cpu:,.0f} texts/CPU-s ({naive_wall:,.0f} wall); "
        f"speed-up x{fast_cpu / naive_cpu:.1f}"
    )


if __name__ == "__main__":
    main()
