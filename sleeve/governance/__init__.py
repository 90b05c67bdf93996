"""Governance: how often, and whether, sleeve calls an upstream or lets a client in.

``gate`` is the way to an upstream: a ``breaker`` that rests an upstream that keeps
failing, a slot from a rate limit taken in ``turns`` (clients before background work,
``priority``), and ``retry`` with backoff within a budget. Rate limits (``limiter``) count
admissions in a sliding window, per process (``local_limiter``) or shared through Redis
(``redis_limiter``), with a per-process ``fallback`` while Redis is away; their arithmetic
is pure (``sliding_window``). ``clients`` says who is calling, for the client limits.
Import from the modules themselves: this package imports nothing.
"""
