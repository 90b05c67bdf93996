"""Discogs behind sleeve: its database through the cache (``service``), the kinds of its
resources and their lifetimes (``kinds``), and its images — links in answers pointed at
sleeve (``image_links``), fetched once within the daily image budget (``images``), with the
chain of other sources a primary image can come from (``image_sources``)."""
