"""The application's one HTTP client, with the deadline of :mod:`publisher.core.deadline`.

Inside a deadline scope (the outbox opens one around each publish, tied to the delivery's
lease) a request is not started once the deadline has passed, and its body stops being sent
between two chunks when the deadline passes mid-upload: the connection is then closed with
the body incomplete, which every HTTP server treats as a request that never arrived. Each
connect and write also waits no longer than the time left. Reading the answer is not bounded
by it: once the whole request is sent the platform decides, and waiting for its answer is
what lets the outcome be known rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from publisher.core.deadline import remaining


class _DeadlineBody(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, request: httpx.Request) -> None:
        self._inner, self._request = inner, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            left = remaining()
            if left is not None and left <= 0:
                raise httpx.WriteTimeout(
                    "deadline passed while sending the body", request=self._request
                )
            yield chunk

    def close(self) -> None:
        self._inner.close()


class DeadlineTransport(httpx.BaseTransport):
    """Wraps the real transport; outside a deadline scope it changes nothing."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        left = remaining()
        if left is None:
            return self._inner.handle_request(request)
        if left <= 0:
            # Nothing of the request has left: safe to call it a pool timeout (never sent).
            raise httpx.PoolTimeout("deadline passed before the request was sent", request=request)
        timeout = dict(request.extensions.get("timeout") or {})
        for key in ("connect", "write", "pool"):
            current = timeout.get(key)
            timeout[key] = left if current is None else min(float(current), left)
        request.extensions["timeout"] = timeout
        if isinstance(request.stream, httpx.SyncByteStream):
            request.stream = _DeadlineBody(request.stream, request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def make_client(timeout_s: float, user_agent: str = "lapor-publisher/0.1") -> httpx.Client:
    """The client every part uses through ``AppContext.http``."""
    return httpx.Client(
        timeout=timeout_s,
        headers={"User-Agent": user_agent},
        follow_redirects=False,
        transport=DeadlineTransport(httpx.HTTPTransport()),
    )
