"""The frontline practitioners' survey: anonymous links per agency, answers kept without
identity, results shown only for groups of at least k, and triangulation with the returns.

Layer: beside actions, setup and admin; above cycles, below home (docs/architecture.md).
Loading it adds the survey's link to the round's invitations and the lead's task list,
through their extension points (app/cycles/invitations.py, app/returns/additions.py).
"""

from app.surveys import invitations as _invitations  # noqa: F401
