"""The Spotify Web API's catalog: its kinds, the client-credentials token, its service."""
