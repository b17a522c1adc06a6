"""What the feed reads from the modules that already gather a round: one place to look.

The feed never gathers a return its own way where exports or actions already do; only here.
"""

from __future__ import annotations

from app.actions import service as actions_service
from app.exports import service as exports_service
from app.exports.workbook import safe_text

# How a questionnaire version's ratings read (levels, labels, the items the panel rates).
Plan = exports_service.Plan
plans_of = exports_service._plans  # noqa: SLF001  (public as gather.plans_of once exports is split)
question_key = exports_service.question_key
section_key = exports_service.section_key
# Statuses of a return that has been received: submitted, or further on.
RECEIVED = tuple(exports_service.RECEIVED)
# Statuses after which the panel's recommendations are the partnership's, not a draft.
AFTER_FEEDBACK = actions_service.AFTER_FEEDBACK

# The Composite Action Plan as the partnership keeps it, and its counts by theme and date.
composite_plan = actions_service.composite_plan
default_dates = actions_service.default_dates
open_by_theme = actions_service.open_by_theme
shown_status = actions_service.shown_status

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
