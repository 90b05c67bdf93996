"""What an image is: the content type from magic numbers, whatever the bytes claim elsewhere."""

from __future__ import annotations

import pytest

from sleeve.images.formats import IMAGE_TYPES, SIZES, sniff
from tests.images.samples import encoded, photo, source


def test_the_types_and_sizes_sleeve_keeps() -> None:
    assert sorted(IMAGE_TYPES) == ["image/gif", "image/jpeg", "image/png", "image/webp"]
    assert SIZES == (150, 250, 500, 1200)


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("jpeg", "image/jpeg"), ("png", "image/png"), ("gif", "image/gif"), ("webp", "image/webp")],
)
def test_sniff_each_format(kind: str, content_type: str) -> None:
    assert sniff(source(kind, 40, 30)) == content_type


def test_sniff_both_gif_versions() -> None:
    assert sniff(b"GIF87a" + b"\0" * 20) == "image/gif"
    assert sniff(b"GIF89a" + b"\0" * 20) == "image/gif"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, world",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"%PDF-1.7\n",
        b"<!DOCTYPE html><html>",
        b"\xff\xd8",  # a JPEG's first two bytes only
        b"\x89PNG\r\n",  # a PNG signature cut short
        b"GIF88a......",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        b"RIFF\x24\x00\x00\x00WEB",
    ],
)
def test_sniff_refuses_what_is_not_an_image_sleeve_keeps(data: bytes) -> None:
    assert sniff(data) is None


@pytest.mark.parametrize("pillow_format", ["BMP", "TIFF", "ICO", "PPM"])
def test_sniff_refuses_images_of_other_formats(pillow_format: str) -> None:
    assert sniff(encoded(photo(32, 32), pillow_format)) is None
