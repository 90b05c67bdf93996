"""Barcodes (GTINs) and ISRCs as the sources spell them, checked before anyone is asked.

A release's barcode is a GTIN: UPC-A (12 digits, North America), EAN-13 (13), EAN-8 (8),
or GTIN-14 (14, a leading packaging indicator). The same UPC-A is the EAN-13 with a
leading zero, and sources keep whichever they were given: Discogs and MusicBrainz store
the printed digits, iTunes and Spotify UPCs mostly as 12 or 13 digits. So a barcode is
normalised to one canonical form (EAN-13 for 12 to 14 digits, EAN-8 as it is), its
check digit verified (a typo's mismatch is a 400 naming it, not five useless upstream
calls), and asked of each source in each spelling it may hold (:attr:`Gtin.spellings`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BadCode", "Gtin", "check_digit", "checked_isrc", "gtin"]

_DIGITS = re.compile(r"[0-9]{8}|[0-9]{12,14}")
_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")


class BadCode(ValueError):
    """A barcode or ISRC that cannot be one; the message says why, for the client."""


@dataclass(frozen=True)
class Gtin:
    """A checked barcode: ``canonical`` is its EAN-13 (or EAN-8) form."""

    canonical: str

    @property
    def upc(self) -> str | None:
        """The 12-digit UPC-A, when this EAN-13 is one (a leading zero)."""
        if len(self.canonical) == 13 and self.canonical.startswith("0"):
            return self.canonical[1:]
        return None

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every form a source may have stored: the EAN-13, then the UPC-A if any."""
        return (self.canonical,) if self.upc is None else (self.canonical, self.upc)

    def __str__(self) -> str:
        return self.canonical


def check_digit(digits: str) -> int:
    """The GS1 check digit of ``digits`` (a GTIN without its last digit): weights 3 and 1
    alternate from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def gtin(text: str) -> Gtin:
    """``text`` as a checked GTIN; :class:`BadCode` naming what is wrong otherwise."""
    digits = text.strip().replace(" ", "").replace("-", "")
    if not _DIGITS.fullmatch(digits):
        raise BadCode(
            f"{text[:40]!r} is not a barcode: a GTIN is 8, 12, 13 or 14 digits "
            "(EAN-8, UPC-A, EAN-13, GTIN-14)."
        )
    expected = check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise BadCode(
            f"{digits} is not a valid barcode: its check digit is {digits[-1]}, "
            f"but its other digits make it {expected}."
        )
    if len(digits) == 8:
        return Gtin(digits)
    if len(digits) == 14:
        if not digits.startswith("0"):
            raise BadCode(
                f"{digits} is a GTIN-14 of a trade unit (indicator {digits[0]}), not of "
                "a release: use the barcode on the release itself."
            )
        digits = digits[1:]
    return Gtin(digits.zfill(13))


def checked_isrc(text: str) -> str:
    """``text`` as an ISRC (``CC-XXX-YY-NNNNN`` with or without hyphens, any case), in
    its 12-character form; :class:`BadCode` otherwise."""
    code = text.strip().replace("-", "").upper()
    if not _ISRC.fullmatch(code):
        raise BadCode(
            f"{text[:40]!r} is not an ISRC: 2 letters (country), 3 letters or digits "
            "(registrant), 7 digits (year and designation), e.g. USRC17607839."
        )
    return code
