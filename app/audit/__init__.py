"""The append-only audit log of state changes that matter.

Layer: above auth, below questionnaires (docs/architecture.md). Its page needs the access
policy, so auth writes its events through the writer handed to it here, never naming audit.
"""

from app.audit import service as _service
from app.auth import service as _auth_service

if _service.record_event not in _auth_service.AUDIT_WRITERS:
    _auth_service.AUDIT_WRITERS.append(_service.record_event)
