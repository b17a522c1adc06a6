"""Return pages for agency leads and contributors: their returns, the task list, sections.

- common.py      the permission the pages ask for, finding a return, evidence as a download
- answering.py   the task list, sections, saving and autosave, history, the print view
- evidence.py    downloading and removing a return's evidence files
- submitting.py  checking answers, submitting, the senior officer's sign-off
- offline.py     the return as a workbook to fill in offline
"""

from fastapi import APIRouter

from app.returns.routes import answering, evidence, offline, submitting

router = APIRouter()
for flow in (answering, evidence, submitting, offline):
    router.include_router(flow.router)
