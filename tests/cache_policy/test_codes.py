"""Barcodes and ISRCs: normalised, check digits verified, refusals that say why."""

from __future__ import annotations

import pytest

from sleeve.lookup.codes import BadCode, check_digit, checked_isrc, gtin


@pytest.mark.parametrize(
    ("given", "canonical", "upc"),
    [
        ("5012345678900", "5012345678900", None),  # EAN-13
        ("602475093060", "0602475093060", "602475093060"),  # UPC-A: a leading zero
        ("0602475093060", "0602475093060", "602475093060"),
        ("00602475093060", "0602475093060", "602475093060"),  # GTIN-14, indicator 0
        ("96385074", "96385074", None),  # EAN-8
        (" 5012345-678900 ", "5012345678900", None),  # as printed
    ],
)
def test_barcodes_are_normalised_to_ean_13(given: str, canonical: str, upc: str | None) -> None:
    code = gtin(given)
    assert (code.canonical, code.upc) == (canonical, upc)
    assert code.spellings == ((canonical, upc) if upc else (canonical,))


def test_the_check_digit_is_gs1_s() -> None:
    assert check_digit("501234567890") == 0
    assert check_digit("501234567891") == 7
    assert check_digit("60247509306") == 0


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("5012345678901", "its check digit is 1, but its other digits make it 0"),
        ("12345", "is not a barcode"),
        ("50123456789000", "GTIN-14 of a trade unit"),
        ("501234567890x", "is not a barcode"),
    ],
)
def test_a_bad_barcode_is_refused_saying_why(given: str, said: str) -> None:
    with pytest.raises(BadCode, match=said):
        gtin(given)


def test_isrcs_are_upper_cased_without_hyphens() -> None:
    assert checked_isrc("zz-ph0-98-00002") == "ZZPH09800002"
    with pytest.raises(BadCode, match="is not an ISRC"):
        checked_isrc("ZZPH0980000")
