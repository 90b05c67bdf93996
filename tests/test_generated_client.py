"""Contract test: a client generated from the contract works against the gateway.

openapi-python-client generates a package from the document bundled from
``openapi/sleeve.yaml`` and its parts (what ``/openapi.json`` serves) without a single
warning, and that package, imported fresh, talks to a running gateway: typed models come
back, and pagination links point at the gateway rather than upstream.
"""

from __future__ import annotations

import importlib
import json
import os
import pathlib
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from sleeve.app import SPEC_PATH
from sleeve.openapi31 import bundle
from tests.client_libraries import require

require("openapi_python_client", "openapi-python-client")

# openapi-python-client names the package after the document's title ("sleeve").
PACKAGE = "sleeve_client"
GENERATION_TIMEOUT = 60


def _generator_environment() -> dict[str, str]:
    """The environment with this interpreter's scripts first on PATH.

    The generator formats its output with ``ruff`` (its post-hooks) and warns when ruff is
    not on PATH; the test environment installs ruff next to the interpreter.
    """
    scripts = pathlib.Path(sys.executable).parent
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(scripts), env.get("PATH", "")])
    return env


def _generator_command() -> list[str]:
    script = pathlib.Path(sys.executable).parent / "openapi-python-client"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "openapi_python_client"]


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, imported from a temporary directory; forgotten afterwards."""
    tmp_path = tmp_path_factory.mktemp("generated-client")
    output = tmp_path / PACKAGE
    # The document the gateway runs from, in one file, rather than the root and its parts.
    document = tmp_path / "sleeve.json"
    document.write_text(json.dumps(bundle(SPEC_PATH)), encoding="utf-8")
    result = subprocess.run(
        [
            *_generator_command(),
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(output),
            "--meta",
            "none",
            "--config",
            str(SPEC_PATH.parent / "python-client.yaml"),
            "--fail-on-warning",
        ],
        cwd=tmp_path,
        env=_generator_environment(),
        capture_output=True,
        text=True,
        timeout=GENERATION_TIMEOUT,
        check=False,
    )
    transcript = (
        f"exit code {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    assert result.returncode == 0, transcript
    assert "warning" not in transcript.lower(), transcript
    # Nothing but the progress line: no skipped schemas, no failed post-hooks.
    assert result.stdout.strip() == f"Generating {output}", transcript
    assert result.stderr.strip() == "", transcript
    assert (output / "__init__.py").is_file(), transcript

    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_generated_client_reads_an_artist(generated_client: ModuleType, gateway_url: str) -> None:
    get_artist = importlib.import_module(f"{PACKAGE}.api.database.get_artist")
    models = importlib.import_module(f"{PACKAGE}.models")

    with generated_client.Client(base_url=gateway_url, raise_on_unexpected_status=True) as client:
        response = get_artist.sync_detailed(client=client, artist_id=1)

    assert response.status_code == 200, response.content
    artist = response.parsed
    assert isinstance(artist, models.Artist)
    assert artist.id == 1
    assert artist.name == "The Example Ensemble"
    assert artist.resource_url == f"{gateway_url}/artists/1"


def test_generated_client_reads_an_unknown_artist_as_error(
    generated_client: ModuleType, gateway_url: str
) -> None:
    get_artist = importlib.import_module(f"{PACKAGE}.api.database.get_artist")
    models = importlib.import_module(f"{PACKAGE}.models")

    with generated_client.Client(base_url=gateway_url, raise_on_unexpected_status=True) as client:
        response = get_artist.sync_detailed(client=client, artist_id=999_999)

    assert response.status_code == 404, response.content
    assert isinstance(response.parsed, models.Error)
    assert response.parsed.message


def test_generated_client_pages_through_the_gateway(
    generated_client: ModuleType, gateway_url: str
) -> None:
    get_artist_releases = importlib.import_module(f"{PACKAGE}.api.database.get_artist_releases")
    models = importlib.import_module(f"{PACKAGE}.models")

    with generated_client.Client(base_url=gateway_url, raise_on_unexpected_status=True) as client:
        response = get_artist_releases.sync_detailed(client=client, artist_id=1, page=2, per_page=5)

    assert response.status_code == 200, response.content
    page = response.parsed
    assert isinstance(page, models.ArtistReleases)
    assert (page.pagination.page, page.pagination.per_page) == (2, 5)
    assert len(page.releases) == 5
    assert all(isinstance(entry, models.ArtistRelease) for entry in page.releases)
    # ``next`` shadows a builtin, so the generator names the attribute ``next_``.
    next_url = page.pagination.urls.next_
    assert isinstance(next_url, str)
    assert next_url.startswith(f"{gateway_url}/artists/1/releases?"), next_url
    assert "page=3" in next_url and "per_page=5" in next_url, next_url
    assert page.pagination.urls.prev.startswith(f"{gateway_url}/artists/1/releases?")
