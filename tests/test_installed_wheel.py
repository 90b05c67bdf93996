"""The package as users install it: a wheel that serves on its own, away from the checkout.

The wheel is built from the checkout and installed into a new virtual environment; its
dependencies are lent by this environment through a path file (so the test needs no
package index), but nothing of the checkout is on that environment's path. ``sleeve
serve`` then starts from the new environment, in an empty directory, and must answer
``/openapi.json`` with the bundled contract. ``tox`` runs the whole suite the same way:
against the installed package (``TEST_INSTALLED_PACKAGE=1``), which the last test checks.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator

import httpx
import pytest

import sleeve
from sleeve.app import SPEC_PATH
from sleeve.openapi31 import load_specification
from tests.cache.redis_server import free_port
from tests.servers import CLOSED

ROOT = pathlib.Path(__file__).resolve().parent.parent
INSTALLED = os.environ.get("TEST_INSTALLED_PACKAGE") == "1"

pytestmark = pytest.mark.slow


def _run(command: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, **options)  # type: ignore[call-overload]
    assert done.returncode == 0, f"$ {' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A new virtual environment with the freshly built wheel installed in it."""
    where = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(where), str(ROOT)])
    (wheel,) = where.glob("sleeve-*.whl")
    venv = where / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
          str(wheel)])  # fmt: skip
    site = pathlib.Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
        ).stdout.strip()
    )
    (site / "lent-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv


@pytest.fixture(scope="module")
def served(environment: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``sleeve serve`` of the installed package, run from an empty directory."""
    empty = tmp_path_factory.mktemp("elsewhere")
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("SLEEVE_")}
    env.pop("PYTHONPATH", None)
    env |= {
        "SLEEVE_CACHE__PATH": str(empty / "cache.db"),
        "SLEEVE_IMAGES__PATH": str(empty / "images"),
        "SLEEVE_ACOUSTICBRAINZ__PATH": str(empty / "acousticbrainz.db"),
        "SLEEVE_UPSTREAMS__DISCOGS__BASE_URL": CLOSED,  # no network
        "SLEEVE_SERVER__LOG_LEVEL": "warning",
    }
    log = (empty / "serve.log").open("wb")
    command = [str(environment / "bin" / "sleeve"), "serve", "--port", str(port)]
    process = subprocess.Popen(command, cwd=empty, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/_sleeve/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"sleeve serve did not start: {(empty / 'serve.log').read_text()}")
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_the_installed_wheel_serves_the_bundled_contract(served: str) -> None:
    answer = httpx.get(f"{served}/openapi.json", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == json.loads(json.dumps(load_specification(SPEC_PATH).raw))


def test_the_installed_wheel_serves_the_docs_page_and_its_files(served: str) -> None:
    """The page and the vendored Swagger UI are package data: the wheel must carry them."""
    from sleeve.docs_page import DocsAssets

    checkout = DocsAssets()
    assert httpx.get(f"{served}/docs", timeout=10).content == checkout.page.body
    for name in checkout.names:
        answer = httpx.get(f"{served}/docs/{name}", timeout=10)
        assert answer.status_code == 200, name
        assert answer.content == checkout.asset(name).body, name  # type: ignore[union-attr]


def test_the_wheel_puts_only_sleeve_into_site_packages(environment: pathlib.Path) -> None:
    python = environment / "bin" / "python"
    code = (
        "import importlib.metadata as m, sleeve.handlers, sleeve.contract;"
        "print(m.distribution('sleeve').read_text('top_level.txt').split());"
        "print(sleeve.handlers.__file__)"
    )
    top_level, handlers = _run([str(python), "-c", code], cwd=environment).stdout.splitlines()
    assert top_level == "['sleeve']"
    assert pathlib.Path(handlers).is_relative_to(environment)
    for generic in ("handlers", "adapters", "openapi"):
        find = f"import importlib.util as u; print(u.find_spec({generic!r}))"
        probe = _run([str(python), "-c", find], cwd=environment)
        assert probe.stdout.strip() == "None", f"{generic} is importable from the install"


@pytest.mark.skipif(not INSTALLED, reason="only when the suite runs against the installed package")
def test_the_suite_runs_against_the_installed_package() -> None:
    """Under tox, every import of sleeve is the installed package, not the checkout."""
    assert pathlib.Path(sleeve.__file__).is_relative_to(sys.prefix)
    assert not pathlib.Path(sleeve.__file__).is_relative_to(ROOT / "sleeve")
