"""Every module's tables, imported in one place so Alembic and the tests see the whole schema.

Add a module's models here when the module gains tables.
"""

from app import cycle_models
from app.actions import models as action_models
from app.api import models as api_models
from app.audit import models as audit_models
from app.auth import models as auth_models
from app.db import Base
from app.directory import models as directory_models
from app.library import models as library_models
from app.notifications import models as notification_models
from app.operations import models as operation_models
from app.panels import models as panel_models
from app.questionnaires import models as questionnaire_models
from app.returns import models as return_models
from app.surveys import models as survey_models

__all__ = [
    "Base",
    "action_models",
    "api_models",
    "audit_models",
    "auth_models",
    "cycle_models",
    "directory_models",
    "library_models",
    "notification_models",
    "operation_models",
    "panel_models",
    "questionnaire_models",
    "return_models",
    "survey_models",
]
