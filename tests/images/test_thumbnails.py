"""Thumbnails: fitted, upright, stripped of metadata, same format, never from a bomb."""

from __future__ import annotations

import io
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import ExifTags, Image, ImageCms, ImageOps

from sleeve.images.formats import SIZES, NotAnImage, thumbnail
from tests.images.samples import (
    BLUE,
    GREEN,
    RED,
    YELLOW,
    encoded,
    gif_claiming,
    jpeg_claiming,
    photo,
    png_bomb,
    png_claiming,
    quadrants,
    source,
)

KINDS = ["jpeg", "png", "gif", "webp"]
MADE_AS = {  # content type, Pillow format
    "jpeg": ("image/jpeg", "JPEG"),
    "png": ("image/png", "PNG"),
    "gif": ("image/png", "PNG"),  # a resampled GIF needs more than 256 colours
    "webp": ("image/webp", "WEBP"),
}
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(actual: object, expected: tuple[int, ...], tolerance: int = 40) -> bool:
    assert isinstance(actual, tuple)
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("shape", [(1600, 1000), (700, 1400)])
@pytest.mark.parametrize("kind", KINDS)
def test_a_thumbnail_fits_the_box_keeps_the_aspect_and_the_format(
    kind: str, shape: tuple[int, int], size: int
) -> None:
    data, content_type = thumbnail(source(kind, *shape), size)
    image = decoded(data)
    assert (content_type, image.format) == MADE_AS[kind]
    width, height = image.size
    assert max(width, height) == size
    assert abs(height - width * shape[1] / shape[0]) <= 1


@pytest.mark.parametrize("size", [150, 1200])
@pytest.mark.parametrize("kind", KINDS)
def test_a_smaller_image_is_re_encoded_at_its_own_size_not_upscaled(kind: str, size: int) -> None:
    data, content_type = thumbnail(source(kind, 120, 80), size)
    image = decoded(data)
    assert image.size == (120, 80)
    assert (content_type, image.format) == MADE_AS[kind]


def test_an_image_exactly_the_size_keeps_it() -> None:
    data, _ = thumbnail(source("jpeg", 250, 100), 250)
    assert decoded(data).size == (250, 100)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_exif_orientation_is_applied_and_then_dropped(orientation: int) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    original = encoded(quadrants(300, 200), "JPEG", quality=95, exif=exif)
    as_shown = ImageOps.exif_transpose(decoded(original))  # Pillow's reading of the tag

    image = decoded(thumbnail(original, 250)[0])

    assert image.size == ((250, 167) if as_shown.width > as_shown.height else (167, 250))
    for x, y in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)]:
        expected = as_shown.getpixel((int(x * as_shown.width), int(y * as_shown.height)))
        assert isinstance(expected, tuple)
        assert near(image.getpixel((int(x * image.width), int(y * image.height))), expected)
    assert dict(image.getexif()) == {}


def test_orientation_6_turns_a_landscape_picture_upright() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was turned clockwise
    original = encoded(quadrants(300, 200), "JPEG", quality=95, exif=exif)
    image = decoded(thumbnail(original, 150)[0])
    assert image.size == (100, 150)
    assert near(image.getpixel((25, 30)), BLUE) and near(image.getpixel((75, 30)), RED)
    assert near(image.getpixel((25, 120)), YELLOW) and near(image.getpixel((75, 120)), GREEN)


@pytest.mark.parametrize("pillow_format", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("size", [100, 1200])  # resized, and re-encoded as it is
def test_exif_and_icc_profiles_are_dropped(pillow_format: str, size: int) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "sleeve test camera"
    original = encoded(photo(400, 300), pillow_format, exif=exif, icc_profile=SRGB)
    assert {"exif", "icc_profile"} <= decoded(original).info.keys()
    image = decoded(thumbnail(original, size)[0])
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert dict(image.getexif()) == {}


def test_colours_survive_the_conversion_from_an_embedded_srgb_profile() -> None:
    original = encoded(quadrants(200, 200), "JPEG", quality=95, icc_profile=SRGB)
    image = decoded(thumbnail(original, 100)[0])
    assert near(image.getpixel((25, 25)), RED) and near(image.getpixel((75, 75)), YELLOW)


def test_an_unreadable_icc_profile_or_exif_block_is_ignored() -> None:
    original = encoded(
        quadrants(200, 200), "JPEG", icc_profile=b"not a profile", exif=b"Exif\x00\x00junk"
    )
    image = decoded(thumbnail(original, 100)[0])
    assert image.size == (100, 100)
    assert near(image.getpixel((25, 25)), RED)


def test_a_cmyk_jpeg_becomes_rgb() -> None:
    original = encoded(quadrants(200, 200).convert("CMYK"), "JPEG", quality=95)
    data, content_type = thumbnail(original, 100)
    image = decoded(data)
    assert (content_type, image.mode) == ("image/jpeg", "RGB")
    assert near(image.getpixel((25, 25)), RED)


def transparent_on_the_left(pillow_format: str) -> bytes:
    image = quadrants(400, 200).convert("RGBA")
    image.paste((0, 0, 0, 0), (0, 0, 200, 200))
    if pillow_format == "GIF":
        image = image.convert("RGB").quantize(8)
        return encoded(image, "GIF", transparency=image.getpixel((0, 0)))
    return encoded(image, pillow_format, lossless=True)


@pytest.mark.parametrize("pillow_format", ["PNG", "WEBP", "GIF"])
def test_transparency_is_kept(pillow_format: str) -> None:
    original = transparent_on_the_left(pillow_format)
    thumb = decoded(thumbnail(original, 200)[0]).convert("RGBA")
    alpha_left = thumb.getpixel((20, 50))
    alpha_right = thumb.getpixel((180, 50))
    assert isinstance(alpha_left, tuple) and isinstance(alpha_right, tuple)
    assert alpha_left[3] == 0 and alpha_right[3] == 255


def animation(pillow_format: str) -> bytes:
    frames = [Image.new("RGB", (300, 300), colour) for colour in (RED, BLUE, GREEN)]
    return encoded(frames[0], pillow_format, save_all=True, append_images=frames[1:], duration=100)


@pytest.mark.parametrize("pillow_format", ["GIF", "WEBP", "PNG"])
def test_an_animation_gives_its_first_frame(pillow_format: str) -> None:
    original = animation(pillow_format)
    assert getattr(decoded(original), "n_frames", 1) == 3
    image = decoded(thumbnail(original, 150)[0])
    assert getattr(image, "n_frames", 1) == 1
    assert image.size == (150, 150)
    assert near(image.convert("RGB").getpixel((75, 75)), RED)


def test_a_16_bit_grey_png_is_scaled_to_8_bits_not_clipped() -> None:
    original = encoded(Image.new("I;16", (300, 300), 40_000), "PNG")
    image = decoded(thumbnail(original, 150)[0])
    assert image.mode == "L"
    assert image.getpixel((75, 75)) == 155


@pytest.mark.parametrize("mode", ["1", "P", "L", "LA"])
def test_other_png_modes(mode: str) -> None:
    original = encoded(photo(300, 200).convert(mode), "PNG")
    image = decoded(thumbnail(original, 150)[0])
    assert image.size == (150, 100)
    assert image.format == "PNG"


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


NOT_IMAGES = {
    "empty": b"",
    "text": b"This is not an image, it is a sentence.\n" * 10,
    "svg": b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>",
    "bmp": encoded(photo(40, 40), "BMP"),
    "tiff": encoded(photo(40, 40), "TIFF"),
    "truncated jpeg": truncated(encoded(photo(600, 400), "JPEG")),
    "truncated progressive jpeg": truncated(encoded(photo(600, 400), "JPEG", progressive=True)),
    "truncated png": truncated(encoded(photo(600, 400), "PNG")),
    "truncated gif": truncated(encoded(photo(600, 400).quantize(64), "GIF")),
    "truncated webp": truncated(encoded(photo(600, 400), "WEBP")),
    "truncated jpeg smaller than a thumbnail": truncated(encoded(photo(60, 40), "JPEG")),
    "truncated png smaller than a thumbnail": truncated(encoded(photo(60, 40), "PNG")),
    "jpeg magic then garbage": b"\xff\xd8\xff\xe0" + b"\x13" * 500,
    "png signature then garbage": b"\x89PNG\r\n\x1a\n" + b"\x13" * 500,
    "gif header then garbage": b"GIF89a" + b"\x13" * 500,
    "webp header then garbage": b"RIFF\xf8\x01\x00\x00WEBPVP8 " + b"\x13" * 500,
    "a png with jpeg magic": b"\xff\xd8\xff" + encoded(photo(40, 40), "PNG"),
}


@pytest.mark.parametrize("data", NOT_IMAGES.values(), ids=NOT_IMAGES.keys())
def test_what_does_not_decode_whole_is_not_an_image(data: bytes) -> None:
    with pytest.raises(NotAnImage):
        thumbnail(data, 150)


BOMBS = {
    "png claiming 100000x100000": png_claiming(100_000, 100_000),
    "valid png of 10000x10000 in 12 KB": png_bomb(10_000, 10_000),  # Pillow only warns there
    "jpeg claiming 65000x65000": jpeg_claiming(65_000, 65_000),
    "gif claiming 50000x50000": gif_claiming(50_000, 50_000),
}


def test_the_valid_bomb_is_valid_and_between_pillows_two_limits() -> None:
    bomb = png_bomb(10_000, 10_000)
    assert len(bomb) < 20_000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(bomb)) as image:  # reads the header only
            pixels = image.width * image.height
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS < pixels < 2 * Image.MAX_IMAGE_PIXELS
    small = png_bomb(100, 50)
    assert decoded(small).size == (100, 50)
    assert decoded(thumbnail(small, 50)[0]).size == (50, 25)


@pytest.mark.parametrize("ambient", ["error", "default", "ignore"])
@pytest.mark.parametrize("data", BOMBS.values(), ids=BOMBS.keys())
def test_a_decompression_bomb_is_not_an_image_whatever_the_warning_filters(
    data: bytes, ambient: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter(ambient)  # type: ignore[arg-type]
        with pytest.raises(NotAnImage):
            thumbnail(data, 150)


def test_thumbnails_leave_the_warning_filters_as_they_found_them() -> None:
    before = list(warnings.filters)
    thumbnail(source("gif", 300, 200), 150)
    with pytest.raises(NotAnImage):
        thumbnail(BOMBS["valid png of 10000x10000 in 12 KB"], 150)
    assert warnings.filters == before


def test_thumbnails_made_in_many_threads_at_once() -> None:
    work = [source(kind, 600, 400) for kind in KINDS] * 4 + list(BOMBS.values()) * 2
    before = list(warnings.filters)

    def attempt(data: bytes) -> tuple[int, int] | str:
        try:
            return decoded(thumbnail(data, 150)[0]).size
        except NotAnImage:
            return "not an image"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, work))
    assert results == [(150, 100)] * 16 + ["not an image"] * 8
    assert warnings.filters == before


def test_a_size_below_one_pixel_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1 pixel"):
        thumbnail(source("jpeg", 40, 30), 0)
