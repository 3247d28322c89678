"""Cost of encrypting complaint texts and notes at rest (issue #16): ``EncryptedText`` columns
(Fernet through the Vault) against the same rows in plain TEXT columns, in the same run.

Run: ``python -m bench.private_texts``. 5,000 cases with a 400-character complaint and a
250-character PIC note each, on a SQLite file in a temporary folder: write them, read them all
back through the ORM (what screening and the retrain do), and the Fernet calls alone.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from publisher.core.crypto import Vault, new_key
from publisher.db.encrypted import EncryptedText, bind_vault
from publisher.db.engine import make_engine

WORDS = (
    "jalan",
    "rusak",
    "berlubang",
    "depan",
    "rumah",
    "warga",
    "sudah",
    "lama",
    "tidak",
    "diperbaiki",
    "mohon",
    "segera",
    "ditindaklanjuti",
    "karena",
    "membahayakan",
    "pengendara",
    "motor",
    "terutama",
    "malam",
    "hari",
    "saluran",
    "air",
    "tersumbat",
    "sampah",
    "banjir",
    "setiap",
    "hujan",
    "lampu",
    "penerangan",
    "mati",
)


class PlainBase(DeclarativeBase):
    pass


class EncryptedBase(DeclarativeBase):
    pass


class PlainCase(PlainBase):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking: Mapped[str] = mapped_column(String(40))
    complaint: Mapped[str] = mapped_column(Text)


class PlainNote(PlainBase):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    text: Mapped[str] = mapped_column(Text)


class SecretCase(EncryptedBase):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking: Mapped[str] = mapped_column(String(40))
    complaint: Mapped[str] = mapped_column(EncryptedText)


class SecretNote(EncryptedBase):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    text: Mapped[str] = mapped_column(EncryptedText)


def _text(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    while sum(len(w) + 1 for w in out) < chars:
        out.append(rng.choice(WORDS))
    return " ".join(out)


def _run(
    folder: Path, encrypted: bool, rows: list[tuple[str, str]], vault: Vault
) -> dict[str, float]:
    engine = make_engine(f"sqlite:///{folder / ('enc.db' if encrypted else 'plain.db')}")
    bind_vault(engine, vault)
    base, case_model, note_model = (
        (EncryptedBase, SecretCase, SecretNote) if encrypted else (PlainBase, PlainCase, PlainNote)
    )
    base.metadata.create_all(engine)
    figures: dict[str, float] = {}
    t0 = time.process_time()
    with Session(engine) as session, session.begin():
        for i, (complaint, note) in enumerate(rows, start=1):
            session.add(case_model(id=i, tracking=f"LPR-{i:06d}", complaint=complaint))
            session.add(note_model(id=i, case_id=i, text=note))
    figures["write"] = time.process_time() - t0
    t0 = time.process_time()
    with Session(engine) as session:
        total = sum(len(c.complaint) for c in session.scalars(select(case_model)))
        total += sum(len(n.text) for n in session.scalars(select(note_model)))
    figures["read"] = time.process_time() - t0
    assert total == sum(len(a) + len(b) for a, b in rows)
    engine.dispose()  # checkpoints the WAL into the file
    figures["bytes"] = float(Path(str(engine.url.database)).stat().st_size)
    return figures


def main(argv: list[str] | None = None, n: int = 5_000) -> None:
    rng = random.Random(16)
    rows = [(_text(rng, 400), _text(rng, 250)) for _ in range(n)]
    vault = Vault([new_key()])
    with tempfile.TemporaryDirectory() as tmp:
        plain = _run(Path(tmp), False, rows, vault)
        secret = _run(Path(tmp), True, rows, vault)
    t0 = time.process_time()
    tokens = [vault.encrypt(a) for a, _ in rows]
    t1 = time.process_time()
    for token in tokens:
        vault.decrypt(token)
    t2 = time.process_time()
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} (1 and 5 min)")
    print(f"{n} cases + {n} notes (400 + 250 characters), SQLite, CPU seconds:")
    for step in ("write", "read"):
        print(
            f"  {step:5s}: plain {plain[step]:.3f} s, encrypted {secret[step]:.3f} s "
            f"(+{1e6 * (secret[step] - plain[step]) / (2 * n):.0f} us per text, "
            f"x{secret[step] / plain[step]:.2f})"
        )
    print(
        f"  Fernet alone: encrypt {1e6 * (t1 - t0) / n:.0f} us, decrypt {1e6 * (t2 - t1) / n:.0f}"
        f" us per 400-character text"
    )
    print(
        f"  database file: plain {plain['bytes'] / 1e6:.2f} MB, encrypted "
        f"{secret['bytes'] / 1e6:.2f} MB (x{secret['bytes'] / plain['bytes']:.2f})"
    )


if __name__ == "__main__":
    main()
