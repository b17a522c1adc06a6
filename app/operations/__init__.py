"""Running s11 for real: backing up the database and the evidence files together and restoring
them; retention and erasure of personal data; request logs (metrics: app/metrics.py).

- archive.py  the backup archive: its manifest, checksums, and verifying one
- backup.py   making a backup consistent to one moment, while the app is serving
- restore.py  restoring into an empty database and store, checked against the manifest
- retention.py, erasure.py  deleting what is past its keeping period; erasing a person
- observing.py  one JSON log line per request, and the request metrics

Layer: beside panels; above home, below exports (docs/architecture.md).
"""
