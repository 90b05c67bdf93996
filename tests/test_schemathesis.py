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

Every operation goes through every phase that can apply to it, and the test checks that
from schemathesis' JSON report: examples (``fill-missing``: cases from the schema for the
operations that have no examples), coverage (every boundary and negative case the schema
defines, however many), fuzzing and stateful (the operations reachable by links).

The run is bounded by examples, never by seconds, and reproducible with a fixed ``--seed``
and no example database. What the phases cost on two idle cores (schemathesis 4.32):
examples 4 s, coverage 18 s (some 5,600 cases, whatever ``max-examples`` says), stateful
2-8 s, fuzzing 107 s at 100 examples per operation and 55 s at 50. Generating inputs is
the cost, not the gateway (schemathesis used 85% of the CPU time), and ``--workers`` does
not help: its workers are threads. Fuzzing 50 examples instead of 100 covers the same
gateway code (line coverage of ``sleeve``, ``handlers`` and ``adapters`` over the whole
run: 31.8% against 31.75%; 30 examples fell to 28.6%), since the coverage phase already
enumerates the schema's boundaries. In the suite the test takes about 60 s on two idle
cores, as long beside one CPU-bound process and about 105 s beside two; the time limit far
above that only stops a hang.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from sleeve.app import SPEC_PATH
from sleeve.openapi31 import bundle

if TYPE_CHECKING:
    from tests.conftest import RunningEmulator

pytestmark = pytest.mark.slow

FUZZING_EXAMPLES = 50  # per operation; see the module's docstring for why not more
STATEFUL_EXAMPLES = 100  # scenarios; a few seconds
# Fixed, so that CI is reproducible; SCHEMATHESIS_SEED=… runs other cases (a search for
# what the fixed seed does not reach: several of those belong before a release).
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20240601"))
# Not the pass criterion: the run is bounded by examples. Far above a loaded run (about
# 105 s), to turn a hang (a request that never completes, a generator that never stops)
# into a failure.
HANG_GUARD = 900  # seconds
PHASES = ["examples", "coverage", "fuzzing", "stateful"]


# How much each phase does; everything else is set on the command line.
CONFIG = f"""
[phases.examples]
fill-missing = true

[phases.fuzzing.generation]
max-examples = {FUZZING_EXAMPLES}

[phases.stateful.generation]
max-examples = {STATEFUL_EXAMPLES}

# MusicBrainz' browse-or-search operations need exactly one of `query` or a linked entity.
# OpenAPI cannot say "exactly one of these parameters" (each operation's description says
# it), so a request valid by the schema alone may rightly be answered 400.
[[operations]]
include-operation-id-regex = "^list[A-Z][A-Za-z]*$"
checks.positive_data_acceptance.expected-statuses = [
    "2XX", "3XX", "400", "401", "403", "404", "409", "429", "5XX",
]

# MusicBrainz' URL operation needs exactly one of `resource` or `query`, and a TOC looked up
# must have rising offsets, one per track: neither can be said in OpenAPI.
[[operations]]
include-operation-id-regex = "^(lookupMusicBrainzUrls|lookupDiscid)$"
checks.positive_data_acceptance.expected-statuses = [
    "2XX", "3XX", "400", "401", "403", "404", "409", "429", "5XX",
]

# A barcode's check digit is its last digit's business: a schema-valid GTIN may be a 400.
[[operations]]
include-operation-id-regex = "^lookupBarcode$"
checks.positive_data_acceptance.expected-statuses = ["2XX", "3XX", "400", "401", "429", "5XX"]

# iTunes: a look-up needs one of its id parameters (which, OpenAPI cannot say), and Apple
# checks `country`, `entity` and `attribute` against its own lists of stores and kinds,
# which it changes at will: a request valid by the schema alone may rightly be a 400.
[[operations]]
include-operation-id-regex = "^(searchItunes|lookupItunes)$"
checks.positive_data_acceptance.expected-statuses = [
    "2XX", "3XX", "400", "401", "403", "404", "429", "5XX",
]

# TIDAL: a collection needs at least one `filter[…]` (which, OpenAPI cannot say), `include`
# may name at most 10 resources counting every step of every path, the steps below the
# first are checked against TIDAL's own graph of relationships, and a cursor is opaque,
# valid only as TIDAL gave it: a request valid by the schema alone may rightly be a 400.
[[operations]]
include-operation-id-regex = "^(getTidal[A-Za-z]*|searchTidal)$"
checks.positive_data_acceptance.expected-statuses = [
    "2XX", "3XX", "400", "401", "403", "404", "429", "5XX",
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
    base_url: str, config_file: pathlib.Path, document: pathlib.Path, report: pathlib.Path
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
        ",".join(PHASES),
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
        # What ran, per phase and operation, to check that nothing was left out.
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]


def untested(report: dict[str, Any]) -> list[str]:
    """What the run left out: phases that did not run, and operations that some phase
    applying to every operation (examples, coverage, fuzzing) did not test."""
    missing = [
        f"phase {name}: {outcome['status']} ({outcome['skip_reason']})"
        for name, outcome in report["phases"].items()
        if outcome["status"] != "success"
    ]
    operations = report["operations"]
    if operations["tested"] != operations["selected"]:
        missing.append(f"operations: {operations['tested']} of {operations['selected']} tested")
    for operation, rates in report["valid_rates"].items():
        missing.extend(
            f"{operation}: no {phase} cases"
            for phase in ("examples", "coverage", "fuzzing")
            if phase not in rates
        )
    # Operations that demand credentials schemathesis does not have are answered 401
    # whatever the case, so they get no acceptance rates; the report names them instead.
    accounted = set(report["valid_rates"]) | set(report["warnings"].get("missing_auth", []))
    if len(accounted) != operations["selected"]:
        missing.append(f"cases for {len(accounted)} of {operations['selected']} operations")
    return missing


def test_schemathesis_finds_no_contract_violations(
    gateway_url: str, discogs: RunningEmulator, tmp_path: pathlib.Path
) -> None:
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(CONFIG, encoding="utf-8")
    # The document the gateway runs from, in one file, rather than the root and its parts.
    document = tmp_path / "sleeve.json"
    document.write_text(json.dumps(bundle(SPEC_PATH)), encoding="utf-8")
    report_file = tmp_path / "report.json"
    arguments = schemathesis_arguments(gateway_url, config_file, document, report_file)
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
            timeout=HANG_GUARD,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"schemathesis still running after {HANG_GUARD} s, many times a run on a loaded "
            "machine: a hang guard, not a time limit (the run is bounded by examples). "
            f"Something stopped answering or generating.\n$ {' '.join(command)}\n"
            f"{_text(exc.stdout)}\n{_text(exc.stderr)}"
        ) from None

    report = (
        f"$ {' '.join(command)}\nexit code {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    assert result.returncode == 0, report
    assert not untested(json.loads(report_file.read_text(encoding="utf-8"))), report
    # The gateway forwarded what schemathesis sent: the run was not all rejected at the door.
    assert discogs.emulator.calls > 0, report
