"""One look-up across every source: a barcode or an ISRC asked of Discogs, MusicBrainz,
iTunes, Spotify and TIDAL at once, the matches grouped into releases and recordings."""
