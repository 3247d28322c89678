"""The ``notify`` job: private WhatsApp template messages to reporters (publisher.public.notify)."""

from __future__ import annotations

import dataclasses
from typing import Any

from publisher.public import notify as reporter_notify
from publisher.runtime.context import AppContext


def notify(ctx: AppContext) -> dict[str, Any]:
    """Queue newly decided cases and send what is due; nothing when switched off."""
    return dataclasses.asdict(reporter_notify.run(ctx))
