"""Working-day counts for the dashboard: numpy's vectorised busday_count vs a day-by-day loop.

Run: ``python -m bench.workdays``. 20,000 cases open 0-400 days, bundled 2025-2026 holidays.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from publisher.monitoring.workdays import load_calendar


def main(n: int = 20_000) -> None:
    cal = load_calendar(ZoneInfo("Asia/Jakarta"))
    rng = random.Random(1)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    starts = [base + timedelta(hours=rng.randint(0, 24 * 300)) for _ in range(n)]
    ends = [s + timedelta(hours=rng.randint(0, 24 * 400)) for s in starts]
    t0 = time.perf_counter()
    fast = cal.working_days_many(starts, ends)
    t1 = time.perf_counter()
    slow = [cal.naive_working_days(s, e) for s, e in zip(starts, ends, strict=True)]
    t2 = time.perf_counter()
    assert fast == slow
    print(
        f"{n} pairs: vectorised {1000 * (t1 - t0):.1f} ms, day-by-day {1000 * (t2 - t1):.1f} ms,"
        f" speed-up x{(t2 - t1) / (t1 - t0):.1f}"
    )


if __name__ == "__main__":
    main()
