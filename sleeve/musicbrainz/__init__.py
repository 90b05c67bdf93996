"""MusicBrainz behind sleeve: the rules of its requests (``rules``), the kinds of its
answers and their lifetimes (``kinds``), the service that forwards them (``service``), and
the links from Discogs entities to MusicBrainz ones (``links``)."""
