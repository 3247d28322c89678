"""Fault injection shared by the fake platform servers.

A :class:`FaultPlan` hands out faults to requests: queued ones first (``fail_next``, optionally
only for one operation such as ``"publish"``), then random ones at configured rates (the chaos
test). Fault kinds every fake understands::

    status                 answer with ``status`` / ``description`` instead of acting
    server_error           a 5xx before anything is stored
    server_error_after     the post is stored, then a 5xx (the platform's own failure mode)
    rate_limit             429 (or the platform's equivalent) with its own rate-limit signals
    expired_token          the platform's expired-token error (Meta 190 with HTTP 400, ...)
    duplicate              the platform's duplicate-content refusal
    drop_after_accept      the post is stored, then the TCP connection is cut without a byte
                           of answer (a real dropped connection, see :func:`droppable`)

and per fake: ``slow_container`` / ``unfetchable_media`` (Instagram).

:func:`droppable` wraps an ASGI app so a handler can ask for its connection to be aborted: the
wrapper swallows the response and calls ``transport.abort()`` on uvicorn's connection, so the
client sees the server close the socket (``httpx.RemoteProtocolError``), not an HTTP 500.
"""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL = "lapor.fake.control"


@dataclass
class Fault:
    kind: str
    status: int = 500
    description: str = "Internal Server Error"
    retry_after: int = 0
    op: str = ""  # only requests of this operation ("" = any)
    code: int = 0  # the platform's own error code for ``status`` faults (Meta: 368, 200, ...)
    subcode: int = 0
    polls: int = 3  # ``slow_container``: extra IN_PROGRESS answers


@dataclass
class FaultPlan:
    queue: list[Fault] = field(default_factory=list)
    # kind -> probability per request, for operations listed in ``chaos_ops`` (all if empty)
    chaos: dict[str, float] = field(default_factory=dict)
    chaos_ops: frozenset[str] = frozenset()
    retry_after: int = 1
    seed: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    _rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)

    def fail_next(self, fault: Fault) -> None:
        with self._lock:
            self.queue.append(fault)

    def next(self, op: str, allowed: frozenset[str]) -> Fault | None:
        """The fault for this request, if any; ``allowed`` are the kinds ``op`` supports."""
        with self._lock:
            for index, fault in enumerate(self.queue):
                if fault.op in ("", op):
                    del self.queue[index]
                    return self._count(fault)
            if self.chaos and (not self.chaos_ops or op in self.chaos_ops):
                roll = self._rng.random()
                for kind, rate in self.chaos.items():
                    if roll < rate and kind in allowed:
                        return self._count(Fault(kind, retry_after=self.retry_after))
                    roll -= rate
        return None

    def _count(self, fault: Fault) -> Fault:
        self.injected[fault.kind] = self.injected.get(fault.kind, 0) + 1
        return fault


def drop_connection(request: Request) -> None:
    """Ask :func:`droppable` to cut this request's connection instead of answering."""
    control = request.scope.get(CONTROL)
    if isinstance(control, dict):
        control["drop"] = True


def droppable(app: ASGIApp) -> ASGIApp:
    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        control: dict[str, Any] = {"drop": False}
        scope[CONTROL] = control

        async def guarded_send(message: Message) -> None:
            if control["drop"]:
                if not control.get("aborted"):
                    control["aborted"] = True
                    # uvicorn's send is a bound method of its per-request cycle, which holds
                    # the asyncio transport of the connection.
                    owner = getattr(send, "__self__", None)
                    transport = getattr(owner, "transport", None)
                    if transport is None:
                        raise ConnectionAbortedError("fault: drop after accept")
                    transport.abort()
                    await asyncio.sleep(0)
                return
            await send(message)

        await app(scope, receive, guarded_send)

    return wrapper
