"""Questionnaire pages: the library (versions, preview, upload and publish) and the editor that
writes a questionnaire in the browser.

- publishing.py  the versions a partnership may use, their preview, publishing an upload
- common.py      the coordinator's permission, finding a draft, saving a change from a form
- drafts.py      the editor: start, list, overview, details, preview, publish, download
- sections.py    the editor's sections: add, change, move, remove
- questions.py   the editor's questions, their show_if, and scales
- retyping.py    changing a question's type
"""

from fastapi import APIRouter

from app.library.routes import drafts, publishing, questions, retyping, sections

router = APIRouter()
for flow in (publishing, drafts, sections, questions, retyping):
    router.include_router(flow.router)
