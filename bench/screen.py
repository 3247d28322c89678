"""Benchmark: ``python -m classifiers screen`` on 10,000 cases, and single-case latency.

Run from the repository root: ``python -m bench.screen``. Prints:

* end-to-end wall and CPU time on 10,000 generated cases in a fresh process (start-up,
  imports, model load, scoring with reasons, JSON out) -- target < 5 s -- for
  ``python -m classifiers screen``, for the ``lapor screen`` command's own path and for the
  whole ``lapor`` CLI, plus each one's start-up alone (one case);
* the same batch scored in-process by our cached-n-gram features vs. the naive way
  (scikit-learn's ``TfidfVectorizer.transform``, rebuilt from the same vocabulary), so the
  speed-up is measured in the same run;
* single-case latency after load (median and p95 over 500 calls) -- target < 5 ms.

Cases are corpus complaints with generated (Faker id_ID) names and numbers spliced in, so no
two are identical and the char n-gram cache is not flattered by exact repeats.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from faker import Faker
from scipy import sparse

from classifiers.corpus import load_corpus
from classifiers.model import load_model
from classifiers.normalize import normalize

CASES = 10_000


def make_cases(count: int) -> list[dict[str, str]]:
    fake = Faker("id_ID")
    Faker.seed(11)
    rng = random.Random(11)
    corpus = load_corpus()
    cases = []
    for index in range(count):
        example = rng.choice(corpus)
        extra = f" Nama saya {fake.name()}, HP {fake.msisdn()[:12]}, RT {rng.randint(1, 15)}."
        cases.append(
            {
                "id": f"bench-{index}",
                "complaint": example.complaint + extra,
                "follow_up": example.follow_up,
            }
        )
    return cases


def naive_matrix(model_texts: list[str]) -> sparse.csr_matrix:
    """The same features through scikit-learn's own analyzers (the naive way)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    model = load_model()
    blocks = []
    for block, analyzer in ((model.features.word, "word"), (model.features.char, "char_wb")):
        vectorizer = TfidfVectorizer(
            analyzer=analyzer,
            ngram_range=block.ngram_range,
            sublinear_tf=True,
            vocabulary=block.vocabulary,
        )
        vectorizer.idf_ = block.idf
        blocks.append(vectorizer.transform(model_texts))
    return sparse.hstack(blocks, format="csr")


def main() -> None:
    cases = make_cases(CASES)
    with tempfile.TemporaryDirectory() as temp:
        source, target = Path(temp) / "in.jsonl", Path(temp) / "out.jsonl"
        source.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases))
        one = Path(temp) / "one.jsonl"
        one.write_text(json.dumps(cases[0], ensure_ascii=False) + "\n")
        io = ["--input", str(source), "--output", str(target)]
        # The same scoring three ways: the classifiers package alone, the ``lapor screen``
        # command's own path (publisher.screening.cli: settings + model, nothing else of the
        # app), and the whole ``lapor`` CLI as installed (every part's CLI imported; #23).
        commands = {
            "python -m classifiers screen": [sys.executable, "-m", "classifiers", "screen"],
            "lapor screen (command path)": [
                sys.executable,
                "-c",
                "import sys; from publisher.screening.cli import commands; "
                "commands(sys.argv[1:], prog_name='lapor screen')",
            ],
            "lapor screen (whole CLI)": [sys.executable, "-m", "publisher.cli.main", "screen"],
        }
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for label, command in commands.items():
            runs, cpu = [], []
            for _ in range(3):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                subprocess.run([*command, *io], check=True, capture_output=True)
                runs.append(time.perf_counter() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            lines = target.read_text().count("\n")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(
                [*command, "--input", str(one), "--output", str(target)],
                check=True,
                capture_output=True,
            )
            start_wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            start_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            print(
                f"{label}: {CASES} cases end to end (fresh process): best {min(runs):.2f} s "
                f"wall, runs {', '.join(f'{r:.2f}' for r in runs)} s; CPU time "
                f"{', '.join(f'{c:.2f}' for c in cpu)} s; {lines} lines out; "
                f"start-up alone (1 case) {start_wall:.2f} s wall, {start_cpu:.2f} s CPU"
            )
        print(f"load average at end: {os.getloadavg()[0]:.1f}")

    started = time.perf_counter()
    model = load_model()
    print(f"model load in-process: {time.perf_counter() - started:.3f} s")
    texts = [f"{c['complaint']}\n{c['follow_up']}" for c in cases]
    normalised = [normalize(t, model.normalizer) for t in texts]

    started = time.perf_counter()
    fast = model.features.transform(normalised)
    fast_seconds = time.perf_counter() - started
    started = time.perf_counter()
    naive = naive_matrix(normalised)
    naive_seconds = time.perf_counter() - started
    assert np.allclose((fast - naive).data, 0.0)
    print(
        f"features for {CASES} cases: cached n-grams {fast_seconds:.2f} s, "
        f"scikit-learn analyzers {naive_seconds:.2f} s "
        f"({naive_seconds / fast_seconds:.1f}x)"
    )

    started = time.perf_counter()
    model.score(texts)
    print(
        f"score (reasons for block/review) in-process, {CASES} cases: "
        f"{time.perf_counter() - started:.2f} s"
    )
    started = time.perf_counter()
    model.score(texts, reasons_for_pass=True)
    print(
        f"score (reasons for every case) in-process, {CASES} cases: "
        f"{time.perf_counter() - started:.2f} s"
    )

    fresh = load_model()
    timings = []
    for text in texts[:500]:
        started = time.perf_counter()
        fresh.score([text])
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(
        f"single case after load: median {statistics.median(timings):.2f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.2f} ms, min {timings[0]:.2f} ms"
    )


if __name__ == "__main__":
    main()
