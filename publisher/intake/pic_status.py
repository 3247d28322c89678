"""What the PIC is told about a case and each follow-up: five truthful states (issue 20).

* ``terkirim``: received, not drafted yet;
* ``ditinjau``: drafted and waiting for review, approval or its turn to go out;
* ``ditolak``: every live post was rejected; the reviewer's reason is shown and the PIC may
  send a new follow-up for the same case;
* ``tidak_terbit``: it will not be published. The wording is general on purpose: it says
  nothing of screening (a conflict-prone or ``rahasia`` case looks the same as any other);
* ``terbit``: published, with the links.

Follow-ups replaced by a resubmission and material kept after publication are labelled as
such, so the PIC's history stays readable. The case list shows a short summary of the
complaint scrubbed of the case's known identities and of anything shaped like personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.core.crypto import Vault
from publisher.db.models import Case, Delivery, FollowUp, Post, SocialAccount
from publisher.privacy.guard import case_identities, scrub

LABELS = {
    "terkirim": "Terkirim, menunggu disiapkan",
    "ditinjau": "Sedang ditinjau",
    "ditolak": "Ditolak",
    "tidak_terbit": "Tidak dipublikasikan",
    "terbit": "Dipublikasikan",
    "diganti": "Digantikan kiriman baru",
    "susulan": "Disimpan sebagai bahan kiriman lanjutan",
}
SUMMARY_CHARS = 160
# Delivery states that mean it will not (or no longer) be seen.
GONE = ("cancelled", "taken_down", "failed")


@dataclass
class CaseState:
    key: str
    reason: str = ""  # the reviewer's reason of a rejection (scrubbed when it was stored)
    links: list[tuple[str, str]] = field(default_factory=list)  # (account label, url)

    @property
    def label(self) -> str:
        return LABELS[self.key]

    @property
    def can_resubmit(self) -> bool:
        return self.key == "ditolak"


def posts_by_case(
    session: Session, case_ids: list[int]
) -> dict[int, list[tuple[Post, SocialAccount, list[Delivery]]]]:
    found: dict[int, list[tuple[Post, SocialAccount, list[Delivery]]]] = {}
    if not case_ids:
        return found
    rows = session.execute(
        select(Post, SocialAccount)
        .join(SocialAccount, SocialAccount.id == Post.account_id)
        .where(Post.case_id.in_(case_ids))
        .order_by(Post.id)
    ).all()
    deliveries: dict[int, list[Delivery]] = {}
    for delivery in session.scalars(
        select(Delivery).where(Delivery.post_id.in_([p.id for p, _ in rows]))
    ):
        deliveries.setdefault(delivery.post_id, []).append(delivery)
    for post, account in rows:
        found.setdefault(post.case_id, []).append((post, account, deliveries.get(post.id, [])))
    return found


def case_state(case: Case, posts: list[tuple[Post, SocialAccount, list[Delivery]]]) -> CaseState:
    """The state of the case's current follow-up (see the module docstring)."""
    links = [
        (f"{account.platform} {account.handle}", d.remote_url)
        for _, account, ds in posts
        for d in ds
        if d.state == "published"
    ]
    if links:
        return CaseState("terbit", links=[(label, url) for label, url in links if url])
    if case.privacy_mode == "rahasia" and not posts:
        return CaseState("tidak_terbit")
    if not posts:
        return CaseState("terkirim")
    live = [(p, ds) for p, _, ds in posts if p.review_state != "withdrawn"]
    if not live or all(any(d.state in GONE for d in ds) and ds for _, ds in live):
        return CaseState("tidak_terbit")
    if all(p.review_state == "rejected" and p.redraft_requested_at is None for p, _ in live):
        return CaseState(
            "ditolak", reason=next((p.review_note for p, _ in live if p.review_note), "")
        )
    return CaseState("ditinjau")


def follow_up_state(follow_up: FollowUp, current: CaseState) -> CaseState:
    if follow_up.replaced_by_id is not None:
        return CaseState("diganti")
    if follow_up.after_publication:
        return CaseState("susulan")
    return current


def summary(case: Case, vault: Vault) -> str:
    """A short summary of the complaint, scrubbed of the case's identities and of anything
    shaped like personal data (names, phones, NIK, addresses)."""
    text = " ".join(scrub(case.complaint_text, case_identities(case, vault)).split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
