"""Everything about one platform, as data: :class:`PlatformSpec`.

Each platform's folder (``publisher/platforms/<name>/spec.py``) holds one spec: its name and
Indonesian label, caption limits (length and how it is counted), media limits (a
:class:`publisher.media.limits.MediaLimits`, so media fits photos without knowing platforms),
the credential model, the error table, the default API base, the local fake and the adapter
factory. :mod:`publisher.platforms.registry` lists the specs; every other part reads them from
there (see docs/adding-a-platform.md). Nothing here raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx

from publisher.core.settings import Settings
from publisher.media.limits import MediaLimits
from publisher.platforms.base import Platform
from publisher.platforms.errors import ErrorRule

# How a caption's length is counted: characters as people see them (NFC), UTF-16 code units,
# X's weighted length (twitter-text v3), Telegram's UTF-16 after entity parsing.
Counting = Literal["chars", "utf16", "x_weighted", "telegram"]


@dataclass(frozen=True)
class CaptionLimits:
    max_length: int
    counting: Counting = "chars"
    hashtag_cap: int | None = None
    mention_cap: int | None = None
    # LAPOR_INSTAGRAM_HASHTAG_CAP replaces hashtag_cap: the platform moves it (30 -> 5 in 2025).
    hashtag_cap_from_settings: bool = False


@dataclass(frozen=True)
class CredentialModel:
    """Keys of the account's credentials JSON; ``help`` tells an admin (in Indonesian) what is
    missing. ``api_base`` among the optional keys overrides :attr:`PlatformSpec.api_base`."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    help: str = ""


class CredentialStore(Protocol):
    """Where an account's credentials live, for adapters whose tokens rotate (X OAuth 2.0)."""

    def load(self) -> Mapping[str, Any]:
        """The credentials as stored now (another worker may have renewed them)."""
        ...

    def replace(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        """Store ``new`` only if ``old`` is still what is stored; False if it changed."""
        ...


@dataclass(frozen=True)
class AdapterInputs:
    """What a factory gets to build an adapter for one account."""

    handle: str
    credentials: Mapping[str, Any]  # decrypted; the required keys are present
    client: httpx.Client
    settings: Settings
    api_base: str  # the credentials' ``api_base``, else the spec's default
    store: CredentialStore | None = None  # None: renewed tokens could not be saved


Factory = Callable[[AdapterInputs], Platform]


@dataclass(frozen=True)
class PlatformSpec:
    name: str  # as stored in ``social_accounts.platform``
    label: str  # Indonesian, shown to reviewers, admins and the public
    caption: CaptionLimits
    media: MediaLimits
    credentials: CredentialModel
    errors: tuple[ErrorRule, ...]  # empty only for a platform that makes no HTTP call
    factory: Factory
    api_base: str = ""  # default API URL; "" for a platform that makes no HTTP call
    fake: str = ""  # "module:Class" of the local fake server; "" for no HTTP
    # Which platform's post speaks for a case on the public pages: lowest first, so the
    # long-form posts win over the short ones.
    public_rank: int = 50
    media_first: bool = False  # the platform shows media above the caption (previews follow)
    # The folder of caption templates under templates/posts/ ("" = the platform's name); a
    # platform whose posts read like another's may share that one's templates.
    templates: str = ""
