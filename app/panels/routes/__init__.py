"""Panel pages: coordinators schedule sessions and book returns into slots; members read,
score and moderate; the chair agrees ratings and recommendations; the agency reads feedback.

- common.py      the permissions the pages ask for, delivering the emails a rule returned
- scheduling.py  coordinators: sessions, members and chair, booking slots, cancelling
- members.py     a member: their sessions, conflicts, the returns to read, their scores
- meeting.py     the meeting: agenda, moderation, agreed ratings, recommendations
- feedback.py    the coordinator issues feedback; the agency reads it
"""

from fastapi import APIRouter

from app.panels.routes import feedback, meeting, members, scheduling

router = APIRouter()
for flow in (scheduling, feedback, members, meeting):
    router.include_router(flow.router)
