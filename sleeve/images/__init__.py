"""The image store every upstream's images share: fetched once, kept on this host's disk.

``store`` is the face (:class:`~.store.ImageStore`); ``blob_store`` keeps bytes under their
SHA-256, written atomically and verified on read; ``names`` maps image names to blobs;
``fetching`` says which hosts images may come from and whether bytes are a whole image;
``formats`` reads an image's type from its magic numbers and makes thumbnails;
``responses`` serves kept images with validators and ranges. Which images an upstream has,
and how to fetch them, is that upstream's business (``sleeve.discogs.images``,
``sleeve.coverart.service``).
"""
