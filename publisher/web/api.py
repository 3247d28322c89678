"""What every JSON API router under ``/api/v1/`` shares: the prefix, the tag, the documented
error answers (``{"detail": "..."}`` with an Indonesian message) and the id bounds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel

MAX_ID = 2**31 - 1
# Ids in paths: bounded, so a huge number is a 422 rather than a database error.
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class ErrorOut(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in (
        (400, "Malformed input"),
        (401, "Not signed in"),
        (403, "Role not allowed, or CSRF token missing"),
        (404, "Absent, or outside the user's agency"),
        (409, "Not allowed in the current state"),
    )
}


def json_api_router() -> APIRouter:
    """A router for one part's JSON API routes (the app includes each part's)."""
    return APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)
