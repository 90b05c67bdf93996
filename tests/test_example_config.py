"""sleeve.example.yaml and the README's configuration block are valid as they stand, and
the example shows every setting at its default."""

from __future__ import annotations

import pathlib
import re
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from sleeve.config import Settings, load_settings, masked_dump

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "sleeve.example.yaml"


@pytest.fixture(autouse=True)
def plain_home(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Default paths and ``~`` both under one home, so the two can be compared."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)


def setting_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every setting's dotted path; sections are walked, leaves (lists, dicts) are not."""
    paths = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths |= setting_paths(annotation, f"{prefix}{name}.")
        else:
            paths.add(prefix + name)
    return paths


def written_paths(data: dict[str, Any], model: type[BaseModel], prefix: str = "") -> set[str]:
    paths = set()
    for name, value in data.items():
        annotation = model.model_fields[name].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths |= written_paths(value, annotation, f"{prefix}{name}.")
        else:
            paths.add(prefix + name)
    return paths


def test_the_example_holds_every_setting() -> None:
    written = yaml.safe_load(EXAMPLE.read_text())
    assert set(written) == set(Settings.model_fields)  # every section
    assert written_paths(written, Settings) == setting_paths(Settings)


def test_the_example_loads_and_shows_the_defaults() -> None:
    example = masked_dump(load_settings(EXAMPLE))
    defaults = masked_dump(load_settings())
    for upstream in example["upstreams"].values():
        # The example's User-Agent names a version; the default follows the package's.
        assert re.fullmatch(r"sleeve/\S+ \+https://\S+", upstream.pop("user_agent"))
    for upstream in defaults["upstreams"].values():
        upstream.pop("user_agent")
    assert example == defaults


def test_the_example_holds_no_secret() -> None:
    settings = load_settings(EXAMPLE)
    discogs = settings.upstreams.discogs
    assert (discogs.token, discogs.key, discogs.secret, settings.server.admin_token) == (None,) * 4


def test_the_readmes_configuration_block_is_valid_and_points_at_the_example(
    tmp_path: pathlib.Path,
) -> None:
    section = (ROOT / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ")[0]
    assert "sleeve.example.yaml" in section
    (block,) = re.findall(r"```yaml\n(.+?)\n```", section, flags=re.DOTALL)
    config = tmp_path / "readme.yaml"
    config.write_text(block)
    assert load_settings(config).server.port == 8080
