"""Without redis-server the Redis half of the suite fails, saying how to install it.

A skip would let a CI image without Redis pass while testing only the SQLite backend.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_missing_redis_server_fails_the_suite_with_install_instructions() -> None:
    environment = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "redis"]
    run = subprocess.run(
        [*command, "tests/cache/test_store_counters.py"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "apt-get install redis-server" in run.stdout
    assert "skipped" not in run.stdout
