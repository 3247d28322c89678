"""The one small interface every platform adapter implements.

``publish`` either returns where the post lives or raises a
:class:`publisher.errors.PlatformError` subclass that says what to do next (retry, wait,
reconnect, give up, reconcile). ``find_by_marker`` lets the reconciler settle an ``unknown``
delivery without re-sending; adapters whose API cannot search return ``None`` and a person
decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from publisher.errors import RetryableError, UnknownOutcome


@dataclass(frozen=True)
class MediaFile:
    path: Path
    kind: str  # photo / video
    mime: str


@dataclass(frozen=True)
class PublishRequest:
    delivery_id: int
    marker: str  # unique per delivery; lets a reconciler find the post
    caption: str
    media: tuple[MediaFile, ...]


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

    def find_by_marker(self, marker: str) -> PublishResult | None: ...


def transport_error(exc: httpx.HTTPError, platform: str) -> Exception:
    """Classify a transport failure by whether the request can have reached the platform.

    Only a failure to connect proves the request never left; anything after the connection
    was made (read timeout, dropped connection) may have been acted on, so it is unknown.
    """
    never_sent = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
    if isinstance(exc, never_sent):
        return RetryableError(f"{platform}: could not connect ({type(exc).__name__})")
    return UnknownOutcome(f"{platform}: connection lost after sending ({type(exc).__name__})")
