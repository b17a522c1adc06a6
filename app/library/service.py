"""Questionnaires a coordinator publishes from the browser: an uploaded YAML file or one from
the library shipped with s11, checked, previewed and compared before it is frozen.

Who sees which versions: a partnership's own uploads are its own (no other partnership sees or
reuses their questionnaire id); the shipped library, and files published with
`s11 questionnaire publish`, are shared by every partnership on the installation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import Partnership, Person
from app.questionnaires import service as questionnaire_service
from app.questionnaires.checks import MAX_FILE_BYTES, Problem, check_text
from app.questionnaires.compare import QuestionnaireDiff, compare
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.schema import Questionnaire
from app.questionnaires.writing import questionnaire_yaml

MAX_UPLOAD_BYTES = MAX_FILE_BYTES
SHIPPED_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


class PublishRefused(ValueError):
    """A questionnaire that cannot be published, with each reason for the page."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Candidate:
    """A questionnaire checked for publishing: its problems, or what publishing it changes."""

    source_name: str
    questionnaire: Questionnaire | None = None
    problems: list[Problem] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # checks against what is published
    already_published: bool = False
    previous: QuestionnaireVersion | None = None
    diff: QuestionnaireDiff | None = None

    @property
    def publishable(self) -> bool:
        return (
            self.questionnaire is not None
            and not self.problems
            and not self.refusals
            and not self.already_published
        )


def check_candidate(
    session: Session,
    *,
    partnership: Partnership | None,
    text: str,
    source_name: str,
    extends_shared: bool = False,
) -> Candidate:
    """Check the file as `s11 questionnaire check` does, then against what is published:
    another partnership's questionnaire id, or a published version with other content.
    `extends_shared`: the editor's new version of a shared-library questionnaire keeps its id
    (so last year's answers carry over) and becomes the partnership's own version."""
    result = check_text(text, source=source_name)
    candidate = Candidate(source_name, result.questionnaire, list(result.problems))
    if not result.ok or result.questionnaire is None:
        return candidate
    questionnaire = result.questionnaire
    owners = set(
        session.scalars(
            select(QuestionnaireVersion.partnership_id).where(
                QuestionnaireVersion.questionnaire_id == questionnaire.id
            )
        )
    )
    mine = partnership.id if partnership else None
    same = session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id,
            QuestionnaireVersion.version == questionnaire.version,
        )
    )
    sha256 = questionnaire_service.content_hash(questionnaire)
    if same is not None and same.partnership_id in (None, mine) and same.sha256 == sha256:
        # A copy of a version this partnership may already use (a downloaded library
        # version included) is that version, whoever owns its id.
        candidate.already_published = True
        return candidate
    if owners - ({mine, None} if extends_shared else {mine}):
        candidate.refusals.append(
            f"The questionnaire id {questionnaire.id} is already used by "
            + ("the shared library" if None in owners else "another partnership")
            + ": give your questionnaire an id of its own"
        )
        return candidate
    if same is not None:
        candidate.refusals.append(
            f"Version {questionnaire.version} of {questionnaire.id} is already published "
            "with different content: give the changed file a new version"
        )
        return candidate
    candidate.previous = session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire.id)
        .order_by(QuestionnaireVersion.published_at.desc(), QuestionnaireVersion.id.desc())
        .limit(1)
    )
    if candidate.previous is not None:
        candidate.diff = compare(questionnaire_service.snapshot(candidate.previous), questionnaire)
    return candidate


def publish_candidate(
    session: Session,
    *,
    partnership: Partnership | None,
    actor: Person,
    text: str,
    source_name: str,
    extends_shared: bool = False,
) -> QuestionnaireVersion:
    """Check again (the form's copy decides, as checked now) and freeze the version, owned by
    the partnership, or shared when it comes from the library (partnership None)."""
    candidate = check_candidate(
        session,
        partnership=partnership,
        text=text,
        source_name=source_name,
        extends_shared=extends_shared,
    )
    if not candidate.publishable or candidate.questionnaire is None:
        reasons = [str(problem) for problem in candidate.problems] + candidate.refusals
        if candidate.already_published:
            reasons.append("This version is already published: nothing to do")
        raise PublishRefused(reasons or ["The file could not be read"])
    version, _created = questionnaire_service.publish(
        session,
        questionnaire=candidate.questionnaire,
        source_name=source_name,
        actor=actor,
        partnership_id=partnership.id if partnership else None,
    )
    return version


def shipped_files() -> list[Path]:
    return sorted(questionnaire_service.SHIPPED_DIR.glob("*.yaml"))


def shipped_file(name: str) -> Path | None:
    """A file of the shipped library by its name; any other name is not one of them."""
    if not name or not set(name) <= SHIPPED_NAME_CHARACTERS:
        return None
    return next((path for path in shipped_files() if path.name == name), None)


@dataclass(frozen=True)
class YamlDownload:
    file_name: str
    text: str


def visible_version(
    session: Session, *, partnership: Partnership | None, questionnaire_id: str, version: str
) -> QuestionnaireVersion | None:
    """A published version the partnership may see; another partnership's is not found."""
    return questionnaire_service.get_version(
        session,
        questionnaire_id=questionnaire_id,
        version=version,
        partnership_id=partnership.id if partnership else None,
    )


def version_yaml(published: QuestionnaireVersion) -> YamlDownload:
    """The version written out as its YAML file: uploaded again, it is that same version (the
    same fingerprint)."""
    text = questionnaire_yaml(questionnaire_service.snapshot(published))
    return YamlDownload(yaml_file_name(published.questionnaire_id, published.version), text)


def yaml_file_name(questionnaire_id: str, version: str) -> str:
    """`<id>-<version>.yaml`, safe on every system and in a Content-Disposition header."""
    safe_version = re.sub(r"[^A-Za-z0-9._-]+", "-", version).strip("-.") or "version"
    return f"{questionnaire_id}-{safe_version}.yaml"
