"""Comparing two questionnaire versions: added, removed, moved, reworded and retyped questions.

The same comparison decides which of last year's answers carry over: by question id, when the
question kept its type (and, for ratings, its scale).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher

from app.questionnaires.schema import QuestionBase, Questionnaire


@dataclass(frozen=True)
class Placed:
    question: QuestionBase
    section_id: str
    section_title: str
    position: int  # the question's place in the whole questionnaire, from 0


@dataclass(frozen=True)
class Moved:
    question_id: str
    before: Placed
    after: Placed


@dataclass(frozen=True)
class Reworded:
    question_id: str
    before: str
    after: str
    part: str  # "label" or "hint"


@dataclass
class QuestionnaireDiff:
    old: Questionnaire
    new: Questionnaire
    added: list[Placed] = field(default_factory=list)
    removed: list[Placed] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    reworded: list[Reworded] = field(default_factory=list)
    retyped: list[tuple[Placed, Placed]] = field(default_factory=list)
    carried_over: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.moved or self.reworded or self.retyped)


def _placed(questionnaire: Questionnaire) -> dict[str, Placed]:
    return {
        question.id: Placed(question, section.id, section.title, position)
        for position, (section, question) in enumerate(questionnaire.questions())
    }


def answer_carries_over(old: QuestionBase, new: QuestionBase) -> bool:
    """Last year's answer still fits this year's question."""
    if old.type != new.type:  # type: ignore[attr-defined]
        return False
    return getattr(old, "scale", None) == getattr(new, "scale", None)


def compare(old: Questionnaire, new: Questionnaire) -> QuestionnaireDiff:
    before, after = _placed(old), _placed(new)
    diff = QuestionnaireDiff(old=old, new=new)
    diff.added = [placed for qid, placed in after.items() if qid not in before]
    diff.removed = [placed for qid, placed in before.items() if qid not in after]

    kept = [qid for qid in after if qid in before]
    old_order = [qid for qid in before if qid in after]
    # The longest run of shared questions left in the same order stays put; a question outside
    # it, or in another section, has moved. So moving one question reports one move, not
    # every question it jumped over.
    matcher = SequenceMatcher(a=old_order, b=kept, autojunk=False)
    in_place = {
        kept[block.b + i] for block in matcher.get_matching_blocks() for i in range(block.size)
    }
    for qid in kept:
        was, now = before[qid], after[qid]
        if was.section_id != now.section_id or qid not in in_place:
            diff.moved.append(Moved(qid, was, now))
        for part in ("label", "hint"):
            old_text, new_text = getattr(was.question, part), getattr(now.question, part)
            if (old_text or "").strip() != (new_text or "").strip():
                diff.reworded.append(Reworded(qid, old_text or "", new_text or "", part))
        if answer_carries_over(was.question, now.question):
            diff.carried_over.append(qid)
        else:
            diff.retyped.append((was, now))
    return diff


def describe(diff: QuestionnaireDiff) -> list[str]:
    """The comparison as lines of text for the command line."""
    old, new = diff.old, diff.new
    lines = [f"Comparing {old.id} version {old.version} with {new.id} version {new.version}"]
    if diff.unchanged:
        lines.append("No questions were added, removed, moved or reworded.")

    def section(title: str, items: list[str]) -> None:
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines.extend(f"  {item}" for item in items)

    section(
        "Added", [f"+ {p.question.id} in {p.section_id}: {p.question.label}" for p in diff.added]
    )
    section(
        "Removed",
        [f"- {p.question.id} from {p.section_id}: {p.question.label}" for p in diff.removed],
    )
    section(
        "Moved",
        [
            f"~ {m.question_id}: {m.before.section_id} #{m.before.position + 1} → "
            f"{m.after.section_id} #{m.after.position + 1}"
            for m in diff.moved
        ],
    )
    section(
        "Reworded",
        [f'~ {r.question_id} {r.part}: "{r.before}" → "{r.after}"' for r in diff.reworded],
    )
    section(
        "Changed type or scale (answers do not carry over)",
        [
            f"! {was.question.id}: {was.question.type} → {now.question.type}"  # type: ignore[attr-defined]
            for was, now in diff.retyped
        ],
    )
    lines.append(
        f"Answers that carry over from version {old.version}: "
        f"{len(diff.carried_over)} of {len(new.questions())} questions"
    )
    return lines
