"""Attaching evidence files to a return's answers, and removing them. Never keeps a file
whose content is not what it claims, nor one on a return that no longer takes changes."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.directory.models import Person
from app.returns import evidence
from app.returns.models import EvidenceFile, ReturnStatus
from app.returns.service import ReturnError, ReturnView, move_return, takes_evidence


def attach_evidence(
    session: Session,
    *,
    view: ReturnView,
    question_id: str,
    source: BinaryIO,
    claimed_name: str,
    actor: Person,
    directory: Path,
    max_bytes: int,
    quota_bytes: int,
) -> EvidenceFile:
    """Keep an uploaded file as evidence for one question, if its size and content pass."""
    agency_return = view.agency_return
    if not agency_return.status.editable:
        raise ReturnError("This return has been submitted: its evidence can no longer change")
    question = view.questionnaire.question(question_id)
    if question is None or not takes_evidence(question):
        raise ReturnError("Files cannot be attached to this question")
    try:
        stored = evidence.store_upload(
            source, claimed_name=claimed_name, directory=directory, max_bytes=max_bytes
        )
    except evidence.EvidenceRefused as refused:
        raise ReturnError(f"{shown_name(claimed_name)}: {refused}") from None
    used = session.scalar(
        select(func.coalesce(func.sum(EvidenceFile.size), 0)).where(
            EvidenceFile.return_id == agency_return.id
        )
    )
    if used + stored.size > quota_bytes:
        evidence.remove_stored(directory, stored.stored_name)
        raise ReturnError(
            f"{shown_name(claimed_name)}: this return can hold {quota_bytes // evidence.MB} MB "
            f"of evidence and has {max(0, quota_bytes - used) // evidence.MB} MB left. "
            "Remove a file or make this one smaller"
        )
    file = EvidenceFile(
        return_id=agency_return.id,
        question_id=question_id,
        stored_name=stored.stored_name,
        file_name=stored.file_name,
        kind=stored.kind.name,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=actor.id,
    )
    session.add(file)
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="evidence_added",
        object_type="return",
        object_id=agency_return.id,
        detail={"question": question_id, "file": stored.file_name, "bytes": stored.size},
    )
    if agency_return.status is ReturnStatus.NOT_STARTED:
        move_return(session, agency_return=agency_return, to=ReturnStatus.IN_PROGRESS, actor=actor)
    view.evidence.setdefault(question_id, []).append(file)
    return file


def shown_name(claimed_name: str) -> str:
    """The uploaded name as a person would recognise it, for messages (escaped when shown)."""
    name = "".join(ch for ch in claimed_name.split("/")[-1].split("\\")[-1] if ch.isprintable())
    return f"“{name[:80]}”" if name else "The file"


def evidence_file(view: ReturnView, *, file_id: int) -> EvidenceFile | None:
    """One of this return's files; another return's file id finds nothing."""
    return next((f for files in view.evidence.values() for f in files if f.id == file_id), None)


def remove_evidence(
    session: Session, *, view: ReturnView, file: EvidenceFile, actor: Person, directory: Path
) -> None:
    if not view.agency_return.status.editable:
        raise ReturnError("This return has been submitted: its evidence can no longer change")
    session.delete(file)
    session.flush()
    audit_service.record_event(
        session,
        actor=actor,
        action="evidence_removed",
        object_type="return",
        object_id=view.agency_return.id,
        detail={"question": file.question_id, "file": file.file_name},
    )
    view.evidence[file.question_id].remove(file)
    evidence.remove_stored(directory, file.stored_name)
