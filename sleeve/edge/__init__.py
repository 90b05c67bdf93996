"""The edge: plain ASGI middleware and error shaping, between the server and connexion.

Outermost first, as :func:`sleeve.app.create_app` stacks them: ``access_log`` (one line
per request, credentials redacted), ``client_limits`` (who is calling, and their limit),
``hot_path`` (repeats of cached hits answered from memory). Errors leave through
``error_responses`` in the path's upstream dialect (``error_dialects``), 405s naming every
declared method (``allowed_methods``).
"""
