"""The application context for a command: :func:`context` builds it from the environment with
logging configured, and exits with 2 when the settings or the context cannot be built (a
:class:`~publisher.core.errors.ConfigError` becomes that exit). The consoles and :func:`fail`
are the kernel's (:mod:`publisher.core.console`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from publisher.core.console import fail
from publisher.core.errors import ConfigError
from publisher.core.settings import load_settings_or_exit

if TYPE_CHECKING:
    from publisher.runtime.context import AppContext


@contextmanager
def context() -> Iterator[AppContext]:
    """The application context from the environment, logging configured, closed at the end."""
    # Imported here: the context pulls in the database and media stacks, which `--help` and
    # the commands that need no database never use.
    from publisher.privacy.logs import configure
    from publisher.runtime.context import AppContext

    settings = load_settings_or_exit()

    configure(settings.log_level, settings.log_format)
    try:
        ctx = AppContext.from_settings(settings)
    except ConfigError as exc:
        raise fail(str(exc), 2) from None
    try:
        yield ctx
    except DBAPIError as exc:
        from publisher.db.migrate import NOT_MIGRATED, missing_table

        if missing_table(exc):
            raise fail(NOT_MIGRATED, 2) from None
        raise
    finally:
        ctx.close()
