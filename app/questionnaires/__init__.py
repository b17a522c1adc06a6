"""Questionnaires: the YAML format, its checks, frozen versions, comparison and rendering."""
