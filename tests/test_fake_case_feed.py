"""The fake case feed pages as docs/case-feed.md says (records by ``updated_at``, a page token
to go on, ``updated_since`` to start after a time), from its index rather than a sort per page.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from publisher.fakes.case_feed import FakeCaseFeed


def walk(client: TestClient, updated_since: str, limit: int) -> list[Any]:
    seen: list[Any] = []
    token = ""
    while True:
        body = client.get(
            "/cases", params={"updated_since": updated_since, "page_token": token, "limit": limit}
        ).json()
        seen.extend(body["records"])
        token = body["next_page_token"]
        if token is None:
            return seen


def test_pages_follow_updated_at_with_ties_in_the_order_added_and_broken_records_first() -> None:
    fake = FakeCaseFeed()
    stamps = ["2026-03-02", "2026-03-01", "2026-03-02", "2026-03-03", "2026-03-01"]
    fake.add(*({"id": f"R{i}", "updated_at": s} for i, s in enumerate(stamps)))
    fake.add("not a record", {"id": "no-stamp"})
    client = TestClient(fake.app())
    expected = sorted(
        fake.records,
        key=lambda r: r["updated_at"] if isinstance(r, dict) and "updated_at" in r else "0",
    )
    for limit in (1, 2, 3, 500):
        assert walk(client, "", limit) == expected
    assert [r["id"] for r in walk(client, "2026-03-01", 2)] == ["R0", "R2", "R3"]
    # Records added after a walk are served by the next one, in their place.
    fake.add({"id": "R9", "updated_at": "2026-03-02"})
    assert [r["id"] for r in walk(client, "2026-03-01", 2)] == ["R0", "R2", "R9", "R3"]
