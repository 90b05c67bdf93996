"""Config that helps: lists from the environment as people type them, one-line errors,
plain help, key names checked before they are printed, no third-party noise."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from sleeve.config import ConfigError, load_settings

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_cli(
    *args: str, env: dict[str, str] | None = None, home: pathlib.Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLEEVE_")}
    if home is not None:
        environment |= {"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "sleeve", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value", "read"),
    [
        ("SLEEVE_IMAGES__ALLOWED_HOSTS", "127.0.0.1", ["127.0.0.1"]),
        (
            "SLEEVE_IMAGES__ALLOWED_HOSTS",
            "127.0.0.1:9000, .example.org",
            ["127.0.0.1:9000", ".example.org"],
        ),
        ("SLEEVE_IMAGES__ALLOWED_HOSTS", '["a.example", "b.example"]', ["a.example", "b.example"]),
        ("SLEEVE_SERVER__TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1", ["10.0.0.0/8", "127.0.0.1"]),
        (
            "SLEEVE_IMAGES__SOURCES",
            "coverartarchive-release,discogs",
            ["coverartarchive-release", "discogs"],
        ),
    ],
)
def test_a_list_setting_from_the_environment_may_be_comma_separated(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, read: list[str]
) -> None:
    monkeypatch.setenv(variable, value)
    section, key = variable.removeprefix("SLEEVE_").lower().split("__")
    assert getattr(getattr(load_settings(), section), key) == read


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        (
            "SLEEVE_IMAGES__ALLOWED_HOSTS",
            "[127.0.0.1",
            "SLEEVE_IMAGES__ALLOWED_HOSTS (images.allowed_hosts) is not valid JSON: expected "
            'a JSON list (["a", "b"]) or comma-separated values (a,b)',
        ),
        (
            "SLEEVE_CLIENTS__KEYS",
            "my-tagger",
            "SLEEVE_CLIENTS__KEYS (clients.keys) is not valid JSON: expected a JSON list of "
            "objects",
        ),
        (
            "SLEEVE_CACHE__TTLS__DISCOGS",
            "release=5",
            "SLEEVE_CACHE__TTLS__DISCOGS (cache.ttls.discogs) is not valid JSON: expected a "
            "JSON object",
        ),
        ("SLEEVE_SERVER", "port=1", "or one variable per key (SLEEVE_SERVER__KEY=value)"),
        ("SLEEVE_IMAGES__SOURCES", "discogs,spotify", "images.sources.1: Input should be"),
    ],
)
def test_a_setting_from_the_environment_in_the_wrong_form_is_named_with_the_form(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert said in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("file_text", "env", "said"),
    [
        ("", {"SLEEVE_IMAGES__ALLOWED_HOSTS": "[127.0.0.1"}, "images.allowed_hosts"),
        ("", {"SLEEVE_SERVER__PORT": "http", "SLEEVE_SERVER__KEEP_ALIVE": "-1"}, "server.port"),
        ("server: [unclosed\n", {}, "not valid YAML"),
        ("- a list\n", {}, "must hold a mapping"),
        ("upstreams:\n  discogs:\n    key: only-a-key\n", {}, "key and secret go together"),
        ("clients:\n  keys: [{name: a b, sha256: x}]\n", {}, "clients.keys.0.name"),
    ],
)
@pytest.mark.parametrize("command", ["config", "serve"])
def test_a_config_sleeve_cannot_start_with_is_one_line_and_exit_2(
    tmp_path: pathlib.Path, command: str, file_text: str, env: dict[str, str], said: str
) -> None:
    config = tmp_path / "sleeve.yaml"
    config.write_text(file_text)
    result = run_cli(command, "--config", str(config), env=env, home=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("sleeve: "), result.stderr
    assert said in result.stderr


def test_every_problem_of_a_config_is_on_the_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEEVE_SERVER__PORT", "http")
    monkeypatch.setenv("SLEEVE_SERVER__KEEP_ALIVE", "-1")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert "server.port: " in str(refused.value) and "; server.keep_alive: " in str(refused.value)


def test_a_path_with_a_tilde_is_under_home(tmp_path: pathlib.Path) -> None:
    config = tmp_path / "sleeve.yaml"
    config.write_text("images:\n  path: ~/pictures\n")
    assert load_settings(config).images.path == pathlib.Path.home() / "pictures"


def test_help_is_plain_text() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "``" not in result.stdout
    assert "'serve' runs the gateway" in result.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["bad name!"], "a key name is letters, digits, '.', '_' and '-', not 'bad name!'"),
        (["tagger", "--limit", "0"], "limit: Input should be greater than or equal to 1"),
    ],
)
def test_keys_new_refuses_what_start_up_would_refuse(
    tmp_path: pathlib.Path, args: list[str], said: str
) -> None:
    result = run_cli("keys", "new", *args, home=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""  # no key printed
    assert result.stderr == f"sleeve: {said}\n".replace("sleeve: a key", "sleeve: name: a key")


def test_a_key_keys_new_prints_is_one_start_up_accepts(tmp_path: pathlib.Path) -> None:
    made = run_cli("keys", "new", "my.tagger_2", "--limit", "5", home=tmp_path)
    assert made.returncode == 0, made.stderr
    entry = made.stdout.splitlines()[-1].removeprefix("  - ")
    config = tmp_path / "sleeve.yaml"
    config.write_text(f"clients:\n  keys:\n    - {entry}\n")
    (key,) = load_settings(config).clients.keys
    assert (key.name, key.limit) == ("my.tagger_2", 5)


@pytest.mark.parametrize("args", [["cache", "purge", "/artists/1"], ["openapi"]])
def test_commands_print_no_third_party_warnings(tmp_path: pathlib.Path, args: list[str]) -> None:
    result = run_cli(*args, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
