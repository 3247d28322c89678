"""A fake of the complaint app's case feed (docs/case-feed.md) that also serves media files.

``GET /cases?updated_since=&page_token=&limit=`` pages through the records (sorted by
``updated_at``); ``GET /media/{name}`` serves bytes. Tests add raw records, including broken
ones, with :meth:`FakeCaseFeed.add`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse

from publisher.fakes.server import serve_files


@dataclass
class FakeCaseFeed:
    records: list[Any] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    token: str | None = None
    pages_served: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, *records: Any) -> None:
        with self._lock:
            self.records.extend(records)

    def add_media(self, name: str, data: bytes, content_type: str = "image/jpeg") -> None:
        self.media[name] = (data, content_type)

    def app(self) -> FastAPI:
        api = FastAPI(title="fake case feed")

        @api.get("/cases")
        def cases(
            updated_since: str = "",
            page_token: str = "",
            limit: int = Query(default=100, ge=1, le=500),
        ) -> JSONResponse:
            with self._lock:
                self.pages_served += 1
                rows = sorted(
                    (r for r in self.records if _stamp(r) > updated_since),
                    key=_stamp,
                )
            start = int(page_token) if page_token.isdigit() else 0
            page = rows[start : start + limit]
            next_token = str(start + limit) if start + limit < len(rows) else None
            return JSONResponse({"records": page, "next_page_token": next_token})

        serve_files(api, "/media", self.media)

        return api


def _stamp(record: Any) -> str:
    # Broken records without a usable updated_at still get served (once, at the start).
    if isinstance(record, dict) and isinstance(record.get("updated_at"), str):
        return str(record["updated_at"])
    return "0"
