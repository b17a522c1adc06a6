"""Challenge and support panels: sessions, slots, members, conflicts, scoring, moderation.

Panels depend on actions (the recommendations agreed at the meeting), never the other way.
The rules flush and return the emails to send; the request delivers them and commits.

- sessions.py     a session as the rest reads it: slots, members, London times, PanelError
- scheduling.py   setting, changing and cancelling sessions; choosing members and the chair
- invitations.py  the calendar invitations (.ics) to members and agency leads
- conflicts.py    conflicts of interest, from membership or declared
- booking.py      booking submitted returns into slots, one at a time or by auto-fill
- reading.py      what a member reads: their sessions, the returns booked, last year's ratings
- scoring.py      a member's own scores, saved and submitted; when colleagues' show
- moderation.py   the meeting: agenda, scores side by side, agreed ratings
- feedback.py     feedback to the agency and the emails that tell it
- triangulation.py  the survey's figures beside the agreed ratings
- forms.py        reading the session and score forms
- models.py       the tables
- routes/         the pages, a file per flow

Layer: beside operations; above home, below exports (docs/architecture.md).
"""
