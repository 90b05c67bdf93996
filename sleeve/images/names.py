"""Which stored blob is which image: small files naming a digest, one per image and size.

``root/discogs/releases/1/0/full`` holds ``<sha256> image/jpeg``. Plain files, because
the images live on this host's disk anyway, every process on it sees them, and a
rename makes each one appear whole or not at all.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import secrets
from dataclasses import dataclass

_NAME = re.compile(r"^[a-z0-9]+(/[a-z0-9]+)*$")
_RECORD = re.compile(r"^([0-9a-f]{64}) (image/[a-z.+-]+)$")


@dataclass(frozen=True, slots=True)
class StoredImage:
    digest: str
    content_type: str


class NameIndex:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = pathlib.Path(root)

    async def get(self, name: str) -> StoredImage | None:
        return await asyncio.to_thread(self._read, self._path(name))

    async def put(self, name: str, image: StoredImage) -> None:
        await asyncio.to_thread(self._write, self._path(name), image)

    def _path(self, name: str) -> pathlib.Path:
        if not _NAME.fullmatch(name):
            raise ValueError(f"not an image name: {name!r}")
        return self._root / name

    @staticmethod
    def _read(path: pathlib.Path) -> StoredImage | None:
        try:
            record = _RECORD.fullmatch(path.read_text(encoding="ascii").strip())
        except (OSError, UnicodeDecodeError):
            return None
        return StoredImage(record.group(1), record.group(2)) if record else None

    @staticmethod
    def _write(path: pathlib.Path, image: StoredImage) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
        temporary.write_text(f"{image.digest} {image.content_type}\n", encoding="ascii")
        os.replace(temporary, path)
