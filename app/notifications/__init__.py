"""Email: SMTP in production, files in var/outbox/ in development; calendar invitations later."""
