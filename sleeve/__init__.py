"""sleeve: one HTTP API in front of the music-metadata upstreams."""

import warnings

__version__ = "0.1.0"
__url__ = "https://github.com/sleeve-gateway/sleeve"

# connexion 3.3 imports starlette's test client at import time (connexion.apps.abstract),
# and starlette warns there that it wants httpx2. sleeve never uses that test client, so
# the warning is noise on every command that loads the contract (serve, openapi, cache
# purge). Silenced here, before any sleeve module imports connexion, and for that one
# warning from that one module only.
warnings.filterwarnings(
    "ignore",
    message="Using `httpx` with `starlette.testclient` is deprecated",
    module=r"connexion\.apps\.abstract",
)
