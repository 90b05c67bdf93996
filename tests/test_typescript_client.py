"""Contract test: the TypeScript client in ``clients/typescript`` works against the gateway.

From the contract as ``sleeve openapi`` prints it, openapi-typescript generates the
client's types without a single warning; the package (openapi-fetch over those types, and
a node test that uses them) passes ``tsc --noEmit`` in strict mode; and that node test,
run against the session's gateway in front of the Discogs, MusicBrainz and Cover Art
Archive emulators, passes. Each step runs the package's own npm script, as a developer
would, and a failing step fails the test with the tool's output.

``npm ci`` runs only when ``node_modules`` was not installed from the current lockfile by
this node (a stamp file inside ``node_modules`` says so), which saves its few seconds on
every later run. The generated files and ``node_modules`` are ignored by git.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from sleeve.cli import main as sleeve_main

pytestmark = pytest.mark.slow

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "clients" / "typescript"
# Written by npm ci's caller, inside node_modules so that npm ci's wiping it forgets it.
STAMP = PACKAGE / "node_modules" / ".sleeve-installed-from"
INSTALL_TIMEOUT = 600
STEP_TIMEOUT = 300
NODE_MAJOR = 20
SUMMARY_LINE = re.compile(r"^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$", re.MULTILINE)


def _environment(**extra: str) -> dict[str, str]:
    """npm's environment without its update notices, colours or funding appeals on stderr
    (a clean stderr is what the generation check asserts)."""
    env = dict(os.environ)
    env.update(
        NO_COLOR="1",
        npm_config_update_notifier="false",
        npm_config_fund="false",
        npm_config_audit="false",
        npm_config_loglevel="warn",
        **extra,
    )
    return env


def _run(command: list[str], *, timeout: float, **extra_env: str) -> subprocess.CompletedProcess:
    """Run one step in the package; fail the test with its transcript if it fails."""
    result = subprocess.run(
        command,
        cwd=PACKAGE,
        env=_environment(**extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, _transcript(command, result)
    return result


def _transcript(command: list[str], result: subprocess.CompletedProcess) -> str:
    return (
        f"{' '.join(command)}: exit code {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


def _node_version(node: str) -> str:
    """``v20.20.2``."""
    return subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _install_fingerprint(version: str) -> str:
    """What an installed node_modules depends on: the lockfile and the node that ran npm."""
    lock = hashlib.sha256((PACKAGE / "package-lock.json").read_bytes()).hexdigest()
    return f"{lock} node {version}"


@pytest.fixture(scope="module")
def npm() -> str:
    """npm, with a node new enough for the package; skips only when there is no npm."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("npm and node are needed for the TypeScript client (Node 20 or later)")
    version = _node_version(node)
    assert int(version.removeprefix("v").split(".")[0]) >= NODE_MAJOR, (
        f"the TypeScript client needs Node {NODE_MAJOR} or later, not {version}"
    )

    fingerprint = _install_fingerprint(version)
    if not STAMP.is_file() or STAMP.read_text(encoding="utf-8") != fingerprint:
        _run([npm, "ci"], timeout=INSTALL_TIMEOUT)
        STAMP.write_text(fingerprint, encoding="utf-8")
    return npm


def test_typescript_client_against_the_gateway(npm: str, gateway_url: str) -> None:
    # The bundled document, exactly as `sleeve openapi -o` writes it for a developer.
    assert sleeve_main(["openapi", "-o", str(PACKAGE / "openapi.json")]) == 0

    command = [npm, "run", "--silent", "generate"]
    generated = _run(command, timeout=STEP_TIMEOUT)
    transcript = _transcript(command, generated)
    # openapi-typescript marks a problem in the document with ⚠ (a warning) or ✘.
    assert "⚠" not in transcript and "✘" not in transcript, transcript
    assert "warn" not in transcript.lower(), transcript
    assert generated.stderr.strip() == "", transcript
    assert (PACKAGE / "src" / "schema.ts").is_file(), transcript

    _run([npm, "run", "--silent", "typecheck"], timeout=STEP_TIMEOUT)

    command = [npm, "run", "--silent", "test"]
    tested = _run(command, timeout=STEP_TIMEOUT, GATEWAY_URL=gateway_url)
    # node's TAP summary: some tests ran, and none failed or was skipped.
    summary = dict(SUMMARY_LINE.findall(tested.stdout))
    transcript = _transcript(command, tested)
    assert int(summary.get("tests", "0")) > 0, transcript
    assert summary.get("pass") == summary["tests"], transcript
