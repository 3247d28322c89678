"""The fake platforms of a demo run and their URLs."""

from __future__ import annotations

from dataclasses import dataclass

from publisher.platforms.meta.fake import FakeMetaGraph
from publisher.platforms.telegram.fake import FakeTelegram
from publisher.platforms.x.fake import FakeX


@dataclass
class DemoFakes:
    telegram: FakeTelegram
    meta: FakeMetaGraph
    x: FakeX
    urls: dict[str, str]
