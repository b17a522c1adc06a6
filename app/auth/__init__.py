"""Sign-in, sessions, roles and the one access policy every route declares."""
