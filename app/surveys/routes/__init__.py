"""The survey's pages, a file per flow:

- coordinating.py  opening the survey, replacing a link, closing it (coordinators)
- answering.py     the anonymous question pages, check answers and confirmation (anyone with a link)
- task_list.py     the survey on the lead's task list, and the lead's number of frontline staff

Its results and the triangulation are read in app/exports/survey_results.py.
"""

from fastapi import APIRouter

from app.surveys.routes import answering, coordinating, task_list

router = APIRouter()
for flow in (coordinating, answering, task_list):
    router.include_router(flow.router)
