"""The monitoring dashboard for leadership and admins: ``/dashboard`` (page with SVG charts),
``/dashboard/export.csv`` and ``/dashboard/digest`` (today's summary per agency).

Every route declares one caller, :data:`publisher.web.deps.LeaderOrAdminOrOpsToken`: a
signed-in ``pimpinan`` (leadership: figures only, no personal data, no settings) or admin (the
web session, like every other page: an anonymous visitor is sent to the login form, another
role gets the Indonesian 403 page), or a machine sending
``Authorization: Bearer <LAPOR_OPS_TOKEN>`` (a wrong or unconfigured token is a 401, never an
open page).

Templates (``templates/web/dashboard/``) are self-contained (no base layout yet) and carry
``data-testid`` attributes for the browser tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select

from publisher.core.clock import utcnow
from publisher.core.paths import templates_dir
from publisher.db.models import CONTACT_OUTCOMES, Agency, ContactRequest
from publisher.monitoring.charts import Series, bar_chart
from publisher.monitoring.digest import regency_report, regency_text, render_text, todays_digests
from publisher.monitoring.export import KINDS, report_csv
from publisher.monitoring.stats import LISTED_OVERDUE, Report, configured_report
from publisher.runtime.context import AppContext
from publisher.web import formats
from publisher.web.auth import Viewer
from publisher.web.deps import Ctx, LeaderOrAdminOrOpsToken


@cache  # one environment per process: Jinja caches the compiled templates in it
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir() / "web" / "dashboard"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=formats.number, pct=formats.share, date=formats.day, moment=formats.moment
    )
    return env


def _period(ctx: AppContext, start: str, end: str) -> tuple[date, date]:
    today = utcnow().astimezone(ctx.settings.tz).date()
    try:
        first = date.fromisoformat(start) if start else date(today.year, 1, 1)
        last = date.fromisoformat(end) if end else today
    except ValueError:
        raise HTTPException(400, "Tanggal tidak valid (format TTTT-BB-HH).") from None
    if first > last:
        raise HTTPException(400, "Tanggal awal harus sebelum tanggal akhir.")
    return first, last


@dataclass(frozen=True)
class ReportQuery:
    """What a report covers, from the query string: empty dates are this year up to today, an
    empty agency is every agency."""

    start: str
    end: str
    agency: str


async def _report_query(
    start: str = Query(""), end: str = Query(""), agency: str = Query("")
) -> ReportQuery:
    return ReportQuery(start, end, agency)


ReportParams = Annotated[ReportQuery, Depends(_report_query)]


def _report(ctx: AppContext, query: ReportQuery, overdue_limit: int | None = None) -> Report:
    first, last = _period(ctx, query.start, query.end)
    agency = query.agency
    return configured_report(
        ctx, start=first, end=last, agency_code=agency or None, overdue_limit=overdue_limit
    )


def _viewer(request: Request) -> Viewer | None:
    # Set by the session check; absent for a machine with the ops token (no menu, no logout).
    found = getattr(request.state, "viewer", None)
    return found if isinstance(found, Viewer) else None


def _charts(report: Report) -> dict[str, Any]:
    groups = [g for g in report.agencies if g.received][:15]
    labels = [g.label for g in groups]
    return {
        "volume": bar_chart(
            "Aduan per instansi",
            labels,
            [
                Series("Diterima", [g.received for g in groups]),
                Series("Dijawab", [g.answered for g in groups]),
                Series("Dipublikasikan", [g.published for g in groups]),
            ],
        ),
        "speed": bar_chart(
            "Median waktu (hari kerja)",
            labels,
            [
                Series("Respons pertama", [g.median_response_wd for g in groups]),
                Series("Selesai", [g.median_resolution_wd for g in groups]),
            ],
            unit=" hari kerja",
        ),
        # Month by month over the period (the report's local month of each case).
        "history": bar_chart(
            "Aduan per bulan",
            [formats.month(m.month) for m in report.months],
            [
                Series("Diterima", [m.received for m in report.months]),
                Series("Dijawab", [m.answered for m in report.months]),
                Series("Selesai", [m.resolved for m in report.months]),
            ],
        ),
    }


# Overdue cases listed on the page (the longest idle); the CSV export has every one.
OVERDUE_ROWS = LISTED_OVERDUE

# Every route here is for leadership, an admin or a machine with the ops token (see above).
router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def page(
    request: Request, _caller: LeaderOrAdminOrOpsToken, ctx: Ctx, params: ReportParams
) -> HTMLResponse:
    # A bad period is shown next to the date fields, with what was typed; the figures are the
    # default period's meanwhile (a dead-end error page helps no one).
    period_error, status = "", 200
    try:
        report = _report(ctx, params, OVERDUE_ROWS)
    except HTTPException as exc:
        period_error, status = str(exc.detail), 400
        report = _report(ctx, ReportQuery("", "", params.agency), OVERDUE_ROWS)
    agency = params.agency
    with ctx.readonly_sessions() as session:
        agencies = session.execute(select(Agency.code, Agency.name).order_by(Agency.name)).all()
        clarifications = clarification_counts(session)
    query = f"start={report.start}&end={report.end}&agency={agency}"
    template = _environment().get_template("index.html")
    return HTMLResponse(
        template.render(
            report=report,
            charts=_charts(report),
            agencies=agencies,
            agency=agency,
            csv_kinds=KINDS,
            query=query,
            tz=ctx.settings.tz,
            viewer=_viewer(request),
            clarifications=clarifications,
            overdue_rows=OVERDUE_ROWS,
            period_error=period_error,
            typed=(params.start, params.end) if period_error else None,
        ),
        status_code=status,
    )


def clarification_counts(session: Any) -> dict[str, int]:
    """Issue 20: what came of PICs' clarifications with reporters (counts only, all time)."""
    counts = dict.fromkeys(CONTACT_OUTCOMES, 0)
    for outcome, n in session.execute(
        select(ContactRequest.outcome, func.count())
        .where(ContactRequest.outcome.in_(CONTACT_OUTCOMES))
        .group_by(ContactRequest.outcome)
    ).all():
        counts[outcome] = n
    return counts


@router.get("/export.csv")
def export(
    _caller: LeaderOrAdminOrOpsToken, ctx: Ctx, params: ReportParams, kind: str = Query("agencies")
) -> Response:
    if kind not in KINDS:
        raise HTTPException(400, "Jenis ekspor tidak dikenal.")
    report = _report(ctx, params)
    name = f"lapor-{kind}-{report.start}-{report.end}.csv"
    return Response(
        report_csv(report, kind),  # type: ignore[arg-type]
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/digest", response_class=HTMLResponse)
def digest(
    request: Request, _caller: LeaderOrAdminOrOpsToken, ctx: Ctx, agency: str = Query("")
) -> HTMLResponse:
    digests = todays_digests(ctx, [agency] if agency else None)
    items = [(d, render_text(d, ctx.settings.overdue_working_days)) for d in digests]
    regency = "" if agency else regency_text(regency_report(ctx))
    template = _environment().get_template("digest.html")
    return HTMLResponse(template.render(items=items, regency=regency, viewer=_viewer(request)))
