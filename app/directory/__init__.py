"""Who is who: partnerships, agencies, people and their memberships.

Layer: above the kernel, below templating and every domain module (docs/architecture.md).
"""
