"""The workbooks s11 writes, one file each, and the cells and sheets they share.

- book.py            workbooks for people: cover sheet, headers, widths, colours, safe text
- kind.py            what a kind of workbook is, and the facts its writer reports
- scored_returns.py  the scored returns: a sheet per section, a row per agency and question
- one_return.py      an agency's own return, with ratings and plan once feedback is issued
- chairs_summary.py  the chair's summary: figures, distribution and change, with charts
- action_plans.py    every agency's action plan, an action a row
- composite_plan.py  the Composite Action Plan, an action a row by theme
"""
