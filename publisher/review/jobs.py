"""The review part's job: ``review_notice``, reviewers told of new posts in the queue
(:func:`publisher.review.notice.send_review_notice`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from publisher.review.notice import send_review_notice
from publisher.runtime.context import AppContext


def review_notice(ctx: AppContext) -> dict[str, Any]:
    return dataclasses.asdict(send_review_notice(ctx))
