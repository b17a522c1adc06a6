"""Where evidence files are kept: a local directory, or a bucket of S3-compatible object storage.

- backends.py   the two stores behind one interface, chosen by S11_STORAGE_URL
- migrating.py  copying every file from one store to another, checked by SHA-256

Layer: the kernel, above config only (docs/architecture.md).
"""
