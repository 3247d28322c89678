"""Outbox jobs: ``publish`` (deliver what is due) and ``reconcile`` (settle what was left
unknown), passes of :mod:`publisher.outbox.deliveries`; ``alert`` (tell the admins what needs
them, :mod:`publisher.outbox.alerts`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from publisher.outbox import alerts
from publisher.outbox import deliveries as outbox
from publisher.runtime.context import AppContext


def publish(ctx: AppContext) -> dict[str, Any]:
    return dataclasses.asdict(outbox.publish_due(ctx))


def reconcile(ctx: AppContext) -> dict[str, Any]:
    return dataclasses.asdict(outbox.reconcile(ctx))


def alert(ctx: AppContext) -> dict[str, Any]:
    return dataclasses.asdict(alerts.run(ctx))
