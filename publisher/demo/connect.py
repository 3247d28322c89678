"""The demo connects its accounts as an admin would: through the admin page's routes.

For each agency the demo admin presses "Sambungkan" (``POST /admin/accounts/oauth/{x,meta}/
start``), the "person" on the fake platform's authorize page presses allow (the same HTML form
a browser shows), and the platform redirects to the callback, which exchanges the code and
stores the tokens: X OAuth 2.0 with PKCE, Meta Login for the Page and its Instagram account.
Telegram goes through its form (``getMe`` + ``getChat`` before saving).

The fakes issue short-lived tokens here (:data:`TOKEN_LIFETIME_S`), so they lapse while the demo
collects, renders and publishes: every post goes out through renewed tokens, and the summary
counts the renewals.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import httpx

from publisher.demo.fakes import DemoFakes
from publisher.platforms.connect import ConnectFailed
from publisher.runtime.context import AppContext

# Shorter than collecting, screening and rendering take (seconds even for a handful of cases),
# so tokens lapse before publishing and again while it runs.
TOKEN_LIFETIME_S = 3.0
X_CLIENT = "lapor-demo"
META_APP, META_SECRET = "1234567890", "demo-meta-app-secret"


@dataclass(frozen=True)
class DemoAgency:
    id: int
    code: str
    name: str


def _ids(agency: DemoAgency) -> tuple[str, str, str, str, str]:
    code = agency.code.replace("-", "")
    return (
        code,
        f"10{agency.id:04d}",  # Facebook Page id
        f"178{agency.id:04d}",  # Instagram business account id
        f"150{agency.id:04d}",  # X user id
        f"900{agency.id:04d}",  # the agency's Facebook user (admin of its Page)
    )


def prepare(ctx: AppContext, fakes: DemoFakes, agencies: list[DemoAgency]) -> None:
    """The apps registered at the fake X and Meta, and each agency's people on the fakes."""
    web = ctx.settings.public_base_url.rstrip("/")
    settings = ctx.settings
    settings.x_client_id = X_CLIENT
    settings.x_authorize_url = f"{fakes.urls['x']}/i/oauth2/authorize"
    settings.x_api_base = fakes.urls["x"]
    settings.meta_app_id, settings.meta_app_secret = META_APP, META_SECRET
    settings.meta_dialog_url = f"{fakes.urls['meta']}/dialog/oauth"
    settings.meta_graph_url = fakes.urls["meta"]
    settings.meta_video_url = fakes.urls["meta_video"]
    settings.telegram_api_base = fakes.urls["telegram"]
    fakes.x.clients[X_CLIENT] = ""  # a public client: PKCE
    fakes.x.callbacks[X_CLIENT] = f"{web}/admin/accounts/oauth/x/callback"
    fakes.x.token_lifetime_s = TOKEN_LIFETIME_S
    fakes.meta.apps[META_APP] = META_SECRET
    fakes.meta.app_secret = META_SECRET  # the app requires appsecret_proof on every call
    fakes.meta.redirect_uris[META_APP] = f"{web}/admin/accounts/oauth/meta/callback"
    fakes.meta.page_token_lifetime_s = TOKEN_LIFETIME_S
    for agency in agencies:
        code, page_id, ig_id, x_id, fb_user = _ids(agency)
        fakes.telegram.tokens.add(f"{agency.id}00:demo-{agency.code}")
        fakes.telegram.channels.add(f"@{code}_tegal")
        fakes.meta.pages[page_id] = agency.name
        fakes.meta.ig_users[ig_id] = f"{code}.tegal"
        fakes.meta.page_instagram[page_id] = ig_id
        fakes.meta.people[fb_user] = [page_id]
        fakes.x.users[x_id] = f"{code}_tegal"


def _consent(authorize_url: str) -> str:
    """The person on the platform's authorize page: opens it and presses the allow button
    (the page's own form); returns where the platform redirects the browser."""
    with httpx.Client(timeout=30) as browser:
        page = browser.get(authorize_url)
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        if page.status_code != 200 or action is None:
            raise ConnectFailed(f"authorize page answered {page.status_code}")
        fields = {
            name: html.unescape(value)
            for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)
        }
        answer = browser.post(
            httpx.URL(authorize_url).join(action.group(1)), data={**fields, "decision": "allow"}
        )
    if answer.status_code != 302:
        raise ConnectFailed(f"consent answered {answer.status_code}")
    return str(answer.headers["location"])


class Admin:
    """The demo admin signed in to the web app (a browser without the clicking)."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.web = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
        form = self.web.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if token is None:
            raise ConnectFailed("no login form")
        signed_in = self.web.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
        )
        if signed_in.status_code != 303:
            raise ConnectFailed(f"login answered {signed_in.status_code}")
        self.csrf = str(self.web.get("/api/v1/me").json()["csrf_token"])

    def close(self) -> None:
        self.web.close()

    def _message(self, response: httpx.Response) -> str:
        if response.status_code != 303:
            raise ConnectFailed(f"{response.request.url.path} answered {response.status_code}")
        message = httpx.URL(str(response.headers["location"])).params.get("pesan", "")
        if not message.startswith("Akun tersambung"):
            raise ConnectFailed(message)
        return str(message)

    def login_flow(self, provider: str, agency: str) -> str:
        """Sambungkan -> the platform's consent page -> the callback; the page's message."""
        started = self.web.post(
            f"/admin/accounts/oauth/{provider}/start",
            data={"agency": agency, "csrf_token": self.csrf},
        )
        if started.status_code != 303:
            raise ConnectFailed(f"start answered {started.status_code}")
        back = httpx.URL(_consent(str(started.headers["location"])))
        return self._message(self.web.get(back.raw_path.decode()))

    def telegram(self, agency: str, bot_token: str, chat_id: str) -> str:
        return self._message(
            self.web.post(
                "/admin/accounts/telegram",
                data={
                    "agency": agency,
                    "bot_token": bot_token,
                    "chat_id": chat_id,
                    "csrf_token": self.csrf,
                },
            )
        )


def connect_all(
    ctx: AppContext, fakes: DemoFakes, agencies: list[DemoAgency], password: str
) -> int:
    """Connect Telegram, Facebook + Instagram and X for every agency through the admin page;
    returns how many accounts were connected."""
    prepare(ctx, fakes, agencies)
    admin = Admin(ctx.settings.public_base_url, "demo.admin", password)
    connected = 0
    try:
        for agency in agencies:
            code, _, _, x_id, fb_user = _ids(agency)
            admin.telegram(agency.code, f"{agency.id}00:demo-{agency.code}", f"@{code}_tegal")
            fakes.meta.consenting_user = fb_user  # who is logged in to Facebook now
            admin.login_flow("meta", agency.code)
            fakes.x.consenting_user = x_id
            admin.login_flow("x", agency.code)
            connected += 4
    finally:
        admin.close()
    return connected
