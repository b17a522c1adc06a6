"""Site administration: partnerships and their first appointments.

Layer: beside surveys, actions and setup, above cycles (docs/architecture.md).
"""
