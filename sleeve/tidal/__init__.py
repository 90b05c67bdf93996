"""TIDAL's API (v2, JSON:API): its kinds, the client-credentials token, its service."""
