"""A total deadline for the outbound calls made inside a scope.

httpx bounds each network operation (connect, one read, one write), never a whole request: a
body that trickles out over a slow uplink, one write at a time, can take as long as it likes.
For a call that makes a post visible that is not good enough. The delivery's lease says how
long this worker may still act on it; once the lease has run out the reconciler may hand the
delivery to another worker, so a request of ours still being sent then could land second.
The outbox therefore opens a deadline scope around each publish, tied to its lease, and the
application's HTTP transport (:mod:`publisher.runtime.http`) stops sending a request, between
two chunks of its body or before it starts, once the scope's deadline has passed.

The deadline is a callable, not a fixed instant, because the lease keeper moves it forward
each time it renews the lease and pulls it in at once when the lease is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Returns the monotonic instant after which nothing more may be sent.
Deadline = Callable[[], float]

_current: ContextVar[Deadline | None] = ContextVar("lapor_deadline", default=None)


@contextmanager
def deadline_scope(deadline: Deadline) -> Iterator[None]:
    """Every outbound request made inside this block (in this thread) obeys ``deadline``."""
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)


def remaining() -> float | None:
    """Seconds left before the current scope's deadline (<= 0 once passed); None outside one."""
    deadline = _current.get()
    if deadline is None:
        return None
    return deadline() - time.monotonic()
