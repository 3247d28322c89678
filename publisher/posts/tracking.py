"""Public tracking links of cases that came from SP4N-LAPOR!.

A case has an SP4N-LAPOR! tracking id when it was collected by a source of kind ``sp4n``
(``LAPOR_SOURCES``): its ``tracking_number`` is then SP4N-LAPOR!'s own tracking id
(``publisher.intake.sources.sp4n`` maps ``tracking_id`` there). ``LAPOR_SP4N_TRACKING_URL`` is the
public page of one report, with ``{tracking_id}``; empty means no link anywhere. The link goes
into captions (the ``render`` job) and onto the public pages, which read it from here.
"""

from __future__ import annotations

from urllib.parse import quote

from publisher.core.settings import Settings


def sp4n_sources(settings: Settings) -> frozenset[str]:
    return frozenset(s.name for s in settings.sources if s.kind == "sp4n")


def sp4n_tracking_url(settings: Settings, source: str, tracking_number: str) -> str:
    """The SP4N-LAPOR! public tracking page of a case, or "" when it has none."""
    template = settings.sp4n_tracking_url
    if not template or "{tracking_id}" not in template or source not in sp4n_sources(settings):
        return ""
    return template.replace("{tracking_id}", quote(tracking_number, safe=""))
