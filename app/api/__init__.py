"""The read feed for the partnership's own reporting: API tokens, JSON and CSV, and OData.

Only reads, and only the token's own partnership; nothing else in s11 imports the feed.

- models.py       API tokens: hash, scope, expiry, revocation, the day's use
- tokens.py       making, listing and revoking tokens; checking one on each request; rate limit
- rows.py         typed fields, a token's scope, the conditions keeping a query to its own rows
- round_rows.py   cycles, agencies and returns
- rating_rows.py  self-ratings and agreed ratings; members' ratings from submitted sheets
- plan_rows.py    recommendations, the Composite Action Plan's actions and counts by theme
- feed.py         the collections and which scope reads each
- sources.py      what the feed reads from exports and actions, in one place
- paging.py       signed cursors, pages, and CSV streamed
- filters.py      a strict reader of OData $filter, run in Python, never turned into SQL
- odata.py        the service document, $metadata and the query options
- deps.py         the token in the Authorization header; JSON refusals
- routes.py       /api/v1 (JSON, CSV, OpenAPI), /api/odata, and the coordinators' token pages

Layer: above exports; below only main, demo, models and cli (docs/architecture.md).
"""
