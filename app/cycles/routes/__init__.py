"""Pages for the partnership's business unit running a round.

- common.py   the coordinator's permission, finding what a page asks for, the dashboard
- returns.py  every return in the round; reopening one; extending one agency's deadline
- cycles.py   setting up cycles, the dashboard, agencies by hand or from the directory
- imports.py  importing agencies from a spreadsheet (also used by the directory's import)
- bulk.py     reminding or extending the filtered set of returns, after a confirmation page
- emails.py   the round's emails: what s11 sent, what the mail server refused, a retry
- offline.py  an agency's return as a workbook, downloaded and uploaded for it by a coordinator
"""

from fastapi import APIRouter

from app.cycles.routes import bulk, cycles, emails, imports, offline, returns

router = APIRouter()
for flow in (returns, cycles, imports, bulk, emails, offline):
    router.include_router(flow.router)
