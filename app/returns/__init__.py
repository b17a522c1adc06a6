"""An agency's return for a cycle: answers with their history, status, evidence, submission.

- service.py      a return: who may see it, how it reads, moving its status, reopening it
- answers.py      saving answers, one or a section at a time, never over someone else's change
- attachments.py  attaching evidence files to answers, and removing them
- evidence.py     evidence files themselves: checked by content, stored, read back
- last_year.py    last year's return beside this year's, and starting from it
- submitting.py   missing answers, the senior officer, submitting and the receipt
- sign_off.py     the senior officer's sign-off through an emailed link
- forms.py        reading a section's form
- additions.py    what modules above returns add to its pages (survey link, last year's actions)
- models.py       the tables
- routes/         the pages, a file per flow

Layer: beside library; above spreadsheets and cycle_models, below cycles
(docs/architecture.md); modules above add to its pages through additions.py.
"""
