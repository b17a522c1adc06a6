"""s11: runs a safeguarding children partnership's Section 11 self-assessment round.

The package is the web application, its command line and its domain modules; nothing here
reaches outside the process except the database, SMTP and the configured sign-in provider.
"""
