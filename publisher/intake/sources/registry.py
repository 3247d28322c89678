"""Build the configured case sources (``LAPOR_SOURCES``): one constructor per kind."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from publisher.core.settings import SourceConfig
from publisher.intake.sources.base import CaseSource
from publisher.intake.sources.json_feed import JsonFeedSource
from publisher.intake.sources.open311 import Open311Source
from publisher.intake.sources.sp4n import Sp4nSource

BUILDERS: dict[str, Callable[[SourceConfig, httpx.Client], CaseSource]] = {
    "json_feed": lambda cfg, http: JsonFeedSource(cfg.name, cfg.url, http, cfg.token),
    "open311": lambda cfg, http: Open311Source(cfg, http),
    "sp4n": lambda cfg, http: Sp4nSource(cfg, http),
}


def build_source(cfg: SourceConfig, http: httpx.Client) -> CaseSource:
    return BUILDERS[cfg.kind](cfg, http)
