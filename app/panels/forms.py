"""Reading the panel forms: the session's date and times, and a member's scores, into the
rules' values. What cannot be read is an error here; what it means is the rules' check."""

from __future__ import annotations

import re
from datetime import time

from starlette.datastructures import FormData

from app.cycles.forms import read_date
from app.panels.models import MeetingMode
from app.panels.reading import ScoredItem
from app.panels.scheduling import SessionDetails
from app.panels.scoring import ScoreEntry
from app.params import whole_number_from

LONGEST_NOTE = 4000


def read_time(text: str) -> time | None:
    """A time typed as 9:30, 09:30, 9.30 or 14:00; None when empty; ValueError if not a time."""
    text = text.strip().lower()
    if not text:
        return None
    found = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?", text)
    if not found:
        raise ValueError("Enter the time like 09:30 or 14:00")
    hour, minute = int(found[1]), int(found[2] or 0)
    if found[3] == "pm" and hour < 12:
        hour += 12
    if found[3] == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise ValueError("Enter a real time, like 09:30 or 14:00")
    return time(hour, minute)


def read_rating(text: str) -> int | None:
    """A rating as chosen on a scale, or None when the text is not a small whole number."""
    return int(text) if re.fullmatch(r"-?\d{1,4}", text) else None


def read_session_form(form: FormData) -> tuple[SessionDetails, dict[str, str]]:
    errors: dict[str, str] = {}
    try:
        day = read_date(form, "day")
    except ValueError as error:
        day, errors["day"] = None, str(error)
    times = {}
    for name in ("starts", "ends"):
        try:
            times[name] = read_time(str(form.get(name) or ""))
        except ValueError as error:
            times[name], errors[name] = None, str(error)
    minutes = str(form.get("slot_minutes") or "").strip()
    mode = str(form.get("mode") or "")
    details = SessionDetails(
        title=str(form.get("title") or "")[:200],
        day=day,
        starts=times["starts"],
        ends=times["ends"],
        slot_minutes=whole_number_from(minutes),
        mode=MeetingMode(mode) if mode in MeetingMode._value2member_map_ else None,
        location=str(form.get("location") or "")[:300],
        meeting_link=str(form.get("meeting_link") or ""),
    )
    return details, errors


def read_scores(
    form: FormData, items: list[ScoredItem]
) -> tuple[dict[str, ScoreEntry], dict[str, str]]:
    """Each item's fields are named by its position, so item keys never reach a field name."""
    entries: dict[str, ScoreEntry] = {}
    errors: dict[str, str] = {}
    for index, item in enumerate(items):
        rating_text = str(form.get(f"item-{index}-rating") or "")
        rating = read_rating(rating_text)
        if rating_text and (rating is None or item.level(rating) is None):
            errors[f"item-{index}"] = f"Choose a rating on the scale for {item.title}"
            rating = None
        notes = {
            name: str(form.get(f"item-{index}-{name}") or "")
            for name in ("strengths", "worries", "lines_of_enquiry")
        }
        for name, text in notes.items():
            if len(text) > LONGEST_NOTE:
                errors[f"item-{index}-{name}"] = (
                    f"Keep each note to {LONGEST_NOTE:,} characters or fewer"
                )
        entries[item.key] = ScoreEntry(rating=rating, **notes)
    return entries, errors
