"""Media: validation by content, sanitising (metadata removed by re-encoding pixels), face
blurring, platform renditions, signed URLs and content-addressed storage.

Public API (import from here): :func:`sanitize`, :class:`SanitizedMedia`, :class:`MediaStore`
(:class:`LocalMediaStore`; ``publisher.media.s3`` for a bucket),
:func:`blur_faces`, :class:`FaceBlurResult`, :class:`FaceBox`, :func:`render_for_platform`,
:func:`before_after_collage`, :class:`BannerText`, :class:`MediaLimits` (a platform's limits,
passed in), :func:`sign_media_url`, :func:`verify_media_signature`.
Errors: :class:`publisher.core.errors.MediaRejected`.
Importing this package loads no model and reads no settings.
"""

from publisher.media.faces import FaceBlurResult, FaceBox, blur_faces
from publisher.media.limits import MediaLimits
from publisher.media.model import SanitizedMedia, VideoFaceHit
from publisher.media.render import BannerText, before_after_collage, render_for_platform
from publisher.media.sanitize import sanitize
from publisher.media.signing import sign_media_url, verify_media_signature, verify_media_url
from publisher.media.store import LocalMediaStore, MediaStore
from publisher.media.video import VideoLimits

__all__ = [
    "BannerText",
    "FaceBlurResult",
    "FaceBox",
    "LocalMediaStore",
    "MediaLimits",
    "MediaStore",
    "SanitizedMedia",
    "VideoFaceHit",
    "VideoLimits",
    "before_after_collage",
    "blur_faces",
    "render_for_platform",
    "sanitize",
    "sign_media_url",
    "verify_media_signature",
    "verify_media_url",
]
