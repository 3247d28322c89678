"""Reference data of Kabupaten Tegal (kecamatan, desa, agencies, categories) and its seeding."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.db.models import Agency, Kecamatan


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    desa: tuple[str, ...]


@dataclass(frozen=True)
class AgencyRef:
    code: str
    name: str
    kind: str
    kecamatan: str | None = None


@dataclass(frozen=True)
class Reference:
    kecamatan: tuple[Place, ...]
    agencies: tuple[AgencyRef, ...]
    categories: dict[str, str]

    def kecamatan_by_name(self) -> dict[str, Place]:
        return {k.name.casefold(): k for k in self.kecamatan}

    def category_label(self, key: str) -> str:
        return self.categories.get(key, key.replace("-", " ").title())


@cache
def load_reference() -> Reference:
    raw = json.loads(resources.files(__package__).joinpath("tegal.json").read_text("utf-8"))
    places = tuple(Place(p["code"], p["name"], tuple(p["desa"])) for p in raw["kecamatan"])
    agencies = [AgencyRef(a["code"], a["name"], a["kind"]) for a in raw["agencies"]]
    # Every kecamatan office is an agency with its own PIC and accounts.
    agencies += [
        AgencyRef(f"kec-{p.name.lower()}", f"Kecamatan {p.name}", "kecamatan", p.name)
        for p in places
    ]
    return Reference(places, tuple(agencies), dict(raw["categories"]))


@dataclass
class SeedResult:
    kecamatan_added: int = 0
    agencies_added: int = 0
    agencies_updated: int = 0


def seed(session: Session) -> SeedResult:
    """Load Tegal's reference data. Idempotent: a second run changes nothing."""
    ref = load_reference()
    result = SeedResult()
    existing_kec = {k.code: k for k in session.scalars(select(Kecamatan))}
    for place in ref.kecamatan:
        if place.code not in existing_kec:
            kec = Kecamatan(code=place.code, name=place.name)
            session.add(kec)
            existing_kec[place.code] = kec
            result.kecamatan_added += 1
    session.flush()
    kec_by_name = {k.name: k for k in existing_kec.values()}
    existing_agencies = {a.code: a for a in session.scalars(select(Agency))}
    for ref_agency in ref.agencies:
        kec_id = kec_by_name[ref_agency.kecamatan].id if ref_agency.kecamatan else None
        agency = existing_agencies.get(ref_agency.code)
        if agency is None:
            session.add(
                Agency(
                    code=ref_agency.code,
                    name=ref_agency.name,
                    kind=ref_agency.kind,
                    kecamatan_id=kec_id,
                )
            )
            result.agencies_added += 1
        elif (agency.name, agency.kind, agency.kecamatan_id) != (
            ref_agency.name,
            ref_agency.kind,
            kec_id,
        ):
            agency.name, agency.kind, agency.kecamatan_id = ref_agency.name, ref_agency.kind, kec_id
            result.agencies_updated += 1
    session.flush()
    return result
