"""Contract test: schemathesis, every check and every phase, against a running gateway.

The schemathesis CLI reads the contract bundled into one file (the document ``/openapi.json``
serves) and throws generated requests at the session's gateway (which validates its own
answers, so an answer off the contract is a 500) in front of the Discogs emulator. Any
failure fails the test with schemathesis' report.

All checks run, none excluded or reconfigured:

- ``ignored_auth`` understands that security lists ``{}`` (anonymous access is allowed; sleeve
  then uses its own Discogs credentials) and only probes operations that demand credentials.
- ``use_after_free`` and ``ensure_resource_availability`` follow DELETE and create operations;
  sleeve has none, so they pass without applying.
- ``positive_data_acceptance`` in the stateful phase feeds values taken from responses into
  other operations, including links schemathesis infers itself: a search result's
  ``master_id: 0`` (Discogs' "no master") reaches ``/masters/0``, which the contract accepts
  and answers 404, as Discogs does.

The run is bounded by ``--max-examples`` per operation and reproducible with a fixed
``--seed`` and no example database; it takes well under a minute on two cores.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from typing import TYPE_CHECKING

from sleeve.app import SPEC_PATH
from sleeve.openapi31 import bundle

if TYPE_CHECKING:
    from tests.conftest import RunningEmulator

MAX_EXAMPLES = 100
SEED = 20_240_601
RUN_TIMEOUT = 170  # seconds; the run itself takes a fraction of this


# Everything else is set on the command line.
CONFIG = """
# MusicBrainz' browse-or-search operations need exactly one of `query` or a linked entity.
# OpenAPI cannot say "exactly one of these parameters" (each operation's description says
# it), so a request valid by the schema alone may rightly be answered 400.
[[operations]]
include-operation-id-regex = "^list[A-Z][A-Za-z]*$"
checks.positive_data_acceptance.expected-statuses = [
    "2XX", "3XX", "400", "401", "403", "404", "409", "429", "5XX",
]

# AcousticBrainz' submissions and datasets are gone with the service: the document's one
# answer to them is 410, however valid the request.
[[operations]]
include-operation-id-regex = "^(submitLowLevel|[a-z]+Dataset[A-Za-z]*)$"
checks.positive_data_acceptance.expected-statuses = ["410", "429"]
"""


def _schemathesis_command() -> list[str]:
    """The CLI of the schemathesis installed next to this interpreter."""
    script = pathlib.Path(sys.executable).parent / "schemathesis"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "schemathesis.cli"]


def _text(output: str | bytes | None) -> str:
    """Output captured so far (bytes even in text mode when a run times out)."""
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""


def schemathesis_arguments(
    base_url: str, config_file: pathlib.Path, document: pathlib.Path
) -> list[str]:
    return [
        # An empty config of our own, so that no schemathesis.toml found by walking up from
        # the working directory changes what runs.
        "--config-file",
        str(config_file),
        "--no-color",
        "run",
        str(document),
        "--url",
        base_url,
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        # Without a stored database every run generates the same cases from the seed,
        # instead of replaying whatever failed in some earlier run.
        "--generation-database",
        "none",
        # Report every failing operation, not just the first failure of each.
        "--continue-on-failure",
        "--request-timeout",
        "10",
    ]


def test_schemathesis_finds_no_contract_violations(
    gateway_url: str, discogs: RunningEmulator, tmp_path: pathlib.Path
) -> None:
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(CONFIG, encoding="utf-8")
    # The document the gateway runs from, in one file, rather than the root and its parts.
    document = tmp_path / "sleeve.json"
    document.write_text(json.dumps(bundle(SPEC_PATH)), encoding="utf-8")
    arguments = schemathesis_arguments(gateway_url, config_file, document)
    command = [*_schemathesis_command(), *arguments]
    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}

    try:
        result = subprocess.run(
            command,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=RUN_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"schemathesis did not finish within {RUN_TIMEOUT} s: {' '.join(command)}\n"
            f"{_text(exc.stdout)}\n{_text(exc.stderr)}"
        ) from None

    report = (
        f"$ {' '.join(command)}\nexit code {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    assert result.returncode == 0, report
    # The gateway forwarded what schemathesis sent: the run was not all rejected at the door.
    assert discogs.emulator.calls > 0, report
