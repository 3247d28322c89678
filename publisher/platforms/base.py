"""The one small interface every platform adapter implements.

``publish`` either returns where the post lives or raises a
:class:`publisher.core.errors.PlatformError` subclass that says what to do next (retry, wait,
reconnect, give up, reconcile). ``find_by_marker`` lets the reconciler settle an ``unknown``
delivery without re-sending; ``searchable`` says whether its ``None`` proves absence (else a
person decides). ``takedown`` deletes a published post where the platform allows it.
``check`` is the dry call behind ``lapor accounts test``: it proves the credentials work
without posting anything.

Every adapter calls ``request.checkpoint`` right *before* the step that makes the post visible
(after any slow uploads). The outbox commits the state it is given (a multi-step publish, such
as Instagram's container then ``media_publish``, saves its progress there, so a later attempt or
the reconciler resumes from ``request.state`` instead of starting over), and raises
:class:`publisher.core.errors.LeaseLost` instead when the delivery's lease is lost: the adapter
lets it pass and nothing is made visible.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from publisher.core.errors import RetryableError, UnknownOutcome


@dataclass(frozen=True)
class MediaFile:
    path: Path
    kind: str  # photo / video
    mime: str
    url: str = ""  # signed, expiring public URL (platforms that fetch media themselves)


def _no_checkpoint(_state: dict[str, str]) -> None:
    return None


@dataclass(frozen=True)
class PublishRequest:
    delivery_id: int
    marker: str  # unique per delivery; lets a reconciler find the post
    caption: str
    media: tuple[MediaFile, ...]
    state: Mapping[str, str] = field(default_factory=dict)
    checkpoint: Callable[[dict[str, str]], None] = _no_checkpoint


@dataclass(frozen=True)
class PublishResult:
    remote_id: str
    url: str


class Platform(Protocol):
    name: str
    # True when ``find_by_marker`` returning None proves the post does not exist, so an
    # unknown delivery may safely go back to the queue; False means a person must decide.
    searchable: bool

    def publish(self, request: PublishRequest) -> PublishResult: ...

    def find_by_marker(
        self, marker: str, state: Mapping[str, str] | None = None
    ) -> PublishResult | None: ...

    def takedown(self, remote_id: str) -> bool:
        """Delete a published post; False when the platform's API cannot delete it."""
        ...

    def check(self) -> str:
        """A harmless authenticated call; returns what the account is (a name or id)."""
        ...


# Later posts of one case on one account: "LPR-2025-00001", then "...-b", "...-c".
MARKER_SUFFIXES = "bcdefghijklmnopqrstuvwxyz"
# A marker stands alone: not inside a longer number (LPR-1 in LPR-12) nor a link (.../LPR-1).
_EDGE_BEFORE, _EDGE_AFTER = r"(?<![\w/-])", r"(?![\w/-])"


def case_marker(tracking_number: str, nth: int = 1) -> str:
    """The marker of the ``nth`` post of a case on one account: its public report number,
    with a one-letter suffix from the second post on (the number alone would find the first)."""
    if nth <= 1:
        return tracking_number
    return f"{tracking_number}-{MARKER_SUFFIXES[min(nth - 2, len(MARKER_SUFFIXES) - 1)]}"


def marker_index(marker: str, tracking_number: str) -> int:
    """Which post of its case a marker names (1 for the bare number; 1 for other markers)."""
    if marker.startswith(f"{tracking_number}-") and len(marker) == len(tracking_number) + 2:
        return MARKER_SUFFIXES.find(marker[-1]) + 2  # -1 + 2: not a suffix of ours
    return 1


def has_marker(text: str, marker: str) -> bool:
    """Whether ``text`` shows ``marker`` as a whole (the reconcilers' test)."""
    return (
        bool(marker) and re.search(_EDGE_BEFORE + re.escape(marker) + _EDGE_AFTER, text) is not None
    )


def with_marker(caption: str, marker: str) -> str:
    """The caption carrying the delivery's marker where people read it: the report number the
    caption already shows ("No. laporan: LPR-..."), suffixed for a later post of the case.

    A caption without the number gets a "No. laporan:" line; a delivery approved before the
    ruling (marker ``LBT-<post>-<hex>``) keeps its old "Ref." line so it can still be found."""
    if not marker or has_marker(caption, marker):
        return caption
    if marker.startswith("LBT-"):
        return f"{caption}\n\nRef. {marker}"
    base = marker[:-2] if len(marker) > 2 and marker[-2] == "-" else ""
    pattern = re.compile(_EDGE_BEFORE + re.escape(base) + _EDGE_AFTER) if base else None
    if pattern is not None and pattern.search(caption):
        return pattern.sub(lambda _m: marker, caption, count=1)
    return f"{caption}\n\nNo. laporan: {marker}"


def transport_error(exc: httpx.HTTPError, platform: str, *, effectful: bool = True) -> Exception:
    """Classify a transport failure by whether the request can have reached the platform.

    Only a failure to connect proves the request never left; anything after the connection
    was made (read timeout, dropped connection) may have been acted on, so it is unknown for a
    call that publishes. Steps without a visible effect (uploads of unpublished media, reads)
    are safe to repeat, so for them any transport failure is retryable.
    """
    never_sent = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
    if isinstance(exc, never_sent) or not effectful:
        return RetryableError(f"{platform}: transport failure ({type(exc).__name__})")
    return UnknownOutcome(f"{platform}: connection lost after sending ({type(exc).__name__})")
