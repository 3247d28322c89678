"""Connecting accounts by logging in (issue 19): the fakes' authorize and token endpoints as
strict as the documents, the admin pages' OAuth flows for X and Meta, Telegram checked before it
is saved, Meta long-lived Page tokens, and ``lapor doctor`` renewing tokens as the worker does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from publisher.db.models import SocialAccount
from publisher.ops.doctor import Probe, check_platforms
from publisher.runtime.context import AppContext
from tests.flow import add_account
from tests.publishing_env import X_USER, Fakes, credentials, running_fakes


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with running_fakes() as running:
        yield running


def stored(ctx: AppContext, account_id: int) -> dict[str, Any]:
    with ctx.sessions() as session:
        account = session.get(SocialAccount, account_id)
        assert account is not None and account.credentials
        creds = ctx.vault.decrypt_json(account.credentials)
    assert isinstance(creds, dict)
    return creds


def test_doctor_renews_an_x_token_about_to_expire_as_the_worker_does(
    ctx: AppContext, fakes: Fakes
) -> None:
    """The doctor builds adapters like the worker (with sessions), so its dry call renews an
    X token due for renewal and stores the rotated pair instead of reporting a failure."""
    fakes.x.clients["lapor-app"] = ""
    fakes.x.token_lifetime_s = 60
    pair = fakes.x.issue(X_USER)
    fakes.x.token_lifetime_s = 7200
    account_id = add_account(
        ctx,
        "x",
        "dpupr_tegal",
        {
            **credentials("x", fakes),
            "access_token": pair["access_token"],
            "refresh_token": pair["refresh_token"],
            "expires_at": str(int(time.time() + 30)),
            "expires_in": "7200",
            "client_id": "lapor-app",
            "token_url": f"{fakes.urls['x']}/2/oauth2/token",
        },
    )
    result = check_platforms(Probe(settings=ctx.settings, ctx=ctx, schema_ok=True))
    assert result.status == "ok", result.detail
    assert fakes.x.refreshes == 1
    assert stored(ctx, account_id)["refresh_token"] in fakes.x.refresh_tokens
