"""Release hygiene: one version, a licence that matches the metadata, a changelog, and a
test extra light enough to need no client library (the clients extra has those)."""

from __future__ import annotations

import configparser
import importlib.metadata
import pathlib
import re
import tomllib

import pytest

import sleeve
from sleeve.config import DEFAULT_USER_AGENT, load_settings

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CLIENT_LIBRARIES = {
    "python3-discogs-client", "musicbrainzngs", "beets", "openapi-python-client",
    "itunespy", "spotipy", "minim",
}  # fmt: skip


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0] for requirement in requirements}


def test_the_version_is_written_once_in_the_package() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    source = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]
    assert source == {"attr": "sleeve.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", sleeve.__version__)


def test_the_installed_metadata_and_the_user_agent_say_that_version() -> None:
    assert importlib.metadata.version("sleeve") == sleeve.__version__
    assert f"sleeve/{sleeve.__version__} +{sleeve.__url__}" == DEFAULT_USER_AGENT
    upstreams = load_settings().upstreams
    for name in ("discogs", "musicbrainz", "coverartarchive", "acousticbrainz"):
        assert getattr(upstreams, name).user_agent == DEFAULT_USER_AGENT


def test_the_licence_is_the_mit_licence_the_metadata_names() -> None:
    assert PYPROJECT["project"]["license"] == {"text": "MIT"}
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) \d{4} the sleeve authors$", licence, flags=re.M)


def test_the_changelog_keeps_a_changelog_with_this_version_and_unreleased() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in changelog
    headings = re.findall(r"^## \[([^\]]+)\]", changelog, flags=re.M)
    assert headings[0] == "Unreleased"
    assert sleeve.__version__ in headings
    for heading in headings:  # every heading links somewhere
        assert re.search(rf"^\[{re.escape(heading)}\]: https://", changelog, flags=re.M)


def test_the_test_extra_needs_no_client_library_and_the_clients_extra_has_them() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert not names(extras["test"]) & CLIENT_LIBRARIES
    assert names(extras["clients"]) == CLIENT_LIBRARIES
    assert {"pytest", "pytest-asyncio", "httpx", "schemathesis"} <= names(extras["test"])


def test_tox_runs_the_suite_with_every_extra() -> None:
    tox = configparser.ConfigParser()
    tox.read(ROOT / "tox.ini")
    assert set(tox["testenv"]["extras"].split()) == {"test", "clients"}


@pytest.mark.parametrize("extra", ["test", "clients"])
def test_the_installed_package_declares_its_extras(extra: str) -> None:
    assert extra in (importlib.metadata.metadata("sleeve").get_all("Provides-Extra") or [])


def test_the_wheel_lists_every_package_of_the_checkout() -> None:
    """The package list is written out (so that no generic top-level name lands in
    site-packages): a new package must be in it, or the installed wheel cannot import it."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "sleeve").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found <= listed, f"not in [tool.setuptools] packages: {sorted(found - listed)}"
