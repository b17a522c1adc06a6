"""The home page and the health check: where a signed-in person starts."""
