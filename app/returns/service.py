"""A return: who may see it, how it reads (answers, evidence, progress by section) and moving
its status. Services flush; the request commits. Never saves an answer: answers.py does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.cycle_models import Cycle, CyclePartnership
from app.directory.models import Agency, Partnership, PartnershipAgency, Person, Role
from app.directory.terms import BoardTerms, terms_for
from app.notifications.mail import Email
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.rules import (
    Reveal,
    controlling,
    counts_as_answered,
    follow_ups,
    is_shown,
    newly_asked,
    questions_read,
    reveal,
)
from app.questionnaires.schema import QuestionBase, Questionnaire, Section
from app.returns.models import (
    ALLOWED_MOVES,
    AgencyReturn,
    Answer,
    AnswerRevision,
    EvidenceFile,
    ReturnStatus,
)


class ReturnError(ValueError):
    """A change the return's rules refuse, with a message fit for the page."""


def move_return(
    session: Session,
    *,
    agency_return: AgencyReturn,
    to: ReturnStatus,
    actor: Person | None,
    reason: str | None = None,
) -> None:
    """Change a return's status, if the status model allows that move."""
    was = agency_return.status
    if to not in ALLOWED_MOVES[was]:
        raise ReturnError(f"A return that is {was.label.lower()} cannot become {to.label.lower()}")
    agency_return.status = to
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="return_status_changed",
        object_type="return",
        object_id=agency_return.id,
        detail={"from": was.value, "to": to.value, "reason": reason},
    )


# Built once: every page of a return reads its answers and files (a section page twice, with
# last year's beside them).
_ANSWERS = select(Answer).where(Answer.return_id == bindparam("return_id"))
_FILES = (
    select(EvidenceFile)
    .where(EvidenceFile.return_id == bindparam("return_id"))
    .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
)


def answers_of(session: Session, *, agency_return: AgencyReturn) -> dict[str, Answer]:
    return {
        answer.question_id: answer
        for answer in session.scalars(_ANSWERS, {"return_id": agency_return.id})
    }


def history_of(session: Session, *, answer: Answer) -> list[AnswerRevision]:
    return list(
        session.scalars(
            select(AnswerRevision)
            .where(AnswerRevision.answer_id == answer.id)
            .order_by(AnswerRevision.version)
        )
    )


def answer_values(
    questionnaire: Questionnaire, answers: dict[str, Any], files: dict[str, list[str]]
) -> dict[str, Any]:
    """Each question's value as the rules read it: its saved answer, except that an evidence
    question is answered by the names of its files."""
    values = dict(answers)
    for question_id, names in files.items():
        question = questionnaire.question(question_id)
        if names and getattr(question, "type", "") == "evidence":
            values[question_id] = list(names)  # the answer is files
    return values


@dataclass(frozen=True)
class SectionProgress:
    section: Section
    questions: list[QuestionBase]  # the ones shown to this agency, with these answers
    status: str  # "not started", "in progress" or "completed"


@dataclass
class ReturnView:
    """A return as its agency's people work on it, fetched only through `return_for`."""

    agency_return: AgencyReturn
    cycle: Cycle
    agency: Agency
    questionnaire: Questionnaire
    answers: dict[str, Answer]
    is_lead: bool
    evidence: dict[str, list[EvidenceFile]] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, Any]:
        return answer_values(
            self.questionnaire,
            {qid: answer.value for qid, answer in self.answers.items()},
            {qid: [file.file_name for file in files] for qid, files in self.evidence.items()},
        )

    def shown(self, section: Section) -> list[QuestionBase]:
        values = self.values
        return [q for q in section.questions if is_shown(q, agency=self.agency, values=values)]

    def with_typed(self, typed: dict[str, Any]) -> dict[str, Any]:
        """The answers as the person's screen holds them: saved ones, overlaid with what the
        page sends (evidence is answered by files, which a page never sends back)."""
        kept = {
            qid: value
            for qid, value in typed.items()
            if getattr(self.questionnaire.question(qid), "type", "") != "evidence"
        }
        return self.values | kept

    def on_page(
        self, section: Section, values: dict[str, Any] | None = None
    ) -> tuple[list[QuestionBase], set[str]]:
        """The questions a section's page carries, and those of them hidden for these answers:
        a follow-up travels hidden so that it opens when the answer that asks for it is given."""
        values = self.values if values is None else values
        carried = {q.id for q in follow_ups(section.questions, agency=self.agency)}
        questions = [
            q
            for q in section.questions
            if q.id in carried or is_shown(q, agency=self.agency, values=values)
        ]
        hidden = {q.id for q in questions if not is_shown(q, agency=self.agency, values=values)}
        return questions, hidden

    def follow_ups(self, section: Section) -> list[QuestionBase]:
        return follow_ups(section.questions, agency=self.agency)

    def controlling(self, section: Section) -> set[str]:
        return controlling(section.questions, agency=self.agency)

    def reveal(self, section: Section, *, typed: dict[str, Any], on_screen: set[str]) -> Reveal:
        """Which of the section's follow-ups the answers on the person's screen ask for."""
        return reveal(
            section.questions,
            agency=self.agency,
            values=self.with_typed(typed),
            on_screen=on_screen,
        )

    def on_screen(self, section: Section, follow_ups_shown: set[str]) -> set[str]:
        """The questions a posted page had on screen: those it always shows for the saved
        answers, and the follow-ups it says were open."""
        carried = {q.id for q in follow_ups(section.questions, agency=self.agency)}
        return {q.id for q in self.shown(section) if q.id not in carried} | (
            follow_ups_shown & carried
        )

    def newly_asked(self, section: Section, *, on_screen: set[str]) -> list[QuestionBase]:
        """Questions the saved answers now ask in this section that the person has not seen."""
        return newly_asked(
            section.questions, agency=self.agency, values=self.values, on_screen=on_screen
        )

    def sections(self) -> list[SectionProgress]:
        values = self.values
        result = []
        for section in self.questionnaire.sections:
            questions = self.shown(section)
            answered = [q for q in questions if counts_as_answered(q, values.get(q.id))]
            missing = [q for q in questions if q.required and q not in answered]
            if questions and not answered:
                status = "not started"
            else:
                status = "in progress" if missing else "completed"
            result.append(SectionProgress(section, questions, status))
        return result

    def section_of(self, question_id: str) -> str | None:
        return next((s.id for s, q in self.questionnaire.questions() if q.id == question_id), None)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.questionnaire.sections if s.id == section_id), None)

    @property
    def required_progress(self) -> tuple[int, int]:
        values = self.values
        required = [q for s in self.sections() for q in s.questions if q.required]
        answered = [q for q in required if counts_as_answered(q, values.get(q.id))]
        return len(answered), len(required)


def _agency_roles(person: Person) -> dict[int, set[Role]]:
    roles: dict[int, set[Role]] = {}
    for membership in person.memberships:
        if membership.agency_id is not None:
            roles.setdefault(membership.agency_id, set()).add(membership.role)
    return roles


# The returns of the agencies a person leads or contributes to, in their partnerships. Built
# once, with the person's agencies and partnerships as parameters (`_visible_to`): every page
# of a return and every autosave runs it.
_VISIBLE_RETURNS = (
    select(AgencyReturn, Cycle, Agency)
    .join(Cycle, Cycle.id == AgencyReturn.cycle_id)
    .join(Agency, Agency.id == AgencyReturn.agency_id)
    .where(
        AgencyReturn.agency_id.in_(bindparam("agency_ids", expanding=True)),
        Cycle.id.in_(
            select(CyclePartnership.cycle_id).where(
                CyclePartnership.partnership_id.in_(bindparam("partnership_ids", expanding=True))
            )
        ),
    )
)
_RETURNS_NEWEST_FIRST = _VISIBLE_RETURNS.order_by(Cycle.deadline_on.desc(), Agency.name)
# With its questionnaire version, so that `view_of` finds it in the session (its content is
# deferred: `snapshot` parses it once per process).
_ONE_RETURN = (
    _VISIBLE_RETURNS.add_columns(QuestionnaireVersion)
    .join(QuestionnaireVersion, QuestionnaireVersion.id == AgencyReturn.questionnaire_version_id)
    .where(AgencyReturn.id == bindparam("return_id"))
)


def _visible_to(person: Person, **more: Any) -> dict[str, Any]:
    """The parameters of `_VISIBLE_RETURNS` for this person."""
    return {
        "agency_ids": list(_agency_roles(person)),
        "partnership_ids": list({m.partnership_id for m in person.memberships if m.agency_id}),
        **more,
    }


def returns_for(session: Session, *, person: Person) -> list[tuple[AgencyReturn, Cycle, Agency]]:
    """The returns the person may work on, newest cycle first."""
    visible = _visible_to(person)
    if not visible["agency_ids"]:
        return []
    rows = session.execute(_RETURNS_NEWEST_FIRST, visible)
    return [tuple(row) for row in rows]  # type: ignore[misc]


def return_for(session: Session, *, person: Person, return_id: int) -> ReturnView | None:
    """Fetch a return through the access policy: another agency's return does not exist."""
    row = session.execute(_ONE_RETURN, _visible_to(person, return_id=return_id)).first()
    if row is None:
        return None
    agency_return, _cycle, agency, _version = row
    roles = _agency_roles(person).get(agency.id, set())
    return view_of(session, agency_return, is_lead=Role.AGENCY_LEAD in roles)


@dataclass(frozen=True)
class AnswerToSave:
    agency_return: AgencyReturn
    questionnaire: Questionnaire
    question: QuestionBase


def answer_to_save(
    session: Session, *, person: Person, return_id: int, section_id: str, question_id: str
) -> AnswerToSave | None:
    """For one autosave, the question if the person may answer it there and it is shown.

    Autosaves come every few seconds while people type, so this reads only the answers the
    question's show_if looks at, where `return_for` would load the whole return.
    """
    row = session.execute(_ONE_RETURN, _visible_to(person, return_id=return_id)).first()
    if row is None:
        return None
    agency_return, _cycle, agency, version = row
    questionnaire = questionnaire_service.snapshot(version)
    question = questionnaire.question(question_id)
    section = next((s for s in questionnaire.sections if s.id == section_id), None)
    if section is None or not any(q.id == question_id for q in section.questions):
        return None
    assert question is not None
    # A follow-up the page carries (hidden until the answer that asks for it is given) keeps
    # what is typed into it, as the format promises, even before that answer's own save lands.
    if question not in follow_ups(section.questions, agency=agency):
        values = _values_read_by(session, agency_return, questionnaire, question)
        if not is_shown(question, agency=agency, values=values):
            return None
    return AnswerToSave(agency_return, questionnaire, question)


def _values_read_by(
    session: Session,
    agency_return: AgencyReturn,
    questionnaire: Questionnaire,
    question: QuestionBase,
) -> dict[str, Any]:
    """The answers a question's show_if reads, as `ReturnView.values` gives them."""
    read = questions_read(question.show_if)
    if not read:
        return {}
    values: dict[str, Any] = dict(
        session.execute(  # type: ignore[arg-type]
            select(Answer.question_id, Answer.value).where(
                Answer.return_id == agency_return.id, Answer.question_id.in_(read)
            )
        ).all()
    )
    by_files = [q for q in read if getattr(questionnaire.question(q), "type", "") == "evidence"]
    if by_files:
        files: dict[str, list[str]] = {}
        for question_id, file_name in session.execute(
            select(EvidenceFile.question_id, EvidenceFile.file_name)
            .where(
                EvidenceFile.return_id == agency_return.id,
                EvidenceFile.question_id.in_(by_files),
            )
            .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
        ):
            files.setdefault(question_id, []).append(file_name)
        values.update(files)  # an evidence question is answered by its files
    return values


def view_of(session: Session, agency_return: AgencyReturn, *, is_lead: bool = False) -> ReturnView:
    """The whole return, for callers that have already decided who may see it."""
    cycle = session.get(Cycle, agency_return.cycle_id)
    agency = session.get(Agency, agency_return.agency_id)
    assert cycle is not None and agency is not None
    version = session.get(QuestionnaireVersion, agency_return.questionnaire_version_id)
    assert version is not None
    return ReturnView(
        agency_return=agency_return,
        cycle=cycle,
        agency=agency,
        questionnaire=questionnaire_service.snapshot(version),
        answers=answers_of(session, agency_return=agency_return),
        is_lead=is_lead,
        evidence=evidence_of(session, agency_return=agency_return),
    )


def views_of(
    session: Session, returns: list[AgencyReturn], *, cycle: Cycle
) -> dict[int, ReturnView]:
    """Many returns of one cycle at once, in a fixed number of statements (for dashboards)."""
    ids = [r.id for r in returns]
    answers: dict[int, dict[str, Answer]] = {i: {} for i in ids}
    for answer in session.scalars(select(Answer).where(Answer.return_id.in_(ids))):
        answers[answer.return_id][answer.question_id] = answer
    files: dict[int, dict[str, list[EvidenceFile]]] = {i: {} for i in ids}
    for file in session.scalars(
        select(EvidenceFile)
        .where(EvidenceFile.return_id.in_(ids))
        .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
    ):
        files[file.return_id].setdefault(file.question_id, []).append(file)
    agencies = {
        a.id: a
        for a in session.scalars(
            select(Agency).where(Agency.id.in_({r.agency_id for r in returns}))
        )
    }
    versions = {
        v.id: v
        for v in session.scalars(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.id.in_({r.questionnaire_version_id for r in returns})
            )
        )
    }
    return {
        r.id: ReturnView(
            agency_return=r,
            cycle=cycle,
            agency=agencies[r.agency_id],
            questionnaire=questionnaire_service.snapshot(versions[r.questionnaire_version_id]),
            answers=answers[r.id],
            is_lead=False,
            evidence=files[r.id],
        )
        for r in returns
    }


def takes_evidence(question: QuestionBase) -> bool:
    """Files can be attached to evidence questions and to each rated standard."""
    return getattr(question, "type", "") in ("evidence", "rating")


def evidence_of(session: Session, *, agency_return: AgencyReturn) -> dict[str, list[EvidenceFile]]:
    files: dict[str, list[EvidenceFile]] = {}
    for file in session.scalars(_FILES, {"return_id": agency_return.id}):
        files.setdefault(file.question_id, []).append(file)
    return files


def reopen_return(
    session: Session, *, agency_return: AgencyReturn, reason: str, actor: Person
) -> None:
    """A coordinator sends a submitted return back to the agency to change, saying why."""
    reason = reason.strip()
    if not reason:
        raise ReturnError("Say why the return is being reopened: the agency will read it")
    if len(reason) > 2000:
        raise ReturnError("Use 2,000 characters or fewer for the reason")
    if agency_return.status not in (ReturnStatus.SUBMITTED, ReturnStatus.AWAITING_SIGN_OFF):
        raise ReturnError(
            f"Only a submitted return can be reopened; this one is "
            f"{agency_return.status.label.lower()}"
        )
    move_return(
        session,
        agency_return=agency_return,
        to=ReturnStatus.IN_PROGRESS,
        actor=actor,
        reason=reason,
    )
    agency_return.signed_off_name = agency_return.signed_off_role = None
    agency_return.signed_off_at = None
    session.flush()


def reopened_email(
    view: ReturnView, *, to: Person, reason: str, base_url: str, terms: BoardTerms
) -> Email:
    return Email(
        to=to.email,
        subject=f"Reopened: {view.agency.name}'s return for {view.cycle.name}",
        body=(
            f"Hello {to.name},\n\n"
            f"The {terms.board} has reopened {view.agency.name}'s {terms.return_name} for "
            f"{view.cycle.name} so that it can be changed. The reason given:\n\n{reason}\n\n"
            "Make the changes, then submit it again from "
            f"{base_url.rstrip('/')}/returns/{view.agency_return.id}/check\n"
        ),
    )


def partnership_id_of(session: Session, *, agency_return: AgencyReturn) -> int | None:
    """The partnership whose round the return is in: of the cycle's, the first the agency is
    in; its coordinators see the return's emails."""
    return session.scalar(
        select(CyclePartnership.partnership_id)
        .join(
            PartnershipAgency,
            (PartnershipAgency.partnership_id == CyclePartnership.partnership_id)
            & (PartnershipAgency.agency_id == agency_return.agency_id),
        )
        .where(CyclePartnership.cycle_id == agency_return.cycle_id)
        .order_by(CyclePartnership.partnership_id)
        .limit(1)
    )


def board_terms_of(session: Session, *, agency_return: AgencyReturn) -> BoardTerms:
    """The words of the board whose round the return is in (see `partnership_id_of`)."""
    partnership_id = partnership_id_of(session, agency_return=agency_return)
    kind = session.scalar(select(Partnership.kind).where(Partnership.id == partnership_id))
    return terms_for(kind)


def submitter_of(session: Session, *, agency_return: AgencyReturn) -> Person | None:
    if agency_return.submitted_by_id is None:
        return None
    return session.get(Person, agency_return.submitted_by_id)


def people_named(session: Session, *, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())
