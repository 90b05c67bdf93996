"""MusicBrainz behind sleeve: the rules of its requests and the proxy that forwards them."""
