"""Publishing (freezing) questionnaire versions and reading them back as snapshots.

A version's content and sha256 are stored once; the same version with other content is
refused, so a return never finds its questions changed under it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.config import PROJECT_ROOT
from app.directory.models import Person
from app.questionnaires.checks import check_file
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.schema import Questionnaire

SHIPPED_DIR = PROJECT_ROOT / "questionnaires"


class PublishError(ValueError):
    """A questionnaire that cannot be published, with every reason in the message."""


def content_hash(questionnaire: Questionnaire) -> str:
    # Defaults are left out of the hash so that a new optional key in a later release of
    # s11 does not make an unchanged file look changed.
    meaningful = questionnaire.model_dump(mode="json", exclude_defaults=True)
    canonical = json.dumps(meaningful, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def publish(
    session: Session,
    *,
    questionnaire: Questionnaire,
    source_name: str,
    actor: Person | None,
    partnership_id: int | None = None,
) -> tuple[QuestionnaireVersion, bool]:
    """Freeze a checked questionnaire; publishing the same content again changes nothing.
    A version with a partnership is that partnership's own; without one it is shared."""
    sha256 = content_hash(questionnaire)
    existing = session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id,
            QuestionnaireVersion.version == questionnaire.version,
        )
    )
    if existing is not None:
        if existing.sha256 != sha256:
            raise PublishError(
                f"{source_name}: {questionnaire.id} version {questionnaire.version} is already "
                f"published with different content (sha256 {existing.sha256[:12]}); "
                "give the changed file a new version"
            )
        return existing, False
    version = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        version=questionnaire.version,
        title=questionnaire.title,
        audience=questionnaire.audience.value,
        board=questionnaire.board.value,
        content=questionnaire.model_dump(mode="json"),
        sha256=sha256,
        source_name=source_name,
        published_by_id=actor.id if actor else None,
        partnership_id=partnership_id,
    )
    session.add(version)
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="questionnaire_published",
        object_type="questionnaire_version",
        object_id=version.id,
        detail={
            "questionnaire": questionnaire.id,
            "version": questionnaire.version,
            "sha256": sha256,
            "partnership_id": partnership_id,
        },
    )
    return version, True


def publish_file(
    session: Session, *, path: str | Path, actor: Person | None
) -> tuple[QuestionnaireVersion, bool]:
    result = check_file(path)
    if not result.ok or result.questionnaire is None:
        raise PublishError("\n".join(str(problem) for problem in result.problems))
    return publish(
        session, questionnaire=result.questionnaire, source_name=Path(path).name, actor=actor
    )


@lru_cache(maxsize=16)
def _shipped(path: Path, modified: float) -> Questionnaire:
    # Checking a shipped file takes ~0.2 s of YAML parsing; the demo publishes four of them
    # every time it loads (each test that uses it), and they only change with the code.
    result = check_file(path)
    if not result.ok or result.questionnaire is None:
        raise PublishError("\n".join(str(problem) for problem in result.problems))
    return result.questionnaire


def publish_shipped(session: Session) -> list[QuestionnaireVersion]:
    """Publish every questionnaire that ships with s11 (for the demo)."""
    return [
        publish(
            session,
            questionnaire=_shipped(path, path.stat().st_mtime),
            source_name=path.name,
            actor=None,
        )[0]
        for path in sorted(SHIPPED_DIR.glob("*.yaml"))
    ]


# Published versions never change, so each is parsed once per process, keyed by its content's
# hash rather than its row id (a database reset reuses ids, never hashes).
_SNAPSHOTS: dict[str, Questionnaire] = {}
_SNAPSHOTS_KEPT = 64


def snapshot(version: QuestionnaireVersion) -> Questionnaire:
    """The questionnaire exactly as it was published, whatever the file says today."""
    questionnaire = _SNAPSHOTS.get(version.sha256)
    if questionnaire is None:
        if len(_SNAPSHOTS) >= _SNAPSHOTS_KEPT:
            _SNAPSHOTS.pop(next(iter(_SNAPSHOTS)))
        questionnaire = _SNAPSHOTS[version.sha256] = Questionnaire.model_validate(version.content)
    return questionnaire


@dataclass(frozen=True)
class QuestionnaireListing:
    questionnaire_id: str
    title: str
    versions: list[QuestionnaireVersion]


def visible_to(partnership_id: int | None) -> ColumnElement[bool]:
    """The versions a partnership may see and use: the shared library (published from the
    shipped files or the server's shell) and its own uploads, never another partnership's."""
    return or_(
        QuestionnaireVersion.partnership_id.is_(None),
        QuestionnaireVersion.partnership_id == partnership_id,
    )


def list_questionnaires(
    session: Session, *, partnership_id: int | None
) -> list[QuestionnaireListing]:
    rows = session.scalars(
        select(QuestionnaireVersion)
        .where(visible_to(partnership_id))
        .order_by(QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.published_at.desc())
    )
    grouped: dict[str, list[QuestionnaireVersion]] = {}
    for row in rows:
        grouped.setdefault(row.questionnaire_id, []).append(row)
    return [
        QuestionnaireListing(questionnaire_id=qid, title=versions[0].title, versions=versions)
        for qid, versions in grouped.items()
    ]


def get_version(
    session: Session, *, questionnaire_id: str, version: str, partnership_id: int | None
) -> QuestionnaireVersion | None:
    return session.scalar(
        select(QuestionnaireVersion).where(
            visible_to(partnership_id),
            QuestionnaireVersion.questionnaire_id == questionnaire_id,
            QuestionnaireVersion.version == version,
        )
    )
