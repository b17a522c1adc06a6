"""Email: SMTP in production, files in var/outbox/ in development; calendar invitations later.

Layer: above templating, below auth: it names no module that sends mail (docs/architecture.md).
"""
