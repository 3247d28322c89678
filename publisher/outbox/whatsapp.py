"""The WhatsApp Cloud API's ``/messages`` call, the one place that says what a failed send means.

Used through the one send path (:mod:`publisher.outbox.sending`) by our answers to PICs
(:mod:`publisher.intake.sources.whatsapp`) and the reporter notifications
(:mod:`publisher.public.notify`).

Errors: :func:`post_message` raises :class:`~publisher.core.errors.RetryableError`,
:class:`~publisher.core.errors.PermanentError` or :class:`~publisher.core.errors.UnknownOutcome`.
"""

from __future__ import annotations

from typing import Any

import httpx

from publisher.core.errors import PermanentError, PlatformError, RetryableError, UnknownOutcome
from publisher.outbox import sending

# Graph error codes (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
# whose meaning is "the message was not sent; the same request may succeed later".
RETRY_CODES: dict[int, str] = {
    0: "auth exception (token)",
    4: "too many API calls",
    190: "access token expired",
    368: "temporarily blocked for policy violations",
    80007: "WABA rate limit",
    130429: "throughput rate limit hit",
    131048: "spam rate limit hit",
    131056: "pair rate limit hit",
    131057: "account in maintenance mode",
}
# Codes meaning "rejected: it will never be sent as is" (a person has to look).
FAILED_CODES: dict[int, str] = {
    100: "invalid parameter",
    131008: "required parameter missing",
    131009: "parameter value not valid",
    131021: "recipient cannot be sender",
    131026: "message undeliverable",
    131030: "recipient not in allowed list",
    131031: "account locked",
    131051: "unsupported message type",
    132000: "template parameter count mismatch",
    132001: "template does not exist",
    132005: "template hydrated text too long",
    132007: "template format character policy violated",
    132012: "template parameter format mismatch",
    132015: "template paused",
    132016: "template disabled",
    133010: "phone number not registered",
}
# "Something went wrong" / "service unavailable": the message may have been accepted.
MAYBE_SENT_CODES = frozenset({1, 2, 131000, 131016})


def graph_error(response: httpx.Response) -> PlatformError:
    """What a failed ``/messages`` answer means for the message (its message is for logs)."""
    code: int | None = None
    try:
        error = response.json().get("error", {})
        code = int(error["code"]) if isinstance(error, dict) else None
    except (KeyError, ValueError, TypeError, AttributeError):
        code = None
    status = response.status_code
    label = f"HTTP {status} code {code}"
    # Rate limits and token codes too are "retry": each try counts, as it always did here.
    if code in RETRY_CODES or status == 429:
        return RetryableError(f"{label}: {RETRY_CODES.get(code or -1, 'rate limited')}")
    if status >= 500 or code in MAYBE_SENT_CODES:
        return UnknownOutcome(f"{label}: server error")
    return PermanentError(f"{label}: {FAILED_CODES.get(code or -1, 'rejected')}")


def post_message(
    client: httpx.Client, url: str, headers: dict[str, str], payload: dict[str, Any]
) -> str:
    """``POST /{phone-number-id}/messages``; returns the ``wamid``. Raises
    :class:`PlatformError`.

    The one place that says what a failed send means, for our answers to PICs and for the
    reporter notifications (:mod:`publisher.public.notify`)."""
    response = sending.post(client, url, json=payload, headers=headers)
    if response.status_code != 200:
        raise graph_error(response)
    try:
        return str(response.json()["messages"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise UnknownOutcome("HTTP 200 without a message id") from None
