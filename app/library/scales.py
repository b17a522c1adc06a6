"""Rating scales in the editor: a scale's name and its levels (value, label, colour, descriptor)
or percentage steps. Never renames or removes a scale that questions or sections use."""

from __future__ import annotations

from typing import Any

from app.library.drafts import EditRefused, slug_from
from app.library.form_fields import (
    MAX_HINT,
    MAX_LEVELS,
    Form,
    all_questions,
    number,
    refuse_if,
    rows,
    text,
    unique_id,
    words,
)
from app.params import whole_number_from
from app.questionnaires.schema import LevelColour

# Scales -----------------------------------------------------------------------------------

COLOURS = [colour.value for colour in LevelColour]


def set_scale(content: dict[str, Any], name: str | None, form: Form) -> str:
    """A new scale (name None) or a change to one: its label and levels, or percentage steps."""
    scales = content.setdefault("scales", {})
    errors: dict[str, str] = {}
    label = words(form, errors, "label", "The name", 200, needed="the scale's name")
    kind = text(form, "kind") or "levels"
    scale: dict[str, Any] = {"label": label}
    if kind == "percentage":
        step = number(errors, "step", text(form, "step"), "The step", whole=True)
        if step is None or not 1 <= step <= 50 or 100 % step:
            errors["step"] = "The step must divide 100 exactly, like 10 or 25"
        scale["percentage"] = {"step": step}
    else:
        levels = []
        for row in rows(form, "level", MAX_LEVELS, errors, "levels"):
            level_label = text(form, f"level_{row}_label")
            if not level_label:
                continue
            value = number(
                errors,
                f"level-{row}-value",
                text(form, f"level_{row}_value"),
                "The value",
                whole=True,
            )
            colour = text(form, f"level_{row}_colour")
            descriptor = text(form, f"level_{row}_descriptor")
            if value is None and f"level-{row}-value" not in errors:
                errors[f"level-{row}-value"] = f"Give “{level_label}” a value, like 1"
            if colour not in COLOURS:
                errors[f"level-{row}-colour"] = f"Choose a colour for “{level_label}”"
            if not descriptor:
                errors[f"level-{row}-descriptor"] = f"Describe what “{level_label}” means"
            elif len(descriptor) > MAX_HINT:
                errors[f"level-{row}-descriptor"] = (
                    f"A descriptor must be {MAX_HINT:,} characters or fewer"
                )
            level = {
                "value": value,
                "label": level_label[:200],
                "colour": colour,
                "descriptor": descriptor,
            }
            if text(form, f"level_{row}_unscored") == "yes":
                level["scored"] = False
            levels.append(level)
        values = [level["value"] for level in levels]
        if len(levels) < 2:
            errors["level-0-label"] = "A scale needs at least two levels"
        elif len(set(values)) != len(values):
            errors["level-0-value"] = "Each level needs a value of its own"
        scale["levels"] = levels
    refuse_if(errors)
    if name is None:
        name = unique_id(slug_from(label), set(scales) | {"new"})
    scales[name] = scale
    return name


def scale_users(content: dict[str, Any], name: str) -> list[str]:
    """The sections and questions rated or scored on this scale, as a coordinator names them."""
    users = [
        f"Section “{section.get('title', '')}”"
        for section in content.get("sections") or []
        if section.get("scale") == name
    ]
    users += [
        f"“{question.get('label', '')}”"
        for _, _, question in all_questions(content)
        if question.get("scale") == name
    ]
    return users


def remove_scale(content: dict[str, Any], name: str) -> None:
    """Remove a scale nothing uses; one in use is refused, naming what uses it."""
    users = scale_users(content, name)
    if users:
        raise EditRefused(
            {"_": f"The scale is used by {', '.join(users)}: choose another scale for them first"}
        )
    del content["scales"][name]
    if not content["scales"]:
        del content["scales"]


def scale_values(scale: dict[str, Any] | None) -> dict[str, Any]:
    """A saved scale as its page's fields."""
    if scale is None:
        return {"kind": "levels"}
    values: dict[str, Any] = {"label": scale.get("label", "")}
    if scale.get("percentage"):
        values.update(kind="percentage", step=scale["percentage"].get("step", ""))
        return values
    values["kind"] = "levels"
    for row, level in enumerate(scale.get("levels") or []):
        values[f"level_{row}_value"] = level["value"]
        values[f"level_{row}_label"] = level["label"]
        values[f"level_{row}_colour"] = level["colour"]
        values[f"level_{row}_descriptor"] = level["descriptor"]
        values[f"level_{row}_unscored"] = "" if level.get("scored", True) else "yes"
    return values


def level_rows(typed: dict[str, Any] | None, scale: dict[str, Any] | None) -> int:
    """How many level rows the page offers: those there are, and two empty ones to add more."""
    if typed is not None:
        return min(whole_number_from(str(typed.get("level_rows", ""))) or 0, MAX_LEVELS)
    return min(len((scale or {}).get("levels") or []) + 2, MAX_LEVELS) if scale else 5
