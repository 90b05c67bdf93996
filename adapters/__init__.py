"""Adapters: one per upstream, each the only place that upstream's quirks are known.

An adapter speaks the upstream's HTTP (paths, auth, headers) over the process's shared
aiohttp session and hands back an :class:`~adapters.http.UpstreamResponse`, or raises one
of the :mod:`adapters.http` errors when no usable answer came.
"""
