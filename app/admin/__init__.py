"""Site administration: partnerships and their first appointments.

Layer: beside surveys, actions and setup; above cycles, below home (docs/architecture.md).
"""
