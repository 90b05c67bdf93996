"""What an image is: its type from its first bytes, and thumbnails of it.

Every image comes from an upstream, so every byte is untrusted. The type is read from the
magic numbers (never from a header or a file name), Pillow opens the bytes only as the
format they claim to be, and a header claiming more than ``Image.MAX_IMAGE_PIXELS`` pixels
is refused before anything is decoded (a decompression bomb).

A thumbnail fits in a ``size`` x ``size`` box with the aspect ratio kept, is never larger
than its source (a smaller source is re-encoded at its own dimensions, so every answer
follows the same rules), has its EXIF orientation applied and carries no metadata: colours
are converted to sRGB when the source embeds an ICC profile, then the profile is dropped
with the EXIF. It keeps the source format, except GIF, which becomes PNG: resampling makes
colours and partial transparency a 256-colour palette cannot hold. Animated sources give
their first frame.
"""

from __future__ import annotations

import contextlib
import io
import struct
import threading
import warnings
from collections.abc import Iterator
from typing import Any

from PIL import ExifTags, Image, ImageCms

__all__ = ["IMAGE_TYPES", "SIZES", "NotAnImage", "sniff", "thumbnail"]

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
SIZES = (150, 250, 500, 1200)

_PILLOW_FORMAT = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
_OUTPUT: dict[str, tuple[str, str, dict[str, Any]]] = {
    "image/jpeg": ("JPEG", "image/jpeg", {"quality": 85, "optimize": True}),
    "image/png": ("PNG", "image/png", {}),
    "image/gif": ("PNG", "image/png", {}),
    "image/webp": ("WEBP", "image/webp", {"quality": 85}),
}
_OUTPUT_MODES = {"JPEG": ("L", "RGB"), "PNG": ("L", "LA", "RGB", "RGBA"), "WEBP": ("RGB", "RGBA")}
_RESIZABLE_MODES = ("L", "LA", "RGB", "RGBA", "CMYK")
_SRGB = ImageCms.createProfile("sRGB")
_SRGB_MODE = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB"}
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# What Pillow's decoders raise on malformed input, besides the bomb guard's own two.
_UNDECODABLE = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    struct.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)
_EXIF_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, struct.error)
_DECODING = threading.Lock()


class NotAnImage(ValueError):
    """The bytes are not a JPEG, PNG, GIF or WebP image that can be decoded whole."""


def sniff(data: bytes) -> str | None:
    """The content type the magic numbers at the start of ``data`` announce, if an image's."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def thumbnail(data: bytes, size: int) -> tuple[bytes, str]:
    """``data`` fitted in ``size`` x ``size`` pixels, encoded, and its content type.

    Raises ``NotAnImage`` for anything that is not an image of ``IMAGE_TYPES`` that Pillow
    decodes whole (truncated files, bombs included). Blocks: call it in a thread.
    """
    if size < 1:
        raise ValueError(f"a thumbnail needs a size of at least 1 pixel, not {size}")
    content_type = sniff(data)
    if content_type is None:
        raise NotAnImage("not a JPEG, PNG, GIF or WebP image")
    try:
        with _bombs_refused():
            image, icc_profile = _decoded(data, content_type, size)
    except _UNDECODABLE as exc:
        raise NotAnImage(f"cannot decode the {content_type}: {exc}") from None
    return _encoded(_in_srgb(image, icc_profile), content_type)


@contextlib.contextmanager
def _bombs_refused() -> Iterator[None]:
    """Pillow's decompression bomb warning raised as an error, its notes on odd input muted.

    Pillow only warns between ``MAX_IMAGE_PIXELS`` and twice that, and whether a warning
    stops anything depends on the process' filters; here it always does. The filters are
    process-wide state that ``catch_warnings`` swaps and restores, so decodes take turns:
    interleaved, one thread would restore filters another had just replaced.
    """
    with _DECODING, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _decoded(data: bytes, content_type: str, size: int) -> tuple[Image.Image, bytes | None]:
    """The first frame, upright and fitted in the box, and the ICC profile it came with."""
    with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[content_type]]) as source:
        icc_profile = source.info.get("icc_profile")
        image = _resizable(source)
        image.thumbnail((size, size), Image.Resampling.LANCZOS)  # uses JPEG's draft mode
        image.load()  # a source already small enough is not resized, so not yet decoded
        transpose = _UPRIGHT.get(_orientation(image))
        return (image if transpose is None else image.transpose(transpose)), icc_profile


def _resizable(image: Image.Image) -> Image.Image:
    """``image`` in a mode Pillow resamples smoothly (palettes would be resized pixel by pixel)."""
    if image.mode in _RESIZABLE_MODES and "transparency" not in image.info:
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I"):  # 16-bit greys: scale, as convert("L") would clip
        return image.convert("I").point(lambda value: value / 257).convert("L")
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation tag (1, upright, when absent or unreadable)."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except _EXIF_ERRORS:
        return 1
    return orientation if isinstance(orientation, int) else 1


def _in_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """``image`` converted from its embedded profile to sRGB, the colours a browser assumes
    for an image without one; unchanged if there is none or it does not fit the mode."""
    mode = _SRGB_MODE.get(image.mode)
    if not icc_profile or mode is None:
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(image, profile, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted or image


def _encoded(image: Image.Image, content_type: str) -> tuple[bytes, str]:
    pillow_format, output_type, options = _OUTPUT[content_type]
    if image.mode not in _OUTPUT_MODES[pillow_format]:
        alpha = "A" in image.getbands() and pillow_format != "JPEG"
        image = image.convert("RGBA" if alpha else "RGB")
    image.info = {}  # PNG would otherwise copy the source's ICC profile from here
    out = io.BytesIO()
    image.save(out, pillow_format, **options)
    return out.getvalue(), output_type
