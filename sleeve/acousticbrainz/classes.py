"""Human-readable class names for high-level documents (``map_classes=true``).

AcousticBrainz kept a ``class_mapping`` per classifier model in its database, not in the
documents, and the data dumps do not carry that table. The four models that had one are
the genre classifiers, whose classes are abbreviations (``roc``, ``folkcountry``); every
other model's classes are already readable (``danceable``, ``not_happy``). sleeve carries
those four mappings here, from the class names the models define; the others are left
as they are, as AcousticBrainz did. A class a mapping does not know is left unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["CLASS_NAMES", "with_class_names"]

CLASS_NAMES: Mapping[str, Mapping[str, str]] = {
    "genre_dortmund": {
        "alternative": "alternative",
        "blues": "blues",
        "electronic": "electronic",
        "folkcountry": "folk_country",
        "funksoulrnb": "funk_soul_rnb",
        "jazz": "jazz",
        "pop": "pop",
        "raphiphop": "rap_hiphop",
        "rock": "rock",
    },
    "genre_electronic": {
        "ambient": "ambient",
        "dnb": "drum_and_bass",
        "house": "house",
        "techno": "techno",
        "trance": "trance",
    },
    "genre_rosamerica": {
        "cla": "classical",
        "dan": "dance",
        "hip": "hip_hop",
        "jaz": "jazz",
        "pop": "pop",
        "rhy": "rhythm",
        "roc": "rock",
        "spe": "speech",
    },
    "genre_tzanetakis": {
        "blu": "blues",
        "cla": "classical",
        "cou": "country",
        "dis": "disco",
        "hip": "hiphop",
        "jaz": "jazz",
        "met": "metal",
        "pop": "pop",
        "reg": "reggae",
        "roc": "rock",
    },
}


def with_class_names(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of a high-level ``document`` with each mapped model's ``all`` keys and
    ``value`` renamed; the input is not changed."""
    mapped = copy.copy(document)
    models = document.get("highlevel")
    if isinstance(models, dict):
        mapped["highlevel"] = {
            name: _renamed(result, CLASS_NAMES[name]) if name in CLASS_NAMES else result
            for name, result in models.items()
        }
    return mapped


def _renamed(result: Any, names: Mapping[str, str]) -> Any:
    if not isinstance(result, dict):
        return result
    renamed = dict(result)
    if isinstance(result.get("all"), dict):
        renamed["all"] = {names.get(cls, cls): p for cls, p in result["all"].items()}
    if isinstance(result.get("value"), str):
        renamed["value"] = names.get(result["value"], result["value"])
    return renamed
