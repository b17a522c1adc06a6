"""Running a round (a cycle): setting it up, bringing agencies in, inviting their leads,
deadlines, reminders and progress.

- service.py      a cycle's details and questionnaires, its partnerships, opening returns, finding
- agencies.py     agencies brought into the directory and a cycle; their leads' invitations
- invitations.py  the round's invitation to each agency's leads
- deadlines.py    each agency's deadline and the extensions a coordinator gives
- progress.py     the dashboard's figures: each return, counts by status and sector
- reminders.py    reminders before a deadline, sent once by whichever host claims them
- importing.py    agencies from a CSV or Excel file: read, check every row, apply
- forms.py        reading the cycle form
- routes/         the round's pages (returns, cycles, imports, emails, offline workbooks)

Layer: above returns and library, below surveys, actions, setup and admin (docs/architecture.md).
"""
