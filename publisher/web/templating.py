"""Jinja2 for the web pages (``templates/web/``): autoescaped, with filters that show times in
Asia/Jakarta and ages in Bahasa Indonesia. Built once per app, never at import."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from publisher.core import formats
from publisher.core.clock import utcnow
from publisher.core.paths import templates_dir
from publisher.web.forms import NO_FORM

# Words shown for the stored states (tables, not ifs scattered over templates).
STATE_LABELS = {
    "pending_review": "Menunggu tinjauan",
    "approved": "Disetujui",
    "rejected": "Ditolak",
    "blocked": "Diblokir penyaring",
    "withdrawn": "Ditarik",
    "pending": "Menunggu kirim",
    "sending": "Sedang dikirim",
    "published": "Terbit",
    "failed": "Gagal",
    "unknown": "Belum pasti",
    "cancelled": "Dibatalkan",
    "active": "Aktif",
    "paused": "Dijeda",
    "needs_reconnect": "Perlu disambung ulang",
    "ok": "Diterima",
    "taken_down": "Diturunkan",
    "received": "Diterima",
    "in_progress": "Sedang ditangani",
    "resolved": "Selesai",
    "closed": "Ditutup",
    "sent": "Terkirim",
    "skipped": "Dilewati",
    "pass": "Lolos",
    "review": "Perlu ditinjau",
    "block": "Diblokir",
    "manual": "Saring manual",
}
PRIVACY_LABELS = {"normal": "Biasa", "anonim": "Anonim", "rahasia": "Rahasia"}
SUPPLIER_LABELS = {"pic": "PIC", "reporter": "pelapor"}
ROLE_LABELS = {"pic": "PIC", "reviewer": "Reviewer", "admin": "Admin", "pimpinan": "Pimpinan"}
PII_LABELS = {
    "name": "nama",
    "phone": "nomor telepon",
    "nik": "NIK",
    "kk": "nomor KK",
    "email": "e-mail",
    "address": "alamat",
    "rt_rw": "RT/RW",
    "plate": "pelat kendaraan",
}


def age_text(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return "-"
    seconds = max(0, int(((now or utcnow()) - moment).total_seconds()))
    if seconds < 3600:
        return f"{formats.number(seconds // 60)} menit"
    if seconds < 86400:
        return f"{formats.number(seconds // 3600)} jam"
    return f"{formats.number(seconds // 86400)} hari"


class PageRenderer:
    """The app's Jinja2 environment for ``templates/web/`` (routes get it as ``deps.Pages``)."""

    def __init__(self, tz: ZoneInfo, platform_labels: dict[str, str] | None = None) -> None:
        self.env = Environment(
            loader=FileSystemLoader(templates_dir() / "web"),
            autoescape=select_autoescape(["html", "j2"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # Every date, number and share through Babel (publisher/core/formats.py), none by hand.
        self.env.filters["wib"] = lambda m: formats.moment(m, tz)
        self.env.filters["date"] = formats.day
        self.env.filters["num"] = formats.number
        self.env.filters["pct"] = formats.share
        self.env.filters["score"] = lambda v: formats.number(v, 2)
        self.env.filters["age"] = age_text
        self.env.filters["state"] = lambda s: STATE_LABELS.get(s, s)
        self.env.filters["role"] = lambda r: ROLE_LABELS.get(r, r)
        self.env.filters["pii"] = lambda k: PII_LABELS.get(k, k)
        self.env.filters["privacy"] = lambda k: PRIVACY_LABELS.get(k, k)
        self.env.filters["supplier"] = lambda k: SUPPLIER_LABELS.get(k, k)
        # Accounts as people know them ("Facebook · Pemkab Tegal"); the app passes the
        # platforms' labels in (the toolkit imports no part).
        labels = dict(platform_labels or {})
        self.env.filters["platform"] = lambda p: labels.get(p, p)
        self.env.filters["account"] = lambda a: (
            f"{labels.get(a.platform, a.platform)} · {a.display_name or a.handle}"
        )

    def render(
        self, request: Request, name: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        viewer = getattr(request.state, "viewer", None)
        context.setdefault("form", NO_FORM)
        html = self.env.get_template(name).render(
            request=request,
            viewer=viewer,
            csrf_token=viewer.csrf_token if viewer is not None else "",
            **context,
        )
        return HTMLResponse(html, status_code=status_code)
