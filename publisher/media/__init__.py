"""Media: validation by content, sanitising (metadata removed by re-encoding pixels), face
blurring, platform renditions, signed URLs and content-addressed storage.

Public API (import from here): :func:`sanitize`, :class:`SanitizedMedia`, :class:`MediaStore`,
:func:`blur_faces`, :class:`FaceBlurResult`, :class:`FaceBox`, :func:`render_for_platform`,
:func:`before_after_collage`, :class:`BannerText`, :data:`PLATFORM_MEDIA_RULES`,
:func:`sign_media_url`, :func:`verify_media_signature`. Errors: :class:`publisher.errors.MediaRejected`.
Importing this package loads no model and reads no settings.
"""

from publisher.media.faces import FaceBlurResult, FaceBox, blur_faces
from publisher.media.model import SanitizedMedia, VideoFaceHit
from publisher.media.sanitize import sanitize
from publisher.media.store import MediaStore

__all__ = [
    "FaceBlurResult",
    "FaceBox",
    "MediaStore",
    "SanitizedMedia",
    "VideoFaceHit",
    "blur_faces",
    "sanitize",
]
