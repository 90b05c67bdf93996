"""Cover art, fetched once from the upstream and served from this host's disk forever.

``blob_store`` keeps image bytes under their SHA-256, written atomically and verified on
read; ``formats`` says what an image is (its type from its magic numbers) and makes the
thumbnails.
"""
