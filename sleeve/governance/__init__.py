"""Governance: how often, and whether, sleeve calls an upstream or lets a client in.

Rate limits (``limiter``, with ``local_limiter`` per process and ``redis_limiter`` shared
through Redis) count admissions in a sliding window; their arithmetic is pure
(``sliding_window``). Import from the modules themselves: this package imports nothing,
so each module stays independent of the others.
"""
