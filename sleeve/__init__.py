"""sleeve: one HTTP API in front of the music-metadata upstreams."""

__version__ = "0.1.0"
__url__ = "https://github.com/sleeve-gateway/sleeve"
