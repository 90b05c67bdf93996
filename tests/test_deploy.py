"""Every file in ``deploy/`` is exercised: the systemd unit verified, the example config
loaded, nginx's config tested and then run in front of a live gateway, the compose file
and the image's Dockerfile checked (issue 12, item 6).

Tools that are missing skip their test with the package to install: ``systemd``
(systemd-analyze), ``nginx``, ``openssl``; ``docker`` with its compose plugin only
sharpens the compose check (``docker compose config``), which otherwise reads the file.
"""

from __future__ import annotations

import pathlib
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from sleeve.cli import _parser
from sleeve.config import load_settings
from sleeve.emulators.discogs import DiscogsEmulator, EmulatorThread
from tests.cache.redis_server import free_port
from tests.client_windows import start_early_in_window
from tests.servers import gateway

pytestmark = pytest.mark.slow

DEPLOY = pathlib.Path(__file__).resolve().parent.parent / "deploy"
UNIT, NGINX, COMPOSE = DEPLOY / "sleeve.service", DEPLOY / "nginx.conf", DEPLOY / "compose.yaml"
CONFIG, DOCKERFILE = DEPLOY / "sleeve.yaml", DEPLOY / "Dockerfile"


def need(tool: str, package: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is missing: apt-get install -y {package}")
    return found


def unit_lines(key: str) -> list[str]:
    return [
        line.split("=", 1)[1]
        for line in UNIT.read_text().splitlines()
        if line.startswith(f"{key}=")
    ]


def installed_sleeve() -> str:
    """The ``sleeve`` command of the environment running the tests."""
    return str(pathlib.Path(sys.executable).parent / "sleeve")


# --- systemd ---------------------------------------------------------------------------


def test_the_unit_verifies_with_systemd(tmp_path: pathlib.Path) -> None:
    """A copy with ExecStart pointing at this environment's ``sleeve`` (verify checks
    that the command exists): no errors and no warnings (an unknown key is only a
    warning), and an exposure level systemd rates OK."""
    analyze = need("systemd-analyze", "systemd")
    unit = tmp_path / "sleeve.service"
    text = UNIT.read_text()
    assert text.count("/opt/sleeve/bin/sleeve") == 1
    unit.write_text(text.replace("/opt/sleeve/bin/sleeve", installed_sleeve()))
    verified = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")
    security = subprocess.run(
        [analyze, "security", "--offline=yes", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
    assert exposure, security.stdout + security.stderr
    assert float(exposure.group(1)) < 2.0, security.stdout


def test_the_units_command_is_one_sleeve_accepts() -> None:
    (command,) = unit_lines("ExecStart")
    program, *argv = shlex.split(command)
    assert program.endswith("/sleeve")
    args = _parser().parse_args(argv)
    assert (args.config, args.workers) == ("/etc/sleeve/sleeve.yaml", 2)
    assert unit_lines("User") == ["sleeve"] and unit_lines("Restart") == ["on-failure"]
    assert unit_lines("ProtectSystem") == ["strict"]


def test_the_example_config_keeps_its_state_where_the_unit_lets_it_write() -> None:
    """``deploy/sleeve.yaml`` loads, and every path it writes is under the unit's
    StateDirectory or CacheDirectory: ProtectSystem=strict makes the rest read-only."""
    settings = load_settings(CONFIG)
    writable = [pathlib.Path("/var/lib") / unit_lines("StateDirectory")[0]]
    writable.append(pathlib.Path("/var/cache") / unit_lines("CacheDirectory")[0])
    for path in (settings.cache.path, settings.images.path, settings.acousticbrainz.path):
        assert any(path.is_relative_to(directory) for directory in writable), path
    assert settings.cache.backend == "sqlite"


# --- nginx -------------------------------------------------------------------------------


def nginx_directive(name: str) -> list[str]:
    """The values of every ``name …;`` directive in deploy/nginx.conf."""
    return re.findall(rf"^\s*{name}\s+([^;{{}}\n]+);", NGINX.read_text(), re.MULTILINE)


def size_bytes(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20}
    return int(text[:-1]) * units[text[-1].lower()] if text[-1].isalpha() else int(text)


def test_nginx_and_the_gateway_agree_on_bounds_and_proxies() -> None:
    settings = load_settings(CONFIG)
    assert [size_bytes(v) for v in nginx_directive("client_max_body_size")] == [
        settings.server.max_body_bytes
    ]
    (buffers,) = nginx_directive("large_client_header_buffers")
    assert size_bytes(buffers.split()[1]) == settings.server.max_head_bytes
    (upstream,) = nginx_directive("server")
    host, port = upstream.split()[0].rsplit(":", 1)
    assert (host, int(port)) == (settings.server.host, settings.server.port)
    assert host in settings.server.trusted_proxies
    assert (
        str(settings.server.public_url).rstrip("/")
        == "https://" + nginx_directive("server_name")[0]
    )


def self_signed(directory: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    openssl = need("openssl", "openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def replaced(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced, which must be there (the copy follows the file)."""
    assert old in text, f"deploy/nginx.conf no longer has {old!r}"
    return text.replace(old, new)


def nginx_copy(directory: pathlib.Path, gateway_port: int, http: int, https: int) -> pathlib.Path:
    """deploy/nginx.conf on this test's ports and certificate, inside a main config
    whose files (pid, logs, temporary files) are all in ``directory``."""
    cert, key = self_signed(directory)
    site = NGINX.read_text()
    site = replaced(site, "server 127.0.0.1:8080;", f"server 127.0.0.1:{gateway_port};")
    site = replaced(site, "listen 80;", f"listen 127.0.0.1:{http};")
    site = replaced(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
    site = re.sub(r"^\s*listen \[::\].*\n", "", site, flags=re.MULTILINE)  # no IPv6 here
    site = replaced(site, "/etc/letsencrypt/live/sleeve.example.org/fullchain.pem", str(cert))
    site = replaced(site, "/etc/letsencrypt/live/sleeve.example.org/privkey.pem", str(key))
    (directory / "sleeve.conf").write_text(site)
    temporary = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temporary.values():
        path.mkdir()
        path.chmod(0o777)  # nginx's workers run as nobody
    main = directory / "nginx.conf"
    main.write_text(
        f"pid {directory}/nginx.pid;\n"
        f"error_log {directory}/error.log warn;\n"
        "worker_processes 1;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"    access_log {directory}/access.log;\n"
        f"    client_body_temp_path {temporary['body']};\n"
        f"    proxy_temp_path {temporary['proxy']};\n"
        f"    fastcgi_temp_path {temporary['fastcgi']};\n"
        f"    uwsgi_temp_path {temporary['uwsgi']};\n"
        f"    scgi_temp_path {temporary['scgi']};\n"
        f"    include {directory}/sleeve.conf;\n"
        "}\n"
    )
    return main


@pytest.fixture
def nginx_in_front(tmp_path: pathlib.Path) -> Iterator[tuple[str, str, ssl.SSLContext]]:
    """A gateway trusting 127.0.0.1 (anonymous clients: 2 requests a minute), behind
    deploy/nginx.conf run in the foreground; yields the https and http base URLs and a
    TLS context trusting the test's certificate."""
    nginx = need("nginx", "nginx")
    emulator = DiscogsEmulator()
    with (
        EmulatorThread(emulator) as discogs_url,
        gateway(
            discogs_url,
            server={"trusted_proxies": ["127.0.0.1"]},
            clients={"anonymous_limit": 2},
        ) as gateway_url,
    ):
        http, https = free_port(), free_port()
        while https == http:
            https = free_port()
        config = nginx_copy(tmp_path, int(gateway_url.rsplit(":", 1)[1]), http, https)
        tested = subprocess.run(
            [nginx, "-t", "-c", str(config)], capture_output=True, text=True, timeout=60
        )
        assert tested.returncode == 0, tested.stderr
        process = subprocess.Popen(
            [nginx, "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(https, process, tmp_path / "error.log")
            context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
            yield f"https://127.0.0.1:{https}", f"http://127.0.0.1:{http}", context
        finally:
            process.terminate()
            process.wait(30)


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: pathlib.Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not start: {log.read_text() if log.exists() else ''}")


def client_from(address: str, context: ssl.SSLContext) -> httpx.Client:
    """A client whose connections come from ``address`` (any of 127.0.0.0/8 is this host)."""
    transport = httpx.HTTPTransport(local_address=address, verify=context)
    return httpx.Client(transport=transport, timeout=30)


def test_through_nginx_the_gateway_answers_with_the_clients_address_and_https(
    nginx_in_front: tuple[str, str, ssl.SSLContext],
) -> None:
    public, plain, context = nginx_in_front
    start_early_in_window(needed=15)
    with client_from("127.0.0.2", context) as first:
        answer = first.get(f"{public}/artists/1")
        assert answer.status_code == 200
        # X-Forwarded-Proto: links point at the public base, in https, with its port.
        assert answer.json()["resource_url"] == f"{public}/artists/1"
        second = first.get(f"{public}/artists/2")
        third = first.get(f"{public}/artists/3")
        health = first.get(f"{public}/_sleeve/health")
    # X-Forwarded-For: the limit (2 a minute per address) counts 127.0.0.2, not nginx.
    assert [second.status_code, third.status_code] == [200, 429]
    assert health.status_code == 200 and health.json()["status"] == "ok"
    with client_from("127.0.0.3", context) as other:
        # A client cannot choose its identity: nginx replaces what it sends.
        spoofed = {"X-Forwarded-For": "127.0.0.2"}
        answers = [other.get(f"{public}/artists/1", headers=spoofed) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["X-Discogs-Ratelimit-Used"] == "1"
    redirect = httpx.get(f"{plain}/artists/1", timeout=10)
    assert redirect.status_code == 301
    assert redirect.headers["Location"].startswith("https://127.0.0.1")


def test_nginx_refuses_a_body_the_gateway_would(
    nginx_in_front: tuple[str, str, ssl.SSLContext],
) -> None:
    public, _, context = nginx_in_front
    with client_from("127.0.0.4", context) as client:
        too_big = client.post(
            f"{public}/_sleeve/cache/purge",
            content=b"{" + b" " * 70_000 + b"}",
            headers={"Content-Type": "application/json"},
        )
    assert too_big.status_code == 413


# --- compose and the image -----------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_compose_is_valid_for_docker_compose() -> None:
    docker = need("docker", "docker.io docker-compose-v2")
    if subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("docker has no compose plugin: apt-get install -y docker-compose-v2")
    checked = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"DISCOGS_TOKEN": "x", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert checked.returncode == 0, checked.stderr


def test_compose_runs_gateways_sharing_redis_and_one_image_store() -> None:
    services = compose()["services"]
    redis, gateways = services["redis"], services["gateway"]
    command = " ".join(redis["command"])
    assert "--maxmemory-policy allkeys-lru" in command and "--maxmemory " in command
    assert gateways["deploy"]["replicas"] >= 2
    env = gateways["environment"]
    assert env["SLEEVE_CACHE__BACKEND"] == "redis"
    assert env["SLEEVE_CACHE__REDIS_URL"].startswith("redis://redis:6379")
    images = env["SLEEVE_IMAGES__PATH"]
    (volume,) = [v for v in gateways["volumes"] if v.split(":")[1] == images]
    assert volume.split(":")[0] in compose()["volumes"]  # a named volume every replica mounts
    assert gateways["depends_on"]["redis"]["condition"] == "service_healthy"
    for service in (redis, gateways):
        assert service["healthcheck"]["test"]
    assert "/_sleeve/health" in " ".join(gateways["healthcheck"]["test"])
    assert "DISCOGS_TOKEN" in env["SLEEVE_UPSTREAMS__DISCOGS__TOKEN"]  # from the environment


def test_the_image_runs_sleeve_as_a_user_with_a_health_check() -> None:
    """The instructions, read: a non-root user, the health path, ``sleeve serve``."""
    text = DOCKERFILE.read_text()
    instructions = [line.split(None, 1) for line in text.splitlines() if line[:1].isupper()]
    keywords = [keyword for keyword, *_ in instructions]
    assert keywords[0] == "FROM" and "USER" in keywords and "HEALTHCHECK" in keywords
    assert "/_sleeve/health" in text and '"sleeve", "serve"' in text
    assert (DEPLOY / "Dockerfile.dockerignore").read_text().count(".venv")
    assert compose()["services"]["gateway"]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_the_image_builds() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "info"], capture_output=True).returncode != 0:
        pytest.skip("no docker daemon to build the image with (the file was read instead)")
    built = subprocess.run(
        [docker, "build", "-f", str(DOCKERFILE), str(DEPLOY.parent)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert built.returncode == 0, built.stderr[-3000:]
