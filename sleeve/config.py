"""Settings: a YAML file, overridden by ``SLEEVE_<SECTION>__<KEY>`` environment variables.

pydantic-settings does the parsing, nesting and type checks; this module only declares
the shape and the defaults. Unknown keys are errors, so a typo in a file stops start-up
instead of being silently ignored. Upstream credentials are ``SecretStr``: they print as
``**********`` wherever a setting is shown.
"""

from __future__ import annotations

import ipaddress
import math
import os
import pathlib
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from . import __url__, __version__
from .backends.urls import masked_url
from .coverart import kinds as coverart_kinds
from .discogs import kinds as discogs_kinds
from .itunes import kinds as itunes_kinds
from .musicbrainz import kinds as musicbrainz_kinds
from .settings_env import EnvironmentSource, EnvValueError
from .spotify import kinds as spotify_kinds
from .tidal import kinds as tidal_kinds

DEFAULT_USER_AGENT = f"sleeve/{__version__} +{__url__}"


def _user_cache_dir() -> pathlib.Path:
    base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(base) / "sleeve"


def _user_data_dir() -> pathlib.Path:
    base = os.environ.get("XDG_DATA_HOME") or pathlib.Path.home() / ".local" / "share"
    return pathlib.Path(base) / "sleeve"


# A path as people write it in a file or a variable: ``~/.cache/sleeve`` means their home,
# not a directory named ``~`` under the working directory.
UserPath = Annotated[pathlib.Path, AfterValidator(lambda path: path.expanduser())]


class ConfigError(Exception):
    """A configuration that sleeve cannot start with; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    public_url: AnyHttpUrl | None = Field(
        None, description="Base URL clients reach sleeve at; by default taken from each request."
    )
    validate_responses: bool = Field(
        False, description="Check every answer against the OpenAPI document (costs CPU)."
    )
    log_level: str = Field("info", pattern="^(critical|error|warning|info|debug)$")
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as text, or one JSON object per line (for collectors)."
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token GET /metrics requires; none: open, like the stats pages. "
        "Not the admin token, so a scraper never holds the power to purge.",
    )
    admin_token: SecretStr | None = Field(
        None, description="Bearer token for admin operations (cache purge); none disables them."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (10.0.0.0/8) whose X-Forwarded-For/-Proto are "
        "believed; from anyone else they are ignored. Empty: nobody's.",
    )
    max_body_bytes: int = Field(
        64 << 10, ge=1, description="Largest request body read (413 past it)."
    )
    max_head_bytes: int = Field(
        32 << 10,
        ge=1024,
        description="Largest request line and headers (431 past it); the contract's longest "
        "valid query is 16 KB, like Discogs' own limit.",
    )
    head_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds for a request's head to arrive, else the connection closes.",
    )
    # Longer than common clients keep an idle connection (httpx 5 s, aiohttp 15 s), so
    # that the client closes first: a server closing at the moment a client reuses the
    # connection makes that request fail with a reset.
    keep_alive: float = Field(20.0, gt=0, description="Seconds an idle connection is kept.")
    max_connections: int = Field(
        1000, ge=1, description="Connections and requests at once; past it, 503 at once."
    )
    workers: int = Field(
        1,
        ge=1,
        le=512,
        description="Worker processes sharing the port (sleeve serve --workers); with the "
        "embedded cache they share its file, the limits and the image budget through SQLite.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an address or a network") from None
        return entries


class UpstreamSettings(_Section):
    base_url: AnyHttpUrl
    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=1)
    connect_timeout: float = Field(5.0, gt=0)
    timeout: float = Field(20.0, gt=0, description="Total time for one upstream call.")
    max_wait: float = Field(
        20.0, ge=0, description="How long a client's request may wait for an upstream slot."
    )
    rate_limit: int = Field(1, ge=1, description="Calls allowed per window.")
    window: float = Field(1.0, gt=0, description="The upstream's window, in seconds.")
    window_margin: float = Field(
        0.0,
        ge=0,
        description="Seconds added to the window sleeve keeps, so that calls delayed on the "
        "way cannot squeeze into one upstream window.",
    )
    attempts: int = Field(3, ge=1, description="Tries per call, retries included.")
    max_answer_bytes: int = Field(
        32 << 20, ge=1024, description="Largest answer read, decompressed (502 past it)."
    )
    breaker_failures: int = Field(5, ge=1, description="Failures in a row that open the breaker.")
    breaker_open_for: float = Field(30.0, gt=0, description="Rest before probing again.")


class DiscogsSettings(UpstreamSettings):
    base_url: AnyHttpUrl = AnyHttpUrl("https://api.discogs.com")
    rate_limit: int = Field(60, ge=1, description="Calls per window with credentials.")
    anonymous_rate_limit: int = Field(25, ge=1, description="Calls per window without.")
    window: float = Field(60, gt=0, description="Discogs' moving window, in seconds.")
    window_margin: float = Field(0.25, ge=0)
    token: SecretStr | None = Field(None, description="Personal access token.")
    key: SecretStr | None = Field(None, description="Consumer key (with secret).")
    secret: SecretStr | None = Field(None, description="Consumer secret (with key).")

    @model_validator(mode="after")
    def _key_needs_secret(self) -> DiscogsSettings:
        if (self.key is None) != (self.secret is None):
            raise ValueError("key and secret go together: set both or neither")
        return self


def _lifetimes(defaults: Mapping[str, float]) -> Any:
    return Field(
        default_factory=lambda: dict(defaults),
        description="Seconds per kind: " + ", ".join(sorted(defaults)) + ".",
    )


class TtlSettings(_Section):
    """Freshness per upstream and kind of resource, in seconds (404s: ``negative_ttl``).

    Each upstream has its own kinds and defaults; setting one kind keeps the others'
    defaults, and a kind the upstream does not have is an error (a typo, not a no-op).
    """

    discogs: dict[str, float] = _lifetimes(discogs_kinds.DEFAULT_TTLS)
    musicbrainz: dict[str, float] = _lifetimes(musicbrainz_kinds.DEFAULT_TTLS)
    coverartarchive: dict[str, float] = _lifetimes(coverart_kinds.DEFAULT_TTLS)
    itunes: dict[str, float] = _lifetimes(itunes_kinds.DEFAULT_TTLS)
    spotify: dict[str, float] = _lifetimes(spotify_kinds.DEFAULT_TTLS)
    tidal: dict[str, float] = _lifetimes(tidal_kinds.DEFAULT_TTLS)

    @model_validator(mode="before")
    @classmethod
    def _per_upstream(cls, values: Any) -> Any:
        if isinstance(values, dict):
            # ``discogs:`` with every kind commented out is YAML's null: keep the defaults.
            values = {key: value for key, value in values.items() if value is not None}
            flat = sorted(key for key, value in values.items() if not isinstance(value, dict))
            if flat:
                raise ValueError(
                    f"lifetimes are per upstream: write cache.ttls.discogs.{flat[0]} "
                    "(or musicbrainz, coverartarchive, itunes, spotify, tidal) instead of "
                    f"cache.ttls.{flat[0]}"
                )
        return values

    @field_validator(
        "discogs", "musicbrainz", "coverartarchive", "itunes", "spotify", "tidal", mode="after"
    )
    @classmethod
    def _known_kinds(cls, given: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        defaults = _DEFAULT_LIFETIMES[info.field_name or ""]
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise ValueError(
                f"no kind {unknown[0]!r} for {info.field_name}; its kinds are "
                + ", ".join(sorted(defaults))
            )
        bad = sorted(
            kind for kind, seconds in given.items() if not (math.isfinite(seconds) and seconds >= 0)
        )
        if bad:
            raise ValueError(f"{bad[0]}: a lifetime is a finite number of seconds, not negative")
        return {**defaults, **given}

    def by_upstream(self) -> dict[str, dict[str, float]]:
        """``{upstream: {kind: seconds}}``, as the freshness policy reads them."""
        return {
            discogs_kinds.UPSTREAM: self.discogs,
            musicbrainz_kinds.UPSTREAM: self.musicbrainz,
            coverart_kinds.UPSTREAM: self.coverartarchive,
            itunes_kinds.UPSTREAM: self.itunes,
            spotify_kinds.UPSTREAM: self.spotify,
            tidal_kinds.UPSTREAM: self.tidal,
        }


_DEFAULT_LIFETIMES: dict[str, Mapping[str, float]] = {
    "discogs": discogs_kinds.DEFAULT_TTLS,
    "musicbrainz": musicbrainz_kinds.DEFAULT_TTLS,
    "coverartarchive": coverart_kinds.DEFAULT_TTLS,
    "itunes": itunes_kinds.DEFAULT_TTLS,
    "spotify": spotify_kinds.DEFAULT_TTLS,
    "tidal": tidal_kinds.DEFAULT_TTLS,
}


class CacheSettings(_Section):
    """Where answers are kept and for how long (seconds)."""

    backend: Literal["sqlite", "redis"] = "sqlite"
    path: UserPath = Field(
        default_factory=lambda: _user_cache_dir() / "cache.db",
        description="The embedded cache's SQLite file (backend sqlite).",
    )
    max_bytes: int = Field(1 << 30, gt=0, description="Bound on the embedded cache's size.")
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0", description="The shared cache (backend redis)."
    )
    namespace: str = Field("sleeve:", description="Prefix of sleeve's keys in Redis.")

    @field_serializer("redis_url")
    def _mask_password(self, url: str) -> str:
        return masked_url(url)

    ttls: TtlSettings = Field(
        default_factory=TtlSettings,
        description="Freshness per upstream and kind (cache.ttls.discogs.release, …).",
    )
    negative_ttl: float = Field(300, ge=0, description="Freshness of a 404.")
    stale_while_revalidate: float = Field(86400, ge=0)
    stale_if_error: float = Field(7 * 86400, ge=0)
    lock_ttl: float = Field(30, gt=0, description="Longest a crashed filler blocks others.")
    local_max_age: float = Field(
        5,
        ge=0,
        description="How long a process answers a repeat from its own memory before looking "
        "at the shared store again (so purges and refreshes elsewhere show within it).",
    )


class SelfHostedSettings(UpstreamSettings):
    """An upstream sleeve asks only when one is configured (a self-hosted server)."""

    base_url: AnyHttpUrl | None = None  # type: ignore[assignment]


# Each upstream's own defaults, from its documentation (UPSTREAMS.md). A class each, so
# that setting one key of a section (in a file or SLEEVE_UPSTREAMS__X__KEY) keeps the rest.
class MusicBrainzSettings(UpstreamSettings):
    base_url: AnyHttpUrl = AnyHttpUrl("https://musicbrainz.org/ws/2")  # or a mirror
    rate_limit: int = Field(1, ge=1, description="Calls per window (1/s on musicbrainz.org).")
    window_margin: float = Field(0.1, ge=0)


class CoverArtArchiveSettings(UpstreamSettings):
    """archive.org has had week-long outages: fail fast, serve what is kept."""

    base_url: AnyHttpUrl = AnyHttpUrl("https://coverartarchive.org")
    rate_limit: int = Field(10, ge=1)
    connect_timeout: float = Field(3.0, gt=0)
    timeout: float = Field(10.0, gt=0)
    max_wait: float = Field(5.0, ge=0)


class AcousticBrainzUpstreamSettings(SelfHostedSettings):
    """AcousticBrainz closed in 2022: answers come from imported dumps
    (``acousticbrainz.path``); misses go to a self-hosted server only if one is set."""

    rate_limit: int = Field(10, ge=1)
    window: float = Field(10.0, gt=0)


class ITunesSettings(UpstreamSettings):
    """Apple's Search API: about 20 calls a minute per address, a 403 past it."""

    base_url: AnyHttpUrl = AnyHttpUrl("https://itunes.apple.com")
    rate_limit: int = Field(20, ge=1, description="Calls per window (about 20/min on Apple's).")
    window: float = Field(60, gt=0)
    window_margin: float = Field(0.5, ge=0)
    artwork_rate_limit: int = Field(
        10, ge=1, description="Artwork fetches from Apple's image CDN per second."
    )


class SpotifySettings(UpstreamSettings):
    """The Web API's catalog with sleeve's client credentials (a token an hour, shared by
    every process). Spotify's limit is a rolling 30 s window it does not publish."""

    base_url: AnyHttpUrl = AnyHttpUrl("https://api.spotify.com")
    accounts_url: AnyHttpUrl = AnyHttpUrl("https://accounts.spotify.com/api/token")
    client_id: str | None = Field(None, description="The application's client id.")
    client_secret: SecretStr | None = Field(None, description="The application's secret.")
    rate_limit: int = Field(60, ge=1, description="Calls per window (Spotify's is unpublished).")
    window: float = Field(30, gt=0)
    window_margin: float = Field(0.5, ge=0)

    @model_validator(mode="after")
    def _id_needs_secret(self) -> SpotifySettings:
        if (self.client_id is None) != (self.client_secret is None):
            raise ValueError("client_id and client_secret go together: set both or neither")
        return self


class TidalSettings(UpstreamSettings):
    """TIDAL's API (v2) with sleeve's client credentials (a token a day, shared by every
    process); API paths (``/v2/…``) are appended to ``base_url``.

    TIDAL publishes no limit. Its rate-limit headers describe a token bucket: harmony saw
    ``X-RateLimit-Burst-Capacity: 10``, ``-Requested-Tokens: 5`` (per request) and
    ``-Replenish-Rate: 1`` (a second) on client-credentials calls, so a burst of two requests
    and one per five seconds after. Two calls per 10 s window is that sustained rate, and
    never more than the burst, so sleeve stays inside the bucket however calls arrive; the
    margin keeps late arrivals from squeezing three into one window upstream.
    """

    base_url: AnyHttpUrl = AnyHttpUrl("https://openapi.tidal.com")
    accounts_url: AnyHttpUrl = AnyHttpUrl("https://auth.tidal.com/v1/oauth2/token")
    client_id: str | None = Field(None, description="The application's client id.")
    client_secret: SecretStr | None = Field(None, description="The application's secret.")
    rate_limit: int = Field(
        2, ge=1, description="Calls per window (TIDAL's is unpublished: 2 per 10 s seen)."
    )
    window: float = Field(10, gt=0)
    window_margin: float = Field(0.5, ge=0)

    @model_validator(mode="after")
    def _id_needs_secret(self) -> TidalSettings:
        if (self.client_id is None) != (self.client_secret is None):
            raise ValueError("client_id and client_secret go together: set both or neither")
        return self


class UpstreamsSettings(_Section):
    discogs: DiscogsSettings = Field(default_factory=DiscogsSettings)
    musicbrainz: MusicBrainzSettings = Field(default_factory=MusicBrainzSettings)
    coverartarchive: CoverArtArchiveSettings = Field(default_factory=CoverArtArchiveSettings)
    itunes: ITunesSettings = Field(default_factory=ITunesSettings)
    spotify: SpotifySettings = Field(default_factory=SpotifySettings)
    tidal: TidalSettings = Field(default_factory=TidalSettings)
    acousticbrainz: AcousticBrainzUpstreamSettings = Field(
        default_factory=AcousticBrainzUpstreamSettings
    )


ImageSource = Literal[
    "discogs", "coverartarchive-release", "coverartarchive-release-group", "itunes"
]
IMAGE_SOURCES: tuple[ImageSource, ...] = (
    "discogs",
    "coverartarchive-release",
    "coverartarchive-release-group",
    "itunes",
)


class ImagesSettings(_Section):
    """The image store and the upstream image budget."""

    path: UserPath = Field(
        default_factory=lambda: _user_cache_dir() / "images",
        description="Where image files are kept (content-addressed).",
    )
    require_key: bool = Field(True, description="Serve images only to clients with a key.")
    daily_budget: int = Field(
        1000, ge=1, description="Upstream image fetches allowed per budget window."
    )
    budget_window: float = Field(86400, gt=0, description="The budget's moving window (s).")
    allowed_hosts: list[str] = Field(
        default_factory=lambda: [
            *("i.discogs.com", "img.discogs.com", "s.discogs.com"),
            *("coverartarchive.org", "archive.org", ".archive.org"),
            ".mzstatic.com",  # iTunes artwork
        ],
        description="The only hosts images are fetched from (host, host:port, or .domain for "
        "every host under domain).",
    )
    sources: list[ImageSource] = Field(
        default_factory=lambda: list(IMAGE_SOURCES),
        min_length=1,
        description="Where a Discogs release's or master's primary image comes from, tried "
        "in order: Discogs itself (within the budget) and the Cover Art Archive's front art "
        "of its MusicBrainz release or release group, and iTunes' artwork of the album with "
        "its barcode. Put the archive first to spare the "
        "Discogs budget; leave it out for Discogs images only.",
    )
    cover_art_delivery: Literal["bytes", "redirect"] = Field(
        "redirect",
        description="Cover Art Archive images: a 307 to the kept copy "
        "(/_sleeve/blobs/{digest}), as the archive itself answers with a 307, so that a "
        "client that follows its protocol only changes the host; or the bytes at once.",
    )
    max_bytes: int = Field(20 << 20, gt=0, description="Largest image kept.")


class AcousticBrainzSettings(_Section):
    """The AcousticBrainz archive: data, not cache (it can never be fetched again), so it
    lives under the user's data directory and is never evicted."""

    path: UserPath = Field(
        default_factory=lambda: _user_data_dir() / "acousticbrainz.db",
        description="The archive file that `sleeve import acousticbrainz` fills.",
    )


KEY_NAME = re.compile(r"[A-Za-z0-9._-]+")


class ClientKeySettings(_Section):
    """A client key, kept as the SHA-256 of the key (``sleeve keys new NAME`` makes one, and
    checks the name with this same model before printing anything)."""

    name: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    limit: int | None = Field(None, ge=1, description="Requests per window; default clients.limit.")

    @field_validator("name")
    @classmethod
    def _key_name(cls, name: str) -> str:
        if not KEY_NAME.fullmatch(name):
            raise ValueError(f"a key name is letters, digits, '.', '_' and '-', not {name!r}")
        return name


class ClientsSettings(_Section):
    """Who may call sleeve, and how often (per key, or per address without one)."""

    anonymous: bool = Field(True, description="Serve requests without a client key.")
    # Generous: these protect sleeve itself, cached hits included; the upstreams' limits
    # are kept by the gate and shared fairly between the clients waiting for them.
    limit: int = Field(6000, ge=1, description="Requests per window for a key.")
    anonymous_limit: int = Field(1200, ge=1, description="Requests per window per address.")
    window: float = Field(60, gt=0, description="The moving window, in seconds.")
    max_tracked: int = Field(
        100_000,
        ge=1,
        description="Callers whose counts a process keeps; past it the least recently seen "
        "one starts afresh (upstream limits are kept apart and never forgotten).",
    )
    keys: list[ClientKeySettings] = Field(default_factory=list)


class Settings(BaseSettings):
    """Everything sleeve can be told; see ``sleeve config`` for the effective values."""

    model_config = SettingsConfigDict(
        env_prefix="SLEEVE_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    server: ServerSettings = ServerSettings()
    upstreams: UpstreamsSettings = UpstreamsSettings()
    cache: CacheSettings = Field(default_factory=CacheSettings)
    clients: ClientsSettings = Field(default_factory=ClientsSettings)
    images: ImagesSettings = Field(default_factory=ImagesSettings)
    acousticbrainz: AcousticBrainzSettings = Field(default_factory=AcousticBrainzSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file, which arrives as init values.
        return (EnvironmentSource(settings_cls), init_settings)


def load_settings(path: str | pathlib.Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``path`` (YAML, optional), the environment and ``overrides``.

    Raises :class:`ConfigError` with every offending key spelled ``section.key``.
    """
    values = _read_yaml(pathlib.Path(path)) if path else {}
    merge_into(values, overrides)
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except SettingsError as exc:
        cause = exc.__cause__
        if isinstance(cause, EnvValueError):
            raise ConfigError(str(cause)) from None
        raise ConfigError(_one_line(f"{exc}: {cause}" if cause else str(exc))) from None


def masked_dump(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, secrets shown as ``**********``."""
    return settings.model_dump(mode="json")


def _read_yaml(path: pathlib.Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(_one_line(f"config file {path} is not valid YAML: {exc}")) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {path} must hold a mapping of sections")
    return loaded


def merge_into(into: dict[str, Any], extra: dict[str, Any]) -> None:
    """Deep-merge ``extra`` into ``into``: nested sections merge, other values replace."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge_into(into[key], value)
        else:
            into[key] = value


def _describe(exc: ValidationError) -> str:
    """Every offending key on one line: a start-up failure is one line on stderr."""
    return _one_line("invalid configuration: " + "; ".join(problems(exc)))


def problems(exc: ValidationError) -> list[str]:
    """``key: what is wrong`` per error, in sleeve's words where a validator gave some."""
    said = []
    for error in exc.errors():
        message = error["msg"]
        if error["type"] == "value_error":  # pydantic prefixes "Value error, " to ours
            message = str(error.get("ctx", {}).get("error", message))
        said.append(f"{'.'.join(str(part) for part in error['loc'])}: {message}")
    return said


def _one_line(message: str) -> str:
    return " ".join(message.split())
