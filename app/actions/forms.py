"""Reading the action plan forms (an action, an item from another source, a progress update)
into the rules' values; a date that cannot be read is an error here, the rest the rules'."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import FormData, UploadFile

from app.actions.composite import ItemDraft
from app.actions.progress import ActionDraft, Progress, Upload
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


def read_upload(form: FormData) -> Upload | None:
    """The evidence file given with a progress update, if one was chosen."""
    file = form.get("evidence")
    if isinstance(file, UploadFile) and file.filename:
        return Upload(file.file, file.filename)
    return None


EARLIEST = date(2000, 1, 1)
MOST_DATES = 6


def read_dates(values: list[str], today: date) -> tuple[list[date], dict[int, str]]:
    """The dates chosen, in order, and a message for each box (by position) that held none."""
    dates, errors = [], {}
    latest = today.replace(year=today.year + 10)
    for index, value in enumerate(values[:MOST_DATES]):
        value = value.strip()
        if not value:
            continue
        try:
            day = date.fromisoformat(value)
        except ValueError:
            errors[index] = f"“{value[:20]}” is not a date: pick one, or type it as 2021-04-30"
            continue
        if not EARLIEST <= day <= latest:
            errors[index] = f"Choose a date from 2000 to {latest.year}"
        else:
            dates.append(day)
    return sorted(set(dates)), errors
