"""The iTunes Search API: its kinds, its service (search, lookup) and its artwork."""
