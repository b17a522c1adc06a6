"""Questionnaire drafts: starting one (from a version, a shipped file, an upload or blank),
saving a change only over the revision it read, its problems in plain words, its comparison.

Never saves a change that breaks the format's shape, and never writes over another
coordinator's newer save: such a change is refused with nothing stored.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.db import utcnow
from app.directory.models import Partnership, Person
from app.library.models import QuestionnaireDraft
from app.questionnaires import service as questionnaire_service
from app.questionnaires.checks import _clean_location, check_text, document_problems
from app.questionnaires.compare import QuestionnaireDiff, answer_carries_over, compare
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.schema import Questionnaire


class DraftConflict(RuntimeError):
    """Someone else saved the draft after this form was read: the change was not saved."""


class EditRefused(ValueError):
    """A change that cannot be saved, each message keyed by the form field it concerns."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class DraftError(ValueError):
    """A draft that cannot be started or published, with the reason for the page."""


@dataclass(frozen=True)
class DraftProblem:
    """A check's finding, said where a coordinator would look for it."""

    where: str  # "Section 2 “Leadership”, question “Is there a lead?”"
    field: str  # "When to show it"
    message: str
    href: str  # the page (and field) to fix it on

    def __str__(self) -> str:
        return (
            f"{self.where}: {self.field}: {self.message}"
            if self.field
            else (f"{self.where}: {self.message}")
        )


BLANK: dict[str, Any] = {
    "id": "",
    "version": "1",
    "title": "",
    "sections": [{"id": "section-1", "title": "Section 1", "questions": []}],
}


def content_of(questionnaire: Questionnaire) -> dict[str, Any]:
    """The format's data as a draft keeps it: what the file would say, defaults left out."""
    return questionnaire.model_dump(mode="json", exclude_defaults=True)


def slug_from(text: str, *, limit: int = 40) -> str:
    """An id made from words: lower case, hyphens, starting with a letter."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")
    if not slug or not slug[0].isalpha():
        slug = f"q-{slug}" if slug else "q"
    return slug


def next_version(version: str) -> str:
    """2021 → 2022, 2025.1 → 2025.2, anything else gains a .2."""
    match = re.search(r"(\d+)$", version)
    if match is None:
        return f"{version}.2"[:40]
    return version[: match.start()] + str(int(match.group(1)) + 1)


def _free_version(session: Session, questionnaire_id: str, version: str) -> str:
    taken = set(
        session.scalars(
            select(QuestionnaireVersion.version).where(
                QuestionnaireVersion.questionnaire_id == questionnaire_id
            )
        )
    )
    while version in taken:
        version = next_version(version)
    return version


def _new_draft(
    session: Session, *, partnership: Partnership, actor: Person, content: dict, started_from: str
) -> QuestionnaireDraft:
    draft = QuestionnaireDraft(
        partnership_id=partnership.id,
        content=content,
        revision=1,
        started_from=started_from[:300],
        updated_by_id=actor.id,
    )
    session.add(draft)
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="questionnaire_draft_started",
        object_type="questionnaire_draft",
        object_id=draft.id,
        detail={"started_from": draft.started_from, "partnership_id": partnership.id},
    )
    return draft


def start_blank(session: Session, *, partnership: Partnership, actor: Person) -> QuestionnaireDraft:
    return _new_draft(
        session,
        partnership=partnership,
        actor=actor,
        content=copy.deepcopy(BLANK),
        started_from="a blank questionnaire",
    )


def start_from_version(
    session: Session,
    *,
    partnership: Partnership,
    actor: Person,
    questionnaire_id: str,
    version: str,
) -> QuestionnaireDraft:
    """The next version of a published questionnaire the partnership may see: same id."""
    published = questionnaire_service.get_version(
        session, questionnaire_id=questionnaire_id, version=version, partnership_id=partnership.id
    )
    if published is None:
        raise DraftError("There is no such questionnaire version")
    content = content_of(questionnaire_service.snapshot(published))
    content["version"] = _free_version(session, published.questionnaire_id, next_version(version))
    return _new_draft(
        session,
        partnership=partnership,
        actor=actor,
        content=content,
        started_from=f"{published.questionnaire_id} version {published.version}",
    )


def start_from_text(
    session: Session, *, partnership: Partnership, actor: Person, text: str, source_name: str
) -> QuestionnaireDraft:
    """A YAML file (uploaded, or one of the shipped library) as a draft of its next version;
    a file `check` refuses is refused here, with its problems."""
    result = check_text(text, source=source_name)
    if result.questionnaire is None:
        raise DraftError("; ".join(str(problem) for problem in result.problems))
    content = content_of(result.questionnaire)
    content["version"] = _free_version(session, result.questionnaire.id, content["version"])
    return _new_draft(
        session, partnership=partnership, actor=actor, content=content, started_from=source_name
    )


def get_draft(
    session: Session, *, partnership: Partnership, draft_id: int
) -> QuestionnaireDraft | None:
    """The partnership's own draft; another partnership's is not found."""
    return session.scalar(
        select(QuestionnaireDraft).where(
            QuestionnaireDraft.id == draft_id,
            QuestionnaireDraft.partnership_id == partnership.id,
        )
    )


def list_drafts(session: Session, *, partnership: Partnership) -> list[QuestionnaireDraft]:
    return list(
        session.scalars(
            select(QuestionnaireDraft)
            .where(
                QuestionnaireDraft.partnership_id == partnership.id,
                QuestionnaireDraft.published_version_id.is_(None),
            )
            .order_by(QuestionnaireDraft.updated_at.desc(), QuestionnaireDraft.id.desc())
        )
    )


def questionnaire_of(content: dict[str, Any]) -> Questionnaire | None:
    """The draft as the format's model, or None while its shape is broken (never saved so)."""
    try:
        return Questionnaire.model_validate(_publishable_shape(content))
    except ValidationError:
        return None


def _publishable_shape(content: dict[str, Any]) -> dict[str, Any]:
    # A blank draft has no id or title yet; the model needs some to check the rest.
    shaped = dict(content)
    shaped["id"] = content.get("id") or "untitled"
    shaped["title"] = content.get("title") or "Untitled"
    return shaped


def shape_errors(content: dict[str, Any]) -> list[tuple[tuple, str]]:
    """The format's own rules (types, lengths, ranges) broken by this content, by path."""
    return _shaped(content)[1]


def _shaped(content: dict[str, Any]) -> tuple[Questionnaire | None, list[tuple[tuple, str]]]:
    try:
        return Questionnaire.model_validate(_publishable_shape(content)), []
    except ValidationError as error:
        return None, [
            (_clean_location(item["loc"]), item["msg"].removeprefix("Value error, "))
            for item in error.errors()
        ]


def save(
    session: Session,
    *,
    draft: QuestionnaireDraft,
    actor: Person,
    read_revision: int,
    change: Callable[[dict[str, Any]], None],
) -> QuestionnaireDraft:
    """Apply a change to a copy of the draft and store it only if the shape still holds and no
    one saved since `read_revision`; otherwise nothing is stored."""
    if draft.published_version_id is not None:
        raise DraftError("This draft is published: make a new version to change it")
    if read_revision != draft.revision:
        raise DraftConflict(conflict_message(session, draft))
    content = copy.deepcopy(draft.content)
    change(content)
    broken = shape_errors(content)
    if broken:
        raise EditRefused({"_": "; ".join(message for _, message in broken[:3])})
    # The revision test is in the UPDATE itself, so two requests racing past the check above
    # still cannot both save: the second matches no row.
    saved = session.execute(
        update(QuestionnaireDraft)
        .where(QuestionnaireDraft.id == draft.id, QuestionnaireDraft.revision == read_revision)
        .values(
            content=content,
            revision=read_revision + 1,
            updated_at=utcnow(),
            updated_by_id=actor.id,
        )
        .execution_options(synchronize_session=False)
    )
    if saved.rowcount != 1:  # type: ignore[attr-defined]
        session.expire(draft)
        raise DraftConflict(conflict_message(session, draft))
    session.expire(draft)
    return draft


def delete_draft(
    session: Session, *, draft: QuestionnaireDraft, actor: Person, read_revision: int
) -> None:
    """Throw away an abandoned draft; never a published one (its version keeps the record),
    and never one someone changed after this person read it."""
    if draft.published_version_id is not None:
        raise DraftError("This draft is published: it stays as the record of that version")
    if read_revision != draft.revision:
        raise DraftConflict(conflict_message(session, draft))
    audit_service.record_event(
        session,
        actor=actor,
        action="questionnaire_draft_deleted",
        object_type="questionnaire_draft",
        object_id=draft.id,
        detail={
            "title": draft.content.get("title", ""),
            "version": draft.content.get("version", ""),
            "partnership_id": draft.partnership_id,
        },
    )
    session.delete(draft)
    session.flush()


def conflict_message(session: Session, draft: QuestionnaireDraft) -> str:
    session.refresh(draft)
    who = session.get(Person, draft.updated_by_id) if draft.updated_by_id else None
    name = who.name if who is not None else "Someone"
    return (
        f"{name} changed this questionnaire after you opened this page, so your change was not "
        "saved. The page now shows their version: make your change again if it is still needed"
    )


# What a coordinator calls each key of the format.
FIELD_WORDS = {
    "id": "Id",
    "version": "Version",
    "title": "Title",
    "label": "Question text",
    "hint": "Hint",
    "introduction": "Introduction",
    "show_if": "When to show it",
    "scale": "Scale",
    "options": "Options",
    "columns": "Table columns",
    "descriptors": "Descriptors",
    "evidence_required": "Evidence needed",
    "scored_by_panel": "Scored by the panel",
    "carry_forward": "Last year's action plan",
    "maps_to": "Standards it tests",
    "sectors": "Sectors",
    "min": "Smallest number",
    "max": "Largest number",
    "max_length": "Longest answer",
    "min_rows": "Fewest rows",
    "max_rows": "Most rows",
    "guidance": "Guidance",
    "weight": "Weight",
    "levels": "Levels",
    "questions": "Questions",
}


def _plain(message: str) -> str:
    message = message.replace("show_if", "“when to show it”")
    message = re.sub(r"\bsection '[^']*' ", "this section ", message)
    message = re.sub(r"sections\[(\d+)\]", lambda m: f"section {int(m.group(1)) + 1}", message)
    return message[:1].upper() + message[1:]


def problems(
    content: dict[str, Any], *, base: str, checked: Questionnaire | None = None
) -> list[DraftProblem]:
    """`s11 questionnaire check`'s rules on the draft, each placed on the page that fixes it
    (`checked`: the draft's model when the caller has it already)."""
    questionnaire, found = (checked, []) if checked is not None else _shaped(content)
    if questionnaire is not None:
        found = list(document_problems(questionnaire))
    missing = [(("id",), "give the questionnaire an id")] if not content.get("id") else []
    if not content.get("title"):
        missing.append((("title",), "give the questionnaire a title"))
    return [_placed(content, path, message, base) for path, message in missing + found]


def _placed(content: dict[str, Any], path: tuple, message: str, base: str) -> DraftProblem:
    sections = content.get("sections") or []
    if len(path) >= 2 and path[0] == "sections" and isinstance(path[1], int):
        s_index = path[1]
        section = sections[s_index] if s_index < len(sections) else {}
        rest = path[2:]
        where = f"Section {s_index + 1} “{section.get('title', '')}”"
        href = f"{base}/sections/{section.get('id', '')}"
        if len(rest) >= 2 and rest[0] == "questions" and isinstance(rest[1], int):
            questions = section.get("questions") or []
            question = questions[rest[1]] if rest[1] < len(questions) else {}
            where += f", question “{question.get('label', '')}”"
            href = f"{base}/questions/{question.get('id', '')}"
            rest = rest[2:]
        field = next((p for p in rest if isinstance(p, str)), "")
        if field == "show_if":
            href += "/show-if"
        elif field:
            href += f"#{field.replace('_', '-')}"
        return DraftProblem(where, FIELD_WORDS.get(field, ""), _plain(message), href)
    if path and path[0] == "scales":
        name = path[1] if len(path) > 1 else ""
        return DraftProblem(f"Scale “{name}”", "", _plain(message), f"{base}/scales/{name}")
    field = next((p for p in path if isinstance(p, str)), "")
    return DraftProblem(
        "The questionnaire", FIELD_WORDS.get(field, field), _plain(message), f"{base}/details"
    )


def previous_version(
    session: Session, *, partnership: Partnership, questionnaire_id: str
) -> QuestionnaireVersion | None:
    """The last published version of this questionnaire the partnership may see."""
    return session.scalar(
        select(QuestionnaireVersion)
        .where(
            questionnaire_service.visible_to(partnership.id),
            QuestionnaireVersion.questionnaire_id == questionnaire_id,
        )
        .order_by(QuestionnaireVersion.published_at.desc(), QuestionnaireVersion.id.desc())
        .limit(1)
    )


def last_published_question(
    session: Session, *, partnership: Partnership, questionnaire_id: str, question_id: str
) -> Any:
    """The question as the last published version asked it (what last year's answers fit)."""
    previous = previous_version(session, partnership=partnership, questionnaire_id=questionnaire_id)
    if previous is None:
        return None
    return questionnaire_service.snapshot(previous).question(question_id)


def published_question_ids(session: Session, *, questionnaire_id: str) -> dict[str, str]:
    """Every question id any published version of this questionnaire used, with its label:
    such an id names that question for good (answers carry over by it)."""
    if not questionnaire_id:
        return {}
    used: dict[str, str] = {}
    for version in session.scalars(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire_id
        )
    ):
        for _, question in questionnaire_service.snapshot(version).questions():
            used.setdefault(question.id, question.label)
    return used


def comparison(
    session: Session, *, partnership: Partnership, questionnaire: Questionnaire
) -> QuestionnaireDiff | None:
    previous = previous_version(session, partnership=partnership, questionnaire_id=questionnaire.id)
    if previous is None:
        return None
    return compare(questionnaire_service.snapshot(previous), questionnaire)


def lost_answers(diff: QuestionnaireDiff | None) -> set[str]:
    """Questions kept by id whose answers stop carrying over (their type or scale changed)."""
    if diff is None:
        return set()
    return {
        was.question.id
        for was, now in diff.retyped
        if not answer_carries_over(was.question, now.question)
    }


@dataclass
class DraftView:
    """What the editor's pages show of a draft: the model, its problems, what a published
    version already fixed (question ids) and what stops carrying over."""

    draft: QuestionnaireDraft
    questionnaire: Questionnaire | None
    problems: list[DraftProblem]
    published_ids: dict[str, str]
    diff: QuestionnaireDiff | None
    lost: set[str]
    depended_on: dict[str, list[str]]  # question id → labels of the questions that read it

    @property
    def publishable(self) -> bool:
        return self.questionnaire is not None and not self.problems


def view(session: Session, *, partnership: Partnership, draft: QuestionnaireDraft) -> DraftView:
    content = draft.content
    questionnaire = questionnaire_of(content)
    found = problems(content, base=f"/questionnaire-drafts/{draft.id}", checked=questionnaire)
    diff = None
    if questionnaire is not None and content.get("id"):
        diff = comparison(session, partnership=partnership, questionnaire=questionnaire)
    depended_on: dict[str, list[str]] = {}
    if questionnaire is not None:
        for _, question in questionnaire.questions():
            if question.show_if is not None:
                for read in question.show_if.questions():
                    depended_on.setdefault(read, []).append(question.label)
    return DraftView(
        draft=draft,
        questionnaire=questionnaire,
        problems=found,
        published_ids=published_question_ids(session, questionnaire_id=content.get("id", "")),
        diff=diff,
        lost=lost_answers(diff),
        depended_on=depended_on,
    )


@dataclass(frozen=True)
class Standards:
    """A return questionnaire's ratings, which a frontline survey's questions may test."""

    questionnaire_id: str
    title: str
    choices: list[tuple[str, str]]  # ("questionnaire-id/question-id", the question's label)


def survey_standards(session: Session, *, partnership: Partnership) -> list[Standards]:
    """The standards of the return questionnaires the partnership may use (the latest version
    of each): what maps_to offers, never typed."""
    found = []
    for listing in questionnaire_service.list_questionnaires(
        session, partnership_id=partnership.id
    ):
        latest = listing.versions[0]
        if latest.audience != "agency_return":
            continue
        questionnaire = questionnaire_service.snapshot(latest)
        choices = [
            (f"{questionnaire.id}/{question.id}", question.label)
            for _, question in questionnaire.questions()
            if getattr(question, "type", "") == "rating"
        ]
        if choices:
            found.append(Standards(questionnaire.id, listing.title, choices))
    return found
