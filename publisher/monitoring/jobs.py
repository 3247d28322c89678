"""Monitoring jobs: the daily ``digest`` per agency, sent to ``LAPOR_DIGEST_RECIPIENTS``, and
the regent's regency-wide summary to its ``kabupaten`` chats."""

from __future__ import annotations

import dataclasses
from typing import Any

from publisher.monitoring.digest import (
    REGENCY,
    regency_report,
    send_digests,
    send_regency_summary,
    todays_digests,
)
from publisher.runtime.context import AppContext


def digest(ctx: AppContext) -> dict[str, Any]:
    agencies = sorted(set(ctx.settings.digest_recipients) - {REGENCY})
    counts = dataclasses.asdict(send_digests(ctx, todays_digests(ctx, agencies or None)))
    if REGENCY in ctx.settings.digest_recipients:
        regency = send_regency_summary(ctx, regency_report(ctx))
        counts["regency_sent"], counts["regency_failed"] = regency.sent, regency.failed
    return counts
