"""The Discogs emulator's image host: signed image URLs and real JPEG bytes behind them.

Real image URLs look like ``https://i.discogs.com/<signature>/rs:fit/g:sm/q:90/h:600/w:600/
<base64 of the original image id>.jpeg``; the signature covers everything after it, so any
change to the URL gives 404. The emulator's catalogue stores such URLs under the placeholder
``IMAGE_ROOT`` with a stand-in signature; with ``image_host="self"`` the emulator re-signs
them per request with a private HMAC key and points them at itself under ``IMAGE_PATH``:
``http://127.0.0.1:PORT/img/<signature>/rs:fit/g:sm/q:90/h:600/w:600/<id>.jpeg``.

Pure logic plus Pillow (imported only when an image is rendered): signing and checking,
parsing the signed part, and a lazy, in-memory cache of deterministic JPEGs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass

IMAGE_PATH = "/img"
IMAGE_NOT_FOUND = "Image not found."
IMAGE_TOO_QUICK = "You are making image requests too quickly."
IMAGE_CACHE_CONTROL = "public, max-age=31536000"
MAX_SIDE = 4096  # signed URLs never ask for more; a guard against rendering huge images

_SIGNED_PART = re.compile(
    r"rs:fit/g:sm/q:(?P<quality>\d{1,3})/h:(?P<height>\d{1,5})/w:(?P<width>\d{1,5})"
    r"/(?P<source>[A-Za-z0-9_-]+)\.jpeg"
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class ImageSigner:
    """HMAC-SHA256 signatures (base64url, unpadded, 43 characters) of the signed part."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def sign(self, signed_part: str) -> str:
        return _b64url(hmac.new(self._key, signed_part.encode(), hashlib.sha256).digest())

    def verify(self, signature: str, signed_part: str) -> bool:
        return hmac.compare_digest(signature.encode(), self.sign(signed_part).encode())


def signed_part_of(url: str, image_root: str) -> str:
    """``<image_root>/<signature>/<signed part>`` → ``<signed part>``."""
    if not url.startswith(image_root + "/"):
        raise ValueError(f"not an image URL under {image_root}: {url!r}")
    _signature, sep, signed_part = url[len(image_root) + 1 :].partition("/")
    if not sep:
        raise ValueError(f"image URL without a signature segment: {url!r}")
    return signed_part


def signed_url(root: str, signer: ImageSigner, signed_part: str) -> str:
    """``<root>/<signature of signed part>/<signed part>``."""
    return f"{root}/{signer.sign(signed_part)}/{signed_part}"


@dataclass(frozen=True)
class ImageSpec:
    """What a signed URL asks for: which original image, at which size and JPEG quality."""

    source: str
    width: int
    height: int
    quality: int


def parse_signed_part(signed_part: str) -> ImageSpec | None:
    """The image a signed part names, or None if it is not one the emulator can render."""
    match = _SIGNED_PART.fullmatch(signed_part)
    if match is None:
        return None
    encoded = match["source"]
    try:
        source = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    width, height, quality = int(match["width"]), int(match["height"]), int(match["quality"])
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE and 0 < quality <= 100):
        return None
    return ImageSpec(source, width, height, quality)


def render_jpeg(spec: ImageSpec) -> bytes:
    """A deterministic JPEG: a background colour derived from the image id, a centred
    block in the complementary colour and a diagonal stripe, at exactly width x height."""
    from PIL import Image, ImageDraw  # only the image host needs Pillow

    digest = hashlib.sha256(spec.source.encode()).digest()
    background = (digest[0], digest[1], digest[2])
    foreground = (255 - digest[0], 255 - digest[1], 255 - digest[2])
    image = Image.new("RGB", (spec.width, spec.height), background)
    draw = ImageDraw.Draw(image)
    w, h = spec.width, spec.height
    draw.rectangle((w // 4, h // 4, (3 * w) // 4, (3 * h) // 4), fill=foreground)
    draw.line((0, h - 1, w - 1, 0), fill=foreground, width=max(1, min(w, h) // 20))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=spec.quality)
    return buffer.getvalue()


@dataclass(frozen=True)
class RenderedImage:
    body: bytes
    etag: str


class ImageStore:
    """JPEGs rendered on first request and kept in memory."""

    def __init__(self) -> None:
        self._cache: dict[ImageSpec, RenderedImage] = {}

    def get(self, spec: ImageSpec) -> RenderedImage:
        image = self._cache.get(spec)
        if image is None:
            body = render_jpeg(spec)
            image = RenderedImage(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')
            self._cache[spec] = image
        return image


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header (weak or strong, or ``*``) names ``etag``."""
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates
