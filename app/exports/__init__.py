"""Excel workbooks out of s11 and the chair's summary of a round.

Exports read every other module (returns, panels, actions, cycles); only the read feed (api)
reads exports, through app/api/sources.py.

- scope.py       who may export what: the reader a person is, and the returns in their scope
- gather.py      a scope's returns, questionnaires, answers and scores, streamed
- summary.py     the chair's summary of a round, on screen, and the change from last year
- exporting.py   making a workbook: the kinds on offer, the cover sheet, the audit event
- workbooks/     one file per workbook (the cells and sheets they share: app/spreadsheets.py)
- survey_results.py  the survey's results page and its triangulation, for whom scope.py allows
- routes.py      the summary page and the downloads

Layer: above panels and operations, below api (docs/architecture.md).
"""
