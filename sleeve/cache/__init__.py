"""The cache: storage backends behind one interface, and the pure decisions about them."""
