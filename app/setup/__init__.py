"""A partnership's own set-up, kept by its coordinators from year to year.

- agencies.py: the agency directory (add, change, archive, restore, leads; import via cycles)
- people.py: everyone with a role in the partnership; changing and removing roles
- checklist.py: what a new partnership still has to do before its first round opens
- routes.py: the pages for all of the above

Depends on directory, auth, questionnaires and cycles; home and operations read it. Questionnaires
are published from app/library.

Layer: beside surveys, actions and admin; above cycles, below home (docs/architecture.md).
"""
