"""Monitoring jobs: the daily ``digest`` per agency, sent to ``LAPOR_DIGEST_RECIPIENTS``."""

from __future__ import annotations

import dataclasses
from typing import Any

from publisher.core.clock import utcnow
from publisher.core.context import AppContext
from publisher.monitoring.digest import build_digests, send_digests
from publisher.monitoring.workdays import load_calendar


def digest(ctx: AppContext) -> dict[str, Any]:
    calendar = load_calendar(ctx.settings.tz, ctx.settings.holiday_files)
    with ctx.readonly_sessions() as session:
        digests = build_digests(
            session,
            calendar,
            utcnow(),
            overdue_after_wd=ctx.settings.overdue_working_days,
            agency_codes=sorted(ctx.settings.digest_recipients) or None,
        )
    return dataclasses.asdict(send_digests(ctx, digests))
