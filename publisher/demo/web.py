"""``lapor demo-web``: the web app on the data ``make demo`` left under ``var/demo``.

No scheduler and no fakes (they stopped with the demo): pages only, for signing in as the demo
users the demo printed. Needs no Faker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from publisher.core.settings import Settings

DEMO_WEB_PORT = 8000


def demo_settings(base: Path, secret_key: str, **overrides: Any) -> Settings:
    """The demo's settings: everything under ``base`` (``var/demo``)."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{base / 'lapor.db'}",
        "media_dir": base / "media",
        "private_media_dir": base / "private-media",
        "model_dir": base / "model",
        "folder_platform_dir": base / "posts",
        "secret_key": secret_key,
    }
    values.update(overrides)
    return Settings(**values)


def serve(base: Path, port: int = DEMO_WEB_PORT) -> None:
    """Serve the app on 127.0.0.1:``port`` over the demo in ``base`` until interrupted."""
    import uvicorn

    from publisher.app.factory import create_app
    from publisher.runtime.context import AppContext

    key = (base / "secret.key").read_text().strip()
    settings = demo_settings(base, key, public_base_url=f"http://127.0.0.1:{port}")
    ctx = AppContext.from_settings(settings, worker_id="demo-web")
    try:
        uvicorn.run(create_app(ctx), host="127.0.0.1", port=port, log_level="warning")
    finally:
        ctx.close()
