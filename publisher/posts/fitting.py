"""Which of a post's media go out on its platform, when the platform cannot take them all.

Facebook and X take photos or a video in one post, not both, and one video at most (their
specs: ``MediaLimits.mixed`` and ``max_videos`` in ``publisher/platforms/<name>/spec.py``;
the facts live there, not here). A follow-up with photos and a video is still approvable:
:func:`fit` keeps the kind of the *first* item (the PIC's order, or the reviewer's after
reordering) and marks the others ``left_out`` with a reason; they stay in ``Post.media`` so a
reviewer who moves a video to the front gets the video instead. :func:`explain` says so in
Bahasa Indonesia on the preview. Everything that sends or checks a post reads
:func:`going_out` (the outbox skips ``left_out`` entries itself: it imports nothing of posts).

Nothing here raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from publisher.media.limits import MediaLimits

LEFT_OUT = "left_out"
KIND_WORDS = {"photo": "foto", "video": "video"}


def going_out(media: Sequence[Any]) -> list[dict[str, Any]]:
    """The entries the platform gets, in order."""
    return [m for m in media if isinstance(m, dict) and not m.get(LEFT_OUT)]


def fit(media: Sequence[Any], limits: MediaLimits) -> list[dict[str, Any]]:
    """``media`` with ``left_out`` set where ``limits`` cannot take an item (and cleared
    elsewhere, so a new order is judged afresh)."""
    items = [{k: v for k, v in m.items() if k != LEFT_OUT} for m in media if isinstance(m, dict)]
    kinds = {str(m.get("kind")) for m in items} & {"photo", "video"}
    keep = ""
    if not limits.mixed and len(kinds) > 1:
        first = next(str(m.get("kind")) for m in items if m.get("kind") in ("photo", "video"))
        keep = first
    videos = 0
    for m in items:
        kind = str(m.get("kind"))
        if keep and kind in ("photo", "video") and kind != keep:
            m[LEFT_OUT] = "mixed"
        elif kind == "video" and limits.max_videos is not None:
            if videos >= limits.max_videos:
                m[LEFT_OUT] = "too_many_videos"
            else:
                videos += 1
    return items


def explain(media: Sequence[Any], label: str, limits: MediaLimits) -> list[str]:
    """Why items are left out, for the reviewer (Bahasa Indonesia); empty when none is."""
    notes: list[str] = []
    mixed = [m for m in media if isinstance(m, dict) and m.get(LEFT_OUT) == "mixed"]
    if mixed:
        word = KIND_WORDS.get(str(mixed[0].get("kind")), "media")
        kept = "video" if word == "foto" else "foto"
        notes.append(
            f"{label} tidak menerima foto dan video dalam satu kiriman: yang terbit {kept} saja, "
            f"{len(mixed)} {word} tidak diikutkan. Untuk memilih {word}, pindahkan {word} ke "
            "urutan pertama."
        )
    extra = [m for m in media if isinstance(m, dict) and m.get(LEFT_OUT) == "too_many_videos"]
    if extra:
        notes.append(
            f"{label} hanya menerima {limits.max_videos} video per kiriman: {len(extra)} video "
            "lain tidak diikutkan (yang terbit: video yang paling atas)."
        )
    return notes
