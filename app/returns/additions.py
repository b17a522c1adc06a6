"""What modules above returns add to a return's pages: the survey link on the task list
(surveys), last year's actions in the section that carries them forward (actions).

Each is registered by the module that owns it; returns sits below them and never names them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.returns.service import ReturnView

# What one module adds to the task list's context, from the return being shown.
TaskListAddition = Callable[[Session, ReturnView], dict[str, object]]
# What one module adds to a section's context, from the return and last year's (or None).
SectionAddition = Callable[[Session, ReturnView, ReturnView | None], dict[str, object]]

TASK_LIST: dict[str, TaskListAddition] = {}  # by the adding module's name
SECTIONS: dict[str, SectionAddition] = {}  # by the section's carry_forward


def for_task_list(session: Session, view: ReturnView) -> dict[str, object]:
    context: dict[str, object] = {}
    for add in TASK_LIST.values():
        context.update(add(session, view))
    return context


def for_section(
    session: Session, view: ReturnView, carry_forward: str | None, last: ReturnView | None
) -> dict[str, object]:
    add = SECTIONS.get(carry_forward or "")
    return add(session, view, last) if add else {}
