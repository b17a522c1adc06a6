"""The survey's pages, a file per flow:

- coordinating.py  opening the survey, replacing a link, closing it (coordinators)
- answering.py     the anonymous question pages, check answers and confirmation (anyone with a link)
- results.py       results by question, sector and agency, and the triangulation (k-threshold)
"""

from fastapi import APIRouter

from app.surveys.routes import answering, coordinating, results

router = APIRouter()
for flow in (coordinating, answering, results):
    router.include_router(flow.router)
