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


def hoist_defs(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with every embedded JSON Schema's ``$defs`` moved to
    ``components/schemas`` and its ``#/$defs/...`` references rewritten to point there.

    An embedded schema with its own ``$id`` is valid JSON Schema 2020-12 (its references resolve
    inside it), but ReDoc resolves every ``$ref`` against the whole document and drew nothing of
    the push endpoint's body. Components are what every OpenAPI tool follows. A name already
    taken by a different component gets the embedded schema's title as a prefix."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("$defs"), dict):
            node = dict(node)
            defs: dict[str, Any] = node.pop("$defs")
            node.pop("$id", None)  # refs now point at the document, not at this schema
            prefix = str(node.get("title") or "Embedded").replace(" ", "")
            names = {
                name: name if schemas.get(name) in (None, body) else f"{prefix}.{name}"
                for name, body in defs.items()
            }
            renamed = {
                f"#/$defs/{old}": f"#/components/schemas/{new}" for old, new in names.items()
            }
            node = rewrite(node, renamed)
            for old, body in defs.items():
                schemas[names[old]] = walk(rewrite(body, renamed))
        return {key: walk(value) for key, value in node.items()}

    def rewrite(node: Any, renamed: dict[str, str]) -> Any:
        if isinstance(node, list):
            return [rewrite(item, renamed) for item in node]
        if not isinstance(node, dict):
            return node
        return {
            key: renamed.get(value, value)
            if key == "$ref" and isinstance(value, str)
            else rewrite(value, renamed)
            for key, value in node.items()
        }

    document["paths"] = walk(document.get("paths", {}))
    return document
