"""The one backoff schedule: how long to wait before the next try of something that failed.

Retries here are rows with a ``next_attempt_at`` in the database, not in-process sleeps, so
only the *computation* is shared: ``base * 2 ** (attempts - 1)``, capped, with an optional
multiplicative jitter so that a burst of failures does not come due in the same second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Backoff:
    base_s: float
    max_s: float
    jitter: float = 0.0  # the delay is scaled by a uniform factor in [1 - jitter, 1 + jitter]

    def delay(self, attempts: int) -> timedelta:
        seconds = min(self.max_s, self.base_s * 2 ** max(0, attempts - 1))
        if self.jitter:
            seconds *= random.uniform(1 - self.jitter, 1 + self.jitter)
        return timedelta(seconds=seconds)

    def after(self, attempts: int, now: datetime) -> datetime:
        """When try number ``attempts + 1`` is due, ``attempts`` having failed by ``now``."""
        return now + self.delay(attempts)
