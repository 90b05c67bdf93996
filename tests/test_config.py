"""Settings: YAML file, environment overrides, errors that name the key, masked secrets."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from sleeve.config import ConfigError, load_settings

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLEEVE_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "sleeve", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=60,
    )


def test_defaults_need_nothing() -> None:
    settings = load_settings()
    assert str(settings.upstreams.discogs.base_url).startswith("https://api.discogs.com")
    assert settings.upstreams.discogs.user_agent.startswith("sleeve/")
    for name in ("musicbrainz", "coverartarchive"):
        assert getattr(settings.upstreams, name).base_url
    # AcousticBrainz closed in 2022: no server to ask unless a self-hosted one is set.
    assert settings.upstreams.acousticbrainz.base_url is None


def test_file_then_environment(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sleeve.yaml"
    path.write_text("server:\n  port: 9000\nupstreams:\n  discogs:\n    timeout: 7\n")
    monkeypatch.setenv("SLEEVE_UPSTREAMS__DISCOGS__TIMEOUT", "9.5")
    monkeypatch.setenv("SLEEVE_UPSTREAMS__DISCOGS__TOKEN", "from-env")
    settings = load_settings(path)
    assert settings.server.port == 9000
    assert settings.upstreams.discogs.timeout == 9.5
    assert settings.upstreams.discogs.token is not None
    assert settings.upstreams.discogs.token.get_secret_value() == "from-env"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("server:\n  prot: 1\n", "server.prot"),
        ("upstreams:\n  discogs:\n    timeout: -1\n", "upstreams.discogs.timeout"),
        ("upstreams:\n  discogs:\n    base_url: not a url\n", "upstreams.discogs.base_url"),
        ("upstreams:\n  discogs:\n    key: only-a-key\n", "upstreams.discogs"),
        ("- a list\n", "mapping"),
        ("server: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: pathlib.Path, text: str, named: str) -> None:
    path = tmp_path / "sleeve.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_settings(path)


def test_sleeve_config_masks_secrets() -> None:
    result = run_cli("config", env={"SLEEVE_UPSTREAMS__DISCOGS__TOKEN": "do-not-print-me"})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["upstreams"]["discogs"]["token"] == "**********"
    assert "do-not-print-me" not in result.stdout + result.stderr


def test_a_bad_config_stops_start_up_naming_the_key(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "sleeve.yaml"
    path.write_text("upstreams:\n  discogs:\n    connect_timeout: soon\n")
    result = run_cli("serve", "--config", str(path))
    assert result.returncode == 2
    assert "upstreams.discogs.connect_timeout" in result.stderr


def test_lifetimes_are_per_upstream_and_one_kind_keeps_the_others_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLEEVE_CACHE__TTLS__MUSICBRAINZ__SEARCH", "30")
    settings = load_settings(cache={"ttls": {"discogs": {"release": 5}}})
    ttls = settings.cache.ttls.by_upstream()
    assert ttls["discogs"]["release"] == 5
    assert ttls["discogs"]["artist"] == 86400  # untouched
    assert ttls["musicbrainz"]["search"] == 30
    assert ttls["musicbrainz"]["release"] == 86400  # not Discogs' 5
    assert set(ttls["coverartarchive"]) == {"listing", "image"}


@pytest.mark.parametrize(
    ("ttls", "said"),
    [
        ({"release": 5}, "lifetimes are per upstream: write cache.ttls.discogs.release"),
        ({"discogs": {"relase": 5}}, "no kind 'relase' for discogs; its kinds are artist"),
        ({"musicbrainz": {"search": -1}}, "search: a lifetime is a finite number of seconds"),
        ({"musicbrainz": {"search": float("inf")}}, "search: a lifetime is a finite number"),
        ({"coverartarchive": {"image": float("nan")}}, "image: a lifetime is a finite number"),
        ({"qobuz": {"album": 5}}, "cache.ttls.qobuz"),
    ],
)
def test_a_lifetime_that_cannot_be_is_refused_by_name(ttls: dict, said: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(said)):
        load_settings(cache={"ttls": ttls})


def test_an_upstream_whose_kinds_are_all_commented_out_keeps_its_defaults(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "sleeve.yaml"
    path.write_text("cache:\n  ttls:\n    discogs:\n      # release: 5\n")
    assert load_settings(path).cache.ttls.discogs["release"] == 86400


def test_sleeve_openapi_prints_the_bundled_contract(tmp_path: pathlib.Path) -> None:
    from sleeve.app import SPEC_PATH
    from sleeve.openapi31 import bundle

    printed = run_cli("openapi")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == json.loads(json.dumps(bundle(SPEC_PATH)))
    written = run_cli("openapi", "--output", str(tmp_path / "sleeve.json"))
    assert written.returncode == 0 and written.stdout == ""
    assert json.loads((tmp_path / "sleeve.json").read_text()) == json.loads(printed.stdout)


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        ("redis://sleeve:pa@ss@cache:6379/0", ["pa@ss", "ss@"]),
        ("redis://cache:6379/0?password=hunter2&db=1", ["hunter2"]),
        ("rediss://:s3cret@cache/0", ["s3cret"]),
    ],
)
def test_sleeve_config_masks_every_redis_password(url: str, secrets: list[str]) -> None:
    shown = run_cli("config", env={"SLEEVE_CACHE__REDIS_URL": url})
    assert shown.returncode == 0, shown.stderr
    masked = json.loads(shown.stdout)["cache"]["redis_url"]
    assert "**********" in masked and "cache" in masked
    assert not [secret for secret in secrets if secret in shown.stdout]
