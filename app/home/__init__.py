"""The home page and the health check: where a signed-in person starts.

Layer: above surveys, actions, setup and admin; below panels and operations (docs/architecture.md).
"""
