"""What operators see of a running sleeve: metrics (``/metrics``), one log line per
request with its id, and readiness (``/_sleeve/ready``).

``request_record``: what one request did (its id, operation, cache outcomes, upstream
calls), carried in a context variable from the edge to the gates and back; ``metrics``:
the Prometheus metrics, multiprocess-safe; ``upstream_watch``: what one upstream's gate
reports (to metrics, logs and readiness); ``readiness``: whether this process can serve;
``logs``: text or JSON log lines.
"""
