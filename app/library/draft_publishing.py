"""A draft seen and published: as an agency of a chosen sector is asked it, written out as its
YAML file, and frozen through the upload's own path. Never publishes a draft with problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.directory.models import AgencySector, Partnership, Person, SchoolPhase, SchoolType
from app.library import service as publishing
from app.library.drafts import (
    DraftConflict,
    DraftError,
    conflict_message,
    problems,
    questionnaire_of,
)
from app.library.models import QuestionnaireDraft
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.rules import condition_holds
from app.questionnaires.schema import QuestionBase, Questionnaire
from app.questionnaires.writing import questionnaire_yaml


@dataclass(frozen=True)
class PreviewAgency:
    """The agency a preview is seen as: what show_if and sector rules read of it."""

    sector: AgencySector
    school_type: SchoolType | None = None
    school_phase: SchoolPhase | None = None


def as_seen_by(questionnaire: Questionnaire, agency: PreviewAgency) -> Questionnaire:
    """The questionnaire without the questions this agency is never asked: those for other
    sectors, and those whose show_if looks only at the agency and does not hold for it.
    Questions that follow an answer stay, marked with the answer that shows them."""
    data = questionnaire.model_dump(mode="json")
    for section, model_section in zip(data["sections"], questionnaire.sections, strict=True):
        section["questions"] = [
            dumped
            for dumped, question in zip(section["questions"], model_section.questions, strict=True)
            if _asked(question, agency)
        ]
    return Questionnaire.model_validate(data)


def _asked(question: QuestionBase, agency: PreviewAgency) -> bool:
    if question.sectors and agency.sector not in question.sectors:
        return False
    if question.show_if is None or question.show_if.questions():
        return True
    return condition_holds(question.show_if, {}, agency)


def yaml_of(draft: QuestionnaireDraft) -> str:
    """The draft as its YAML file: what download gives and what publishing checks."""
    questionnaire = questionnaire_of(draft.content)
    if questionnaire is None:
        raise DraftError("The draft cannot be written as a file until its problems are fixed")
    return questionnaire_yaml(questionnaire)


def file_name(content: dict[str, Any]) -> str:
    """The file a download or publishing names: as a published version's download is named."""
    return publishing.yaml_file_name(
        content.get("id") or "questionnaire", str(content.get("version") or "")
    )


def check_for_publishing(
    session: Session, *, partnership: Partnership, draft: QuestionnaireDraft
) -> publishing.Candidate:
    """The draft's file checked as an upload is, against what is already published."""
    return publishing.check_candidate(
        session,
        partnership=partnership,
        text=yaml_of(draft),
        source_name=file_name(draft.content),
        extends_shared=True,
    )


def publish_draft(
    session: Session,
    *,
    partnership: Partnership,
    actor: Person,
    draft: QuestionnaireDraft,
    read_revision: int,
) -> QuestionnaireVersion:
    """Freeze the draft as a version through the upload's own path (its YAML file, checked
    again, fingerprinted, the partnership's own); the draft is then closed."""
    if draft.published_version_id is not None:
        raise DraftError("This draft is already published")
    if read_revision != draft.revision:
        raise DraftConflict(conflict_message(session, draft))
    found = problems(draft.content, base="")
    if found:
        raise publishing.PublishRefused([str(problem) for problem in found])
    candidate = check_for_publishing(session, partnership=partnership, draft=draft)
    if not candidate.publishable:
        reasons = [str(problem) for problem in candidate.problems] + candidate.refusals
        if candidate.already_published:
            reasons.append("This version is already published: give the draft a new version")
        raise publishing.PublishRefused(reasons)
    # Everything is checked before anything is written: the draft is closed first, over the
    # revision read, so that a change saved meanwhile stops the publishing whole.
    closed = session.execute(
        update(QuestionnaireDraft)
        .where(QuestionnaireDraft.id == draft.id, QuestionnaireDraft.revision == read_revision)
        .values(revision=read_revision + 1, updated_at=utcnow(), updated_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        raise DraftConflict(conflict_message(session, draft))
    try:
        version = publishing.publish_candidate(
            session,
            partnership=partnership,
            actor=actor,
            text=yaml_of(draft),
            source_name=file_name(draft.content),
            extends_shared=True,
        )
    except publishing.PublishRefused as refused:
        # Checked a moment ago in this transaction: only a race gets here; fail the request
        # so that it rolls back whole rather than keep the closed draft.
        raise RuntimeError(f"publishing the draft failed after its check: {refused}") from None
    session.execute(
        update(QuestionnaireDraft)
        .where(QuestionnaireDraft.id == draft.id)
        .values(published_version_id=version.id)
        .execution_options(synchronize_session=False)
    )
    session.expire(draft)
    return version
