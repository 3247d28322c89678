"""Monitoring jobs: the daily ``digest`` per agency, sent to ``LAPOR_DIGEST_RECIPIENTS``."""

from __future__ import annotations

import dataclasses
from typing import Any

from publisher.monitoring.digest import send_digests, todays_digests
from publisher.runtime.context import AppContext


def digest(ctx: AppContext) -> dict[str, Any]:
    digests = todays_digests(ctx, sorted(ctx.settings.digest_recipients) or None)
    return dataclasses.asdict(send_digests(ctx, digests))
