"""Reading the action plan forms (an action, an item from another source, a progress update)
into the service's values; a date that cannot be read is an error here, the rest the service's."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import FormData

from app.actions.service import ActionDraft, ItemDraft, Progress
from app.cycles.forms import read_date


def _text(form: FormData, name: str) -> str:
    return str(form.get(name) or "")


def _due(form: FormData) -> tuple[date | None, str | None]:
    try:
        return read_date(form, "due"), None
    except ValueError as error:
        return None, str(error)


def read_action_form(form: FormData) -> tuple[ActionDraft, str | None]:
    due_on, due_error = _due(form)
    draft = ActionDraft(
        description=_text(form, "description"),
        owner=_text(form, "owner"),
        due_on=due_on,
        success_measure=_text(form, "success_measure"),
    )
    return draft, due_error


def read_item_form(form: FormData) -> tuple[ItemDraft, str | None]:
    action, due_error = read_action_form(form)
    draft = ItemDraft(
        source=_text(form, "source"),
        description=action.description,
        theme=_text(form, "theme"),
        priority=_text(form, "priority"),
        owner=action.owner,
        due_on=action.due_on,
        success_measure=action.success_measure,
    )
    return draft, due_error


def read_progress(form: FormData) -> Progress:
    return Progress(status=_text(form, "status"), note=_text(form, "note"))
