"""Benchmark: ``lapor screen`` on 10,000 cases with start-up, single-case latency, ``lapor --help``.

Run from the repository root: ``python -m bench.screen [--quick]`` (``--quick``: 2,000 cases,
one counted run each, no scikit-learn comparison). Prints, with the load average at the start
and the end (CPU time is the figure to compare on a shared machine; wall time is what a user
waits, and only means something on a quiet one):

* fresh processes, start-up included (imports, settings, model load and its checks, scoring
  with reasons, JSON out), runs interleaved so that every way sees the same load:
  ``lapor screen`` as installed (the whole CLI: target < 2.5 s on 10,000 cases), the command's
  own path (``publisher.screening.cli``), ``python -m classifiers screen``, and the naive way:
  the same command scoring through the plain path of before #23 (frozen in
  ``tests/classifier_reference.py``); each one's start-up alone (one case);
* ``lapor --help``: ours (plain top-level list) vs the Rich rendering it replaced (target
  < 0.3 s CPU);
* in-process, the same batch through the plain path and ours: normalisation, features, scoring
  (the outputs are asserted identical), and our features vs scikit-learn's analyzers;
* single-case latency after load (median and p95 over 500 calls) -- target < 5 ms.

Child processes may write bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped for them, as an
installed package has its ``.pyc``), and each command runs once uncounted first.

Cases are corpus complaints with generated (Faker id_ID) names and numbers spliced in, so no
two are identical and the caches are not flattered by exact repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from faker import Faker
from scipy import sparse

from classifiers.corpus import load_corpus, screening_text
from classifiers.model import load_model
from classifiers.normalize import normalize

CASES = 10_000
ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")

# The naive way in a fresh process: the same ``lapor screen`` command, with the model wrapped
# in the plain scoring path of before #23.
_PLAIN_COMMAND = (
    "import sys\n"
    "import classifiers.cli as cli\n"
    "from tests.classifier_reference import ReferenceModel\n"
    "real = cli.load_model\n"
    "def plain(path=None):\n"
    "    model = real(path)\n"
    "    return ReferenceModel(model.params, model.metadata)\n"
    "cli.load_model = plain\n"
    "from publisher.cli.main import main\n"
    "sys.argv = ['lapor', *sys.argv[1:]]\n"
    "main()\n"
)
# ``lapor --help`` as it was rendered before #23: by Typer's Rich help formatter.
_RICH_HELP = (
    "import sys\n"
    "from publisher.cli import main as cli\n"
    "cli.app.rich_markup_mode = 'rich'\n"
    "sys.argv = ['lapor', '--help']\n"
    "cli.main()\n"
)


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


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _run(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=_child_env(), cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _fresh_processes(cases: list[dict[str, str]], runs: int) -> None:
    with tempfile.TemporaryDirectory() as temp:
        source, target = Path(temp) / "in.jsonl", Path(temp) / "out.jsonl"
        source.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases))
        one = Path(temp) / "one.jsonl"
        one.write_text(json.dumps(cases[0], ensure_ascii=False) + "\n")
        python = sys.executable
        commands = {
            "lapor screen (whole CLI, as installed)": [
                python,
                "-m",
                "publisher.cli.main",
                "screen",
            ],
            "lapor screen, the command's own path": [
                python,
                "-c",
                "import sys; from publisher.screening.cli import commands; "
                "commands(sys.argv[1:], prog_name='lapor')",
            ],
            "python -m classifiers screen": [python, "-m", "classifiers", "screen"],
            "naive: lapor screen, plain path of before #23": [
                python,
                "-c",
                _PLAIN_COMMAND,
                "screen",
            ],
        }
        io = ["--input", str(source), "--output", str(target)]
        single = ["--input", str(one), "--output", str(target)]
        outputs: dict[str, str] = {}
        for command in commands.values():  # uncounted: writes bytecode, warms caches
            _run([*command, *single])
        results: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
        starts: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
        for _ in range(runs):  # interleaved, so every way sees the same load
            for label, command in commands.items():
                results[label].append(_run([*command, *io]))
                outputs[label] = target.read_text("utf-8")
                starts[label].append(_run([*command, *single]))
        assert len(set(outputs.values())) == 1, "the ways wrote different results"
        print(f"{len(cases)} cases, fresh processes ({runs} interleaved runs each):")
        for label in commands:
            walls = [w for w, _ in results[label]]
            cpus = [c for _, c in results[label]]
            print(
                f"  {label}: CPU {min(cpus):.2f}-{max(cpus):.2f} s, wall best "
                f"{min(walls):.2f} s (runs {', '.join(f'{w:.2f}' for w in walls)}); "
                f"start-up alone (1 case) CPU {min(c for _, c in starts[label]):.2f} s, "
                f"wall {min(w for w, _ in starts[label]):.2f} s"
            )
        print("  (all ways wrote identical output files)")
        ours = [c for _, c in results["lapor screen (whole CLI, as installed)"]]
        naive = [c for _, c in results["naive: lapor screen, plain path of before #23"]]
        ratio = statistics.median(naive) / statistics.median(ours)
        print(f"  lapor screen CPU, naive / ours: {ratio:.2f}x")

        help_runs: dict[str, list[tuple[float, float]]] = {"ours (plain list)": [], "Rich": []}
        for _ in range(max(runs, 3)):
            help_runs["ours (plain list)"].append(
                _run([python, "-m", "publisher.cli.main", "--help"])
            )
            help_runs["Rich"].append(_run([python, "-c", _RICH_HELP]))
        for label, values in help_runs.items():
            cpus = [c for _, c in values]
            print(
                f"lapor --help, {label}: CPU {min(cpus):.3f}-{max(cpus):.3f} s, "
                f"wall best {min(w for w, _ in values):.3f} s"
            )


def _timed(function: Callable[[], T]) -> tuple[T, float, float]:
    """(result, CPU seconds, wall seconds)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = function()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def _in_process(cases: list[dict[str, str]], quick: bool) -> None:
    from tests.classifier_reference import ReferenceModel
    from tests.classifier_reference import normalize as plain_normalize

    texts = [screening_text(c["complaint"], c["follow_up"]) for c in cases]
    started = time.perf_counter()
    model = load_model()
    print(f"model load in-process: {time.perf_counter() - started:.3f} s")
    plain = ReferenceModel(model.params, model.metadata)
    config = model.normalizer

    rows = []
    plain_norm, cpu_a, wall_a = _timed(lambda: [plain_normalize(t, config) for t in texts])
    ours_norm, cpu_b, wall_b = _timed(lambda: [normalize(t, config) for t in texts])
    assert plain_norm == ours_norm
    rows.append(("normalise", cpu_a, cpu_b, wall_a, wall_b))
    plain_m, cpu_a, wall_a = _timed(lambda: plain.features.transform(plain_norm))
    ours_m, cpu_b, wall_b = _timed(lambda: load_model().features.transform(ours_norm))
    assert (plain_m != ours_m).nnz == 0
    rows.append(("features (cold caches)", cpu_a, cpu_b, wall_a, wall_b))
    batch = 2048  # as the command scores
    fresh_plain = ReferenceModel(model.params, model.metadata)
    fresh_ours = load_model()
    plain_s, cpu_a, wall_a = _timed(
        lambda: [
            s for k in range(0, len(texts), batch) for s in fresh_plain.score(texts[k : k + batch])
        ]
    )
    ours_s, cpu_b, wall_b = _timed(
        lambda: [
            s for k in range(0, len(texts), batch) for s in fresh_ours.score(texts[k : k + batch])
        ]
    )
    assert plain_s == ours_s
    rows.append(("score with reasons (fresh model)", cpu_a, cpu_b, wall_a, wall_b))
    print(f"in-process, {len(texts)} cases, plain path of before #23 vs ours (identical results):")
    for name, a, b, wa, wb in rows:
        print(f"  {name}: CPU {a:.2f} s -> {b:.2f} s ({a / b:.1f}x); wall {wa:.2f} s -> {wb:.2f} s")
    if not quick:
        _, cpu_a, wall_a = _timed(lambda: naive_matrix(ours_norm))
        print(
            f"  features, scikit-learn's analyzers (naive): CPU {cpu_a:.2f} s, wall {wall_a:.2f} s"
        )

    timings = []
    for text in texts[:500]:
        started = time.perf_counter()
        fresh_ours.score([text])
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(
        f"single case after load: median {statistics.median(timings):.2f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.2f} ms, min {timings[0]:.2f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.screen")
    parser.add_argument("--quick", action="store_true", help="2,000 cases, one run each")
    args = parser.parse_args(argv)
    count = 2_000 if args.quick else CASES
    cases = make_cases(count)
    print(
        f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        f"(python {sys.version.split()[0]}, numpy {np.__version__})"
    )
    _fresh_processes(cases, runs=1 if args.quick else 3)
    print(f"load average after the fresh-process runs: {os.getloadavg()[0]:.1f}")
    _in_process(cases, args.quick)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
