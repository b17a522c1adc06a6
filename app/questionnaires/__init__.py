"""Questionnaires: the YAML format, its checks, frozen versions, comparison and rendering.

Layer: above audit, below spreadsheets and cycle_models (docs/architecture.md).
"""
