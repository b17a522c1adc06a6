"""Recommendations agreed at panels, agency action plans and the Composite Action Plan.

Actions depend on returns and directory, never on panels: panels call in to record the
recommendations a meeting agrees, and nothing here reads a panel's scores or sessions.

- progress.py         an action, its progress and evidence, last year's actions closed this year
- recommendations.py  worry statement, safety goal, next steps, priority and theme per return
- plans.py            an agency's plan: writing, submitting, the coordinator's review
- composite.py        the Composite Action Plan: open actions by theme at any date, attention
- reminders.py        the reminders of actions falling due
- forms.py            reading the action, progress and item forms
- models.py           the tables
- routes/             the pages, a file per flow

Layer: beside surveys, setup and admin; above cycles, below home (docs/architecture.md).
"""
