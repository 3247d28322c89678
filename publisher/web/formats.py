"""The one way to format for pages and exports lives in the kernel (:mod:`publisher.core.formats`)
so media (banners) and captions use it too; the web toolkit's pages import it from here."""

from publisher.core.formats import LOCALE, day, moment, month, number, share

__all__ = ["LOCALE", "day", "moment", "month", "number", "share"]
