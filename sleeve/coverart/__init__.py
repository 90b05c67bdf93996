"""The Cover Art Archive behind sleeve: listings through the cache, images from the store."""
