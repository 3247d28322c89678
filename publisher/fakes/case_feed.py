"""A fake of the complaint app's case feed (docs/case-feed.md) that also serves media files.

``GET /cases?updated_since=&page_token=&limit=`` pages through the records (sorted by
``updated_at``, ties in the order they were added); ``GET /media/{name}`` serves bytes. Tests
add raw records, including broken ones, with :meth:`FakeCaseFeed.add`.

The records are kept sorted (sorted once after each :meth:`~FakeCaseFeed.add`, not for every
page) and a page is found by bisecting for ``updated_since``: a page costs the same at 100,000
records as at 100, so a benchmark of the intake measures the intake, not the fake (issue 23).
"""

from __future__ import annotations

import bisect
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
    # (updated_at stamp, order of adding) per record, sorted, with the records in that order.
    _keys: list[tuple[str, int]] = field(default_factory=list)
    _ordered: list[Any] = field(default_factory=list)
    _indexed: int = 0  # how many of ``records`` are in the index

    def add(self, *records: Any) -> None:
        with self._lock:
            self.records.extend(records)

    def _index(self) -> None:
        # Records appended to ``records`` since the last page (by add() or directly) join the
        # index in one sort, which is linear for a sorted list with a sorted tail appended.
        if self._indexed == len(self.records):
            return
        pairs = sorted(
            [*zip(self._keys, self._ordered, strict=True)]
            + [((_stamp(r), i), r) for i, r in enumerate(self.records) if i >= self._indexed],
            key=lambda pair: pair[0],
        )
        self._keys = [k for k, _r in pairs]
        self._ordered = [r for _k, r in pairs]
        self._indexed = len(self.records)

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
                self._index()
                # The first record after updated_since; the token counts from there.
                first = bisect.bisect_right(self._keys, (updated_since, len(self.records)))
                start = first + (int(page_token) if page_token.isdigit() else 0)
                page = self._ordered[start : start + limit]
                more = start + limit < len(self._ordered)
            next_token = str(start - first + limit) if more else None
            return JSONResponse({"records": page, "next_page_token": next_token})

        serve_files(api, "/media", self.media)

        return api


def _stamp(record: Any) -> str:
    # Broken records without a usable updated_at still get served (once, at the start).
    if isinstance(record, dict) and isinstance(record.get("updated_at"), str):
        return str(record["updated_at"])
    return "0"
