"""`make bench`: run every benchmark module in bench/ (or the ones named), one after another.

Each benchmark prints its own figures and compares against the naive way in the same run; the
latest numbers are copied into docs/performance.md by hand, with the date and machine.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    names = argv or sorted(
        m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_")
    )
    failed = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        entry = getattr(module, "main", None)
        if entry is None:
            print(f"bench.{name}: no main(); skipped")
            continue
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.perf_counter()
        try:
            entry([])
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed += 1
            print(f"bench.{name} failed: {type(exc).__name__}: {exc}")
        print(f"(bench.{name} took {time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
