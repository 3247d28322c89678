"""A fake SP4N-LAPOR! integration API, in the shape :mod:`publisher.intake.sources.sp4n` assumes by
default (its real API is documented only to registered agencies).

``GET /laporan?updated_since=ISO&page=N&per_page=M`` with ``Authorization: Bearer TOKEN``
answers ``{"data": [...], "meta": {"page": N, "last_page": L}}``, sorted by ``diperbarui``.
:func:`report` builds a report in that shape. ``GET /files/{name}`` serves attachments.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Header, Query
from fastapi.responses import JSONResponse

from publisher.fakes.server import serve_files


@dataclass
class FakeSp4n:
    reports: list[Any] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    token: str = "sp4n-token"
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, *reports: Any) -> None:
        with self._lock:
            self.reports.extend(reports)

    def app(self) -> FastAPI:
        api = FastAPI(title="fake SP4N-LAPOR!")

        @api.get("/laporan")
        def laporan(
            updated_since: str = "",
            page: int = Query(default=1, ge=1),
            per_page: int = Query(default=50, ge=1, le=500),
            authorization: str = Header(default=""),
        ) -> JSONResponse:
            if authorization != f"Bearer {self.token}":
                return JSONResponse({"message": "Unauthenticated."}, status_code=401)
            since = _moment(updated_since) if updated_since else None
            with self._lock:
                rows = sorted(
                    (r for r in self.reports if since is None or _stamp(r) > since),
                    key=_stamp,
                )
            last = max(1, -(-len(rows) // per_page))
            chunk = rows[(page - 1) * per_page : page * per_page]
            return JSONResponse({"data": chunk, "meta": {"page": page, "last_page": last}})

        serve_files(api, "/files", self.files)

        return api


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _stamp(row: Any) -> datetime:
    try:
        return _moment(str(row["diperbarui"]))
    except (KeyError, TypeError, ValueError):
        return datetime.fromisoformat("1970-01-01T00:00:00+00:00")


def report(
    n: int,
    *,
    reporter: dict[str, str],
    updated: datetime,
    status: str = "selesai",
    rahasia: Any = False,
    anonim: Any = False,
    agency: str = "dpupr",
    kecamatan: str = "Slawi",
    attachments: list[dict[str, str]] | None = None,
    text: str = "Jalan berlubang di depan balai desa, bahaya kalau malam.",
    action: str = "Lubang jalan sudah ditambal oleh tim UPT jalan.",
) -> dict[str, Any]:
    return {
        "id": 700000 + n,
        "tracking_id": f"SP4N-{4500000 + n}",
        "judul": "Jalan berlubang",
        "isi": text,
        "topik": "Infrastruktur Jalan",
        "status": status,
        "rahasia": rahasia,
        "anonim": anonim,
        "instansi": {"kode": agency, "nama": "Instansi"},
        "lokasi": {"kecamatan": kecamatan, "desa": "Procot"},
        "pelapor": {
            "nama": reporter["name"],
            "telepon": reporter["phone"],
            "nik": reporter["nik"],
            "alamat": reporter["address"],
        },
        "tanggal": {
            "dibuat": updated.replace(day=1).isoformat(),
            "selesai": updated.isoformat(),
        },
        "tindak_lanjut": {
            "id": f"TL-{n}",
            "isi": action,
            "tanggal": updated.isoformat(),
            "lampiran": attachments or [],
        },
        "diperbarui": updated.isoformat(),
    }
