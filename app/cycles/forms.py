"""Reading the cycle form: text, GOV.UK date inputs and lists, into CycleDetails.

What cannot be read (a date that does not exist, days that are not numbers) is an error here;
whether the values make sense together is the service's check.
"""

from __future__ import annotations

import re
from datetime import date

from starlette.datastructures import FormData

from app.cycles.service import CycleDetails
from app.directory.models import AgencySector
from app.params import id_from

DATE_FIELDS = {
    "opens_on": "opens",
    "deadline_on": "deadline",
    "panel_starts_on": "panel-starts",
    "panel_ends_on": "panel-ends",
}


def read_date(form: FormData, prefix: str) -> date | None:
    """A GOV.UK date input's three boxes; None when all are empty; ValueError if not a date."""
    parts = [str(form.get(f"{prefix}-{part}") or "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None
    try:
        day, month, year = (int(part) for part in parts)
        return date(year, month, day)
    except (ValueError, OverflowError):  # a year past what a date holds overflows
        raise ValueError("Enter a real date, like 30 11 2021") from None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")[:60]


def read_cycle_form(form: FormData) -> tuple[CycleDetails, dict[str, str]]:
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name, prefix in DATE_FIELDS.items():
        try:
            dates[name] = read_date(form, prefix)
        except ValueError as error:
            dates[name] = None
            errors[name] = str(error)
    days_text = str(form.get("reminder_days") or "")
    try:
        days = sorted({int(part) for part in re.split(r"[,\s]+", days_text) if part}, reverse=True)
    except ValueError:
        days = []
        errors["reminder_days"] = "Give reminder days as whole numbers, like 14, 7, 1"
    version = str(form.get("questionnaire_version_id") or "")
    sectors = {}
    for sector in AgencySector:
        chosen = str(form.get(f"sector-{sector.value}") or "")
        if (version_id := id_from(chosen)) is not None:
            sectors[sector] = version_id
    name = str(form.get("name") or "").strip()
    details = CycleDetails(
        name=name,
        slug=_slug(str(form.get("slug") or "") or name),
        questionnaire_version_id=id_from(version),
        senior_sign_off_required=form.get("senior_sign_off_required") == "yes",
        priorities=_lines(str(form.get("priorities") or "")),
        themes=_lines(str(form.get("themes") or "")),
        reminder_days=days,
        guidance=str(form.get("guidance") or "").strip(),
        sector_versions=sectors,
        joint_partnership_ids=[i for v in form.getlist("joint") if (i := id_from(str(v)))],
        **dates,
    )
    return details, errors
