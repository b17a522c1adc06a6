"""Signing in, sessions, roles and the one access policy.

- policy.py       which permission each route needs, and who holds it
- deps.py         the FastAPI dependencies that apply the policy on every route
- service.py      sign-in sessions, the rate-limit ledger, emailed sign-in links
- invitations.py  invitations into a role: make, send again, cancel, accept
- identities.py   signing in with an organisation's account (OpenID Connect)
- oidc.py         the OpenID Connect client (authlib)
- routes.py       the sign-in, invitation and partnership-choice pages

Layer: above notifications, below audit (docs/architecture.md); the audit log hands auth
its writer (service.py's AUDIT_WRITERS).
"""
