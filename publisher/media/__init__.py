"""Media: validation by content, sanitising (metadata removed by re-encoding pixels), renditions,
and content-addressed storage. Public API: :class:`MediaStore`, :func:`sanitize`."""

from publisher.media.sanitize import SanitizedMedia, sanitize
from publisher.media.store import MediaStore

__all__ = ["MediaStore", "SanitizedMedia", "sanitize"]
