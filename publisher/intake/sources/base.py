"""The one small interface every case source implements, and the record contract.

A source yields *raw* dicts (as received) in batches with the cursor to store after the batch;
validation and storage happen in :mod:`publisher.intake.records`, so a bad record is quarantined the
same way whatever it came from. Sources whose native shape differs (Open311, SP4N-LAPOR!, CSV)
translate each record into the :class:`CaseRecord` shape first; what they cannot translate
travels in :attr:`Batch.rejects`.

:class:`CaseRecord` is the contract of docs/case-feed.md; :func:`case_record_schema` is its JSON
Schema, published as docs/case-feed.schema.json (a test keeps the two identical).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from publisher.core.errors import SourceError


@dataclass(frozen=True)
class Reject:
    """A native record a source could not even translate into a :class:`CaseRecord`: it is
    quarantined with ``reason`` (field names, never values) like any invalid record."""

    raw: object
    reason: str
    external_id: str | None = None


@dataclass
class Batch:
    records: list[Any]
    cursor: str  # opaque; stored after the batch is committed
    errors: list[str] = field(default_factory=list)  # batch-level problems (not per record)
    rejects: list[Reject] = field(default_factory=list)


class CaseSource(Protocol):
    name: str

    def fetch(self, cursor: str) -> Iterator[Batch]:
        """Yield batches of raw records changed since ``cursor``, oldest first."""
        ...


class ReporterIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    nik: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    notify_opt_out: bool = False


class StatusEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["received", "in_progress", "resolved", "closed"]
    at: datetime

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("timestamp must carry a UTC offset")
        return value


class MediaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, pattern=r"^https?://")
    taken_by: Literal["pic", "reporter"] = "pic"
    phase: Literal["before", "after", ""] = ""


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=120)
    text: str = Field(min_length=3, max_length=5000)
    submitted_at: datetime
    media: list[MediaIn] = Field(default_factory=list, max_length=10)


class CaseRecord(BaseModel):
    """One case as the feed contract describes it (docs/case-feed.md)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=120)
    tracking_number: str = Field(min_length=3, max_length=60)
    agency: str = Field(min_length=2, max_length=40)
    category: str = Field(min_length=2, max_length=80)
    kecamatan: str = Field(min_length=2, max_length=80)
    desa: str = Field(default="", max_length=80)
    complaint: str = Field(min_length=3, max_length=10000)
    privacy: Literal["normal", "anonim", "rahasia"] = "normal"
    reporter: ReporterIn = Field(default_factory=ReporterIn)
    status: Literal["received", "in_progress", "resolved", "closed"]
    history: list[StatusEvent] = Field(default_factory=list)
    follow_up: FollowUpIn | None = None
    updated_at: datetime


SCHEMA_ID = "https://lapor.tegalkab.go.id/schemas/case-feed/v1/case-record.json"


def case_record_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of one :class:`CaseRecord`, as published in docs/."""
    schema = CaseRecord.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def get_json_object(
    client: httpx.Client,
    url: str,
    *,
    params: dict[str, str | int],
    token: str | None,
    source: str,
    what: str,
) -> dict[str, Any]:
    """GET one page of a polled source; any failure is a :class:`SourceError` naming the source
    and what was being read (never the response body, which may hold personal data)."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = client.get(url, params=params, headers=headers)
    except httpx.HTTPError as exc:
        raise SourceError(f"{source}: {type(exc).__name__} reading {what}") from None
    if response.status_code != 200:
        raise SourceError(f"{source}: {what} answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise SourceError(f"{source}: {what} page is not valid JSON") from None
    if not isinstance(body, dict):
        raise SourceError(f"{source}: {what} page is not a JSON object")
    return body
