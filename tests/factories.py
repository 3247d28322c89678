"""Generated test data: Faker id_ID people (never real ones) and feed records."""

from __future__ import annotations

import io
import random
from datetime import timedelta
from typing import Any

from faker import Faker
from PIL import Image

from publisher.core.clock import utcnow

_fake = Faker("id_ID")


def person(seed: int | None = None) -> dict[str, str]:
    fake = Faker("id_ID")
    if seed is not None:
        fake.seed_instance(seed)
    rnd = random.Random(seed)
    return {
        "name": fake.name(),
        "phone": "08" + "".join(rnd.choice("0123456789") for _ in range(10)),
        "nik": "3328" + "".join(rnd.choice("0123456789") for _ in range(12)),
        "address": fake.street_address(),
    }


def feed_record(
    n: int,
    *,
    reporter: dict[str, str] | None = None,
    media_urls: list[str] | None = None,
    action: str = "Lubang jalan sudah ditambal dengan aspal oleh tim UPT jalan.",
    complaint: str = "Jalan berlubang di depan balai desa, bahaya kalau malam.",
    agency: str = "dpupr",
    kecamatan: str = "Slawi",
    privacy: str = "normal",
    **overrides: Any,
) -> dict[str, Any]:
    now = utcnow() - timedelta(days=2)
    record: dict[str, Any] = {
        "id": f"T-{n}",
        "tracking_number": f"LPR-2025-{n:05d}",
        "agency": agency,
        "category": "jalan",
        "kecamatan": kecamatan,
        "desa": "Procot",
        "complaint": complaint,
        "privacy": privacy,
        "reporter": reporter or person(n),
        "status": "resolved",
        "history": [
            {"status": "received", "at": (now - timedelta(days=3)).isoformat()},
            {"status": "resolved", "at": now.isoformat()},
        ],
        "follow_up": {
            "id": f"F-{n}",
            "text": action,
            "submitted_at": now.isoformat(),
            "media": [{"url": u, "taken_by": "pic", "phase": ""} for u in (media_urls or [])],
        },
        "updated_at": (now + timedelta(seconds=n)).isoformat(),
    }
    record.update(overrides)
    return record


def jpeg(width: int = 640, height: int = 480, colour: tuple[int, int, int] = (90, 90, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return out.getvalue()
