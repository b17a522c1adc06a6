"""Running s11 for real: backing up the database and the evidence files together, and
restoring them.

- archive.py  the backup archive: its manifest, checksums, and verifying one
- backup.py   making a backup consistent to one moment, while the app is serving
- restore.py  restoring into an empty database and store, checked against the manifest
"""
