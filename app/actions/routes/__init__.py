"""Action plan pages: the agency writes its plan and records progress; the coordinator agrees
or returns it and keeps the Composite Action Plan; the chair sees what needs attention.

- common.py     the permissions the pages ask for, an action's page, recording its progress
- plan.py       the agency: actions against recommendations, submitting, progress
- review.py     the coordinator: agreeing a plan or returning it with comments
- composite.py  the partnership: what needs attention, the Composite Action Plan, its items
- last_years.py last year's actions in this year's return, and their final updates
"""

from fastapi import APIRouter

from app.actions.routes import composite, last_years, plan, review

router = APIRouter()
for flow in (plan, review, composite, last_years):
    router.include_router(flow.router)
