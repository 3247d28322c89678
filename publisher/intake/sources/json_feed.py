"""The case feed that the Lapor Bupati Tegal app (or any complaint system) exposes for polling.

Contract (docs/case-feed.md): ``GET {base}/cases?updated_since=ISO&page_token=T&limit=N``
answers ``{"records": [...], "next_page_token": "..." | null}``, oldest first. We follow
``next_page_token`` to the end and then store the largest ``updated_at`` seen as the cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from publisher.core.errors import SourceError
from publisher.intake.sources.base import Batch, get_json_object

PAGE_LIMIT = 200
MAX_PAGES_PER_RUN = 500


class JsonFeedSource:
    def __init__(
        self, name: str, base_url: str, client: httpx.Client, token: str | None = None
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.token = token

    def fetch(self, cursor: str) -> Iterator[Batch]:
        page_token: str | None = None
        newest = cursor
        for _ in range(MAX_PAGES_PER_RUN):
            params: dict[str, str | int] = {"limit": PAGE_LIMIT}
            if cursor:
                params["updated_since"] = cursor
            if page_token:
                params["page_token"] = page_token
            body = self._get(params)
            records = body.get("records")
            if not isinstance(records, list):
                raise SourceError(f"{self.name}: page has no 'records' list")
            for raw in records:
                stamp = raw.get("updated_at") if isinstance(raw, dict) else None
                # ISO-8601 UTC strings of one shape compare correctly as text.
                if isinstance(stamp, str) and stamp > newest:
                    newest = stamp
            yield Batch(records=records, cursor=newest)
            next_token = body.get("next_page_token")
            if not next_token:
                return
            if not isinstance(next_token, str):
                raise SourceError(f"{self.name}: next_page_token is not a string")
            page_token = next_token
        raise SourceError(f"{self.name}: more than {MAX_PAGES_PER_RUN} pages in one run")

    def _get(self, params: dict[str, str | int]) -> dict[str, Any]:
        return get_json_object(
            self.client,
            f"{self.base_url}/cases",
            params=params,
            token=self.token,
            source=self.name,
            what="the feed",
        )
