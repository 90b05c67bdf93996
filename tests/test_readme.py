"""CI must run exactly what the README tells a newcomer to run."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_the_readme_starts_with_the_serve_then_the_test_command() -> None:
    serve, test = readme_commands()[:2]
    assert "sleeve serve" in serve
    assert "pytest" in test


def test_ci_runs_the_readmes_test_command() -> None:
    test_command = readme_commands()[1]
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()
