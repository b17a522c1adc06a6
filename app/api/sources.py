"""What the feed reads from the modules that already gather a round: one place to look.

The feed never gathers a return its own way where exports or actions already do; only here.
"""

from __future__ import annotations

from app.actions import composite, plans, progress
from app.exports import gather
from app.exports import scope as export_scope
from app.spreadsheets import safe_text

# How a questionnaire version's ratings read (levels, labels, the items the panel rates).
Plan = gather.Plan
plans_of = gather.plans_of
question_key = gather.question_key
section_key = gather.section_key
# Statuses of a return that has been received: submitted, or further on.
RECEIVED = tuple(export_scope.RECEIVED)
# Statuses after which the panel's recommendations are the partnership's, not a draft.
AFTER_FEEDBACK = plans.AFTER_FEEDBACK

# The Composite Action Plan as the partnership keeps it, and its counts by theme and date.
composite_plan = composite.composite_plan
default_dates = composite.default_dates
open_by_theme = composite.open_by_theme
shown_status = progress.shown_status

# A cell's text made safe the way the workbooks make it: never a formula in Excel.
cell_text = safe_text

__all__ = [
    "AFTER_FEEDBACK",
    "RECEIVED",
    "Plan",
    "cell_text",
    "composite_plan",
    "default_dates",
    "open_by_theme",
    "plans_of",
    "question_key",
    "section_key",
    "shown_status",
]
