"""Images made up for the tests, in every format sleeve keeps, built with Pillow.

``photo`` has gradients and noise, so JPEG and WebP work as hard as on a cover scan;
``quadrants`` has four flat colours, so where each one ended up shows a rotation.
The ``*_claiming`` builders patch the dimensions in a tiny real file's header: a
decompression bomb as the decoder first sees it, without the bytes of one.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from typing import Any

from PIL import Image

RED = (220, 20, 20)
GREEN = (20, 200, 20)
BLUE = (20, 20, 220)
YELLOW = (230, 230, 20)


@functools.cache
def photo(width: int, height: int) -> Image.Image:
    ramp = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 40)
    across = Image.linear_gradient("L").rotate(90).resize((width, height))
    return Image.merge("RGB", (ramp, noise, across))


def quadrants(width: int, height: int) -> Image.Image:
    """Red top left, green top right, blue bottom left, yellow bottom right."""
    image = Image.new("RGB", (width, height), RED)
    half_w, half_h = width // 2, height // 2
    image.paste(GREEN, (half_w, 0, width, half_h))
    image.paste(BLUE, (0, half_h, half_w, height))
    image.paste(YELLOW, (half_w, half_h, width, height))
    return image


def encoded(image: Image.Image, pillow_format: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, pillow_format, **options)
    return out.getvalue()


@functools.cache
def source(kind: str, width: int, height: int) -> bytes:
    """A ``photo`` as a typical file of ``kind``: jpeg, png (with alpha), gif or webp."""
    image = photo(width, height)
    if kind == "jpeg":
        return encoded(image, "JPEG", quality=90)
    if kind == "png":
        with_alpha = image.copy()
        with_alpha.putalpha(Image.linear_gradient("L").resize((width, height)))
        return encoded(with_alpha, "PNG", compress_level=1)
    if kind == "gif":
        return encoded(image.quantize(256, Image.Quantize.FASTOCTREE), "GIF")
    return encoded(image, "WEBP", quality=80)


def png_claiming(width: int, height: int) -> bytes:
    data = bytearray(encoded(Image.new("RGB", (1, 1)), "PNG"))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", zlib.crc32(data[ihdr - 4 : ihdr + 13]))
    return bytes(data)


@functools.cache
def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG of black 1-bit pixels: a few kilobytes that decode to width x height."""
    rows = (b"\0" + bytes((width + 7) // 8)) * height  # each row: no filter, then the bits
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        _chunk(kind, body)
        for kind, body in [(b"IHDR", header), (b"IDAT", zlib.compress(rows, 9)), (b"IEND", b"")]
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def gif_claiming(width: int, height: int) -> bytes:
    data = bytearray(encoded(Image.new("P", (1, 1)), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)  # the logical screen
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(encoded(Image.new("RGB", (8, 8)), "JPEG"))
    frame = data.index(b"\xff\xc0") + 5  # SOF0: marker, length, precision, then height, width
    data[frame : frame + 4] = struct.pack(">HH", height, width)
    return bytes(data)
