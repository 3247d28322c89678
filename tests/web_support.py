"""Helpers for the web tests: users with passwords, signed-in clients, waiting cases."""

from __future__ import annotations

import re
import socket
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from publisher.app.factory import create_app
from publisher.db.models import Agency, Case, User
from publisher.intake.records import ingest
from publisher.runtime.context import AppContext
from publisher.web.auth import hash_password, use_hash_profile
from tests.factories import feed_record

PASSWORD = "kata-sandi-uji-123"
# argon2id at full cost takes ~0.5 s per hash on a busy CI core; the suites use the cheap profile.
use_hash_profile("test")


def make_user(ctx: AppContext, username: str, role: str, agency: str | None = None) -> int:
    with ctx.sessions() as session, session.begin():
        agency_id = None
        if agency:
            agency_id = session.scalar(select(Agency.id).where(Agency.code == agency))
        user = User(
            username=username, role=role, agency_id=agency_id, password_hash=hash_password(PASSWORD)
        )
        session.add(user)
        session.flush()
        return user.id


def client(ctx: AppContext) -> TestClient:
    return TestClient(create_app(ctx), follow_redirects=False)


def login_csrf(web: TestClient) -> str:
    page = web.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def sign_in(web: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    response = web.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": login_csrf(web)},
    )
    assert response.status_code == 303, response.text
    me = web.get("/api/v1/me")
    assert me.status_code == 200
    token = me.json()["csrf_token"]
    assert isinstance(token, str)
    return token


def waiting_case(ctx: AppContext, n: int, agency: str = "dpupr", **overrides: Any) -> int:
    """A resolved case with no follow-up yet (what a PIC is asked to answer)."""
    with ctx.sessions() as session, session.begin():
        ingest(
            session, ctx.vault, "app", [feed_record(n, agency=agency, follow_up=None, **overrides)]
        )
        case_id = session.scalar(select(Case.id).where(Case.external_id == f"T-{n}"))
        assert case_id is not None
        return case_id


def free_port() -> int:
    """A port on the loopback that nothing listens on now (for a server in a subprocess)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
