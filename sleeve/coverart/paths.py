"""The archive's image paths: ``front``, ``back`` or an image id, maybe a thumbnail size,
maybe a file extension (``front``, ``front-250``, ``1611507818-500.jpg``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_IMAGE = re.compile(r"^(?P<which>front|back|[0-9]+)(?:-(?P<size>250|500|1200))?(?:\.[a-z]+)?$")


@dataclass(frozen=True)
class ImageRequest:
    entity: str  # release | release-group
    mbid: str
    which: str  # front | back | an image id
    size: int | None

    @property
    def upstream_path(self) -> str:
        """The archive's own path for this image (its canonical spelling)."""
        size = f"-{self.size}" if self.size else ""
        return f"/{self.entity}/{self.mbid}/{self.which}{size}"

    @property
    def immutable(self) -> bool:
        """An image id names one file forever; ``front`` may come to name another."""
        return self.which.isdigit()


def image_request(entity: str, mbid: str, image: str) -> ImageRequest | None:
    """The request ``image`` spells, or ``None`` if it is not one of the archive's forms."""
    match = _IMAGE.match(image)
    if match is None or (entity == "release-group" and match["which"] != "front"):
        return None
    return ImageRequest(entity, mbid.lower(), match["which"], int(match["size"] or 0) or None)
