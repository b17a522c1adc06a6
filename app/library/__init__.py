"""The questionnaires a partnership may use: the library shipped with s11 (shared) and its own
uploads, browsed, previewed, checked, compared and published from the browser.

- service.py: who sees which versions, checking a candidate file, publishing it
- routes.py: the questionnaire list, preview, upload and library pages

Layer: beside returns; above spreadsheets and cycle_models, below cycles (docs/architecture.md).
"""
