"""Writing a questionnaire as a YAML file that reads as if written by hand (the editor's output).
It must never write what `check_text` would read as a different questionnaire or fingerprint.
"""

from __future__ import annotations

import math
import re
from enum import Enum
from typing import Any

import yaml
from pydantic import BaseModel

from app.questionnaires.schema import (
    Column,
    Condition,
    EquivalentWording,
    Level,
    Option,
    PercentageSteps,
    QuestionBase,
    Questionnaire,
)

# Keys in the README's order, values equal to their default left out (as content_hash leaves
# them out), Markdown as literal blocks, a comment before each section. PyYAML quotes whatever
# would read as another type ("yes", "null", "1.0"); the comments are the only text not written
# by PyYAML, and _comment makes them safe.
SCHEMA_LINE = "# yaml-language-server: $schema=./schema.json"
WIDTH = 100
# PyYAML breaks a line at the first space past its width, so it is given a little less.
_FOLD_AT = 88
# A title past this is cut short in its comment (the key below it has the whole of it).
COMMENT_LIMIT = 150
# Text longer than this may go under its key as a folded block (`>-`) rather than past the margin.
FOLD_FROM = 60
# A mapping or list of short scalars reads best on one line, as the README's examples have it.
FLOW_WIDTH = 76
# Floats that are whole numbers read as `2`, not `2.0`, where the field is a float anyway.
_WHOLE_FLOAT_LIMIT = 1e15

# The README's order; a field missing here (added to the format later) follows in the model's
# own order, so nothing is ever dropped.
KEY_ORDER: dict[str, tuple[str, ...]] = {
    "Questionnaire": (
        "id",
        "version",
        "title",
        "introduction",
        "audience",
        "board",
        "sectors",
        "scales",
        "sections",
    ),
    "RatingScale": ("label", "levels", "percentage"),
    "Level": ("value", "label", "colour", "descriptor", "scored"),
    "PercentageSteps": ("step", "red_below", "green_from"),
    "Section": (
        "id",
        "title",
        "guidance",
        "scored_by_panel",
        "scale",
        "weight",
        "evidence_required",
        "carry_forward",
        "questions",
    ),
    "Question": (
        "id",
        "type",
        "scale",
        "label",
        "hint",
        "required",
        "show_if",
        "sectors",
        "options",
        "max_length",
        "min",
        "max",
        "min_rows",
        "max_rows",
        "columns",
        "descriptors",
        "evidence_prompts",
        "scored_by_panel",
        "weight",
        "not_applicable",
        "equivalent_standards",
        "maps_to",
    ),
    "Condition": ("question", "agency", "equals", "one_of", "answered", "all", "any"),
    "Option": ("value", "label", "hint"),
    "Column": ("id", "label", "type", "options"),
    "EquivalentWording": ("label", "hint"),
}

# What the YAML reader refuses to find anywhere in a file, comments included, and the line
# breaks that would end a comment early.
_NOT_IN_COMMENTS = re.compile(
    "[^\x09\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)

_ODD_BREAKS = re.compile("[\r\x85\u2028\u2029]")


class _Flow(dict):
    """A mapping written on one line: `{value: 1, label: Not met}`."""


class _FlowList(list):
    """A list written on one line: `[police, health_provider]`."""


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, as the shipped files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        # Only here is the column after `key:` known: text that fits on the key's own line
        # stays there instead of being folded under it (with room for quotes, should it need them).
        event = self.event
        if event.style == ">" and self.column + 3 + len(event.value) <= WIDTH:
            event.style = None
        return super().choose_scalar_style()


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # Markdown keeps its lines, and a long sentence is folded at spaces under its key (as the
    # shipped files write descriptors). PyYAML itself falls back to quotes where a block
    # cannot hold the text exactly (trailing spaces before a line break, control characters).
    if _ODD_BREAKS.search(text):
        # The reader turns these into plain line breaks or spaces anywhere but in escapes.
        style = '"'
    else:
        style = "|" if "\n" in text else (">" if len(text) > FOLD_FROM else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _represent_flow(dumper: yaml.SafeDumper, data: dict) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _represent_flow_list(dumper: yaml.SafeDumper, data: list) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_block(dumper: yaml.SafeDumper, data: dict) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)


def _represent_block_list(dumper: yaml.SafeDumper, data: list) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=False)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(dict, _represent_block)
_Dumper.add_representer(list, _represent_block_list)
_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(_FlowList, _represent_flow_list)


def _dump(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=_FOLD_AT, indent=2
    )


# Small parts that read well on one line; questions and sections always take a line a key.
_FLOW_MODELS = (Level, Option, Column, Condition, PercentageSteps, EquivalentWording)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list) and not (isinstance(value, str) and "\n" in value)


def _maybe_flow(value: dict | list) -> dict | list:
    # A list of mappings keeps one item a line; a mapping may hold a one-line list
    # (`{question: sector, one_of: [statutory, voluntary]}`).
    if isinstance(value, dict):
        fits = all(_is_scalar(v) or isinstance(v, _Flow | _FlowList) for v in value.values())
    else:
        fits = all(_is_scalar(item) for item in value)
    if not value or not fits:
        return value
    flow = _Flow(value) if isinstance(value, dict) else _FlowList(value)
    one_line = yaml.dump(
        flow, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**6
    ).rstrip("\n")
    return flow if len(one_line) <= FLOW_WIDTH and "\n" not in one_line else value


def _ordered_fields(model: BaseModel) -> list[str]:
    fields = list(type(model).model_fields)
    name = "Question" if isinstance(model, QuestionBase) else type(model).__name__
    order = KEY_ORDER.get(name, ())
    return [key for key in order if key in fields] + [key for key in fields if key not in order]


def _plain(value: Any, *, whole_floats: bool = False) -> Any:
    """A model's value as plain YAML data: mappings, lists, text, numbers and booleans."""
    if isinstance(value, BaseModel):
        return _mapping(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return _maybe_flow({_plain(k): _plain(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        items = [_plain(item) for item in value]
        if any(type(item) is dict for item in items):
            # Items of one list look alike: all on one line each, or all a key a line.
            items = [dict(item) if isinstance(item, _Flow) else item for item in items]
        return _maybe_flow(items)
    if (
        whole_floats
        and isinstance(value, float)
        and value.is_integer()
        and abs(value) < _WHOLE_FLOAT_LIMIT
        # -0.0 equals 0 but is fingerprinted as "-0.0": it keeps its sign.
        and (value != 0 or math.copysign(1.0, value) > 0)
    ):
        return int(value)
    return value


def _mapping(model: BaseModel) -> dict | _Flow:
    fields = type(model).model_fields
    data: dict[str, Any] = {}
    for key in _ordered_fields(model):
        field = fields[key]
        value = getattr(model, key)
        if not field.is_required() and value == field.get_default(call_default_factory=True):
            continue
        # Only a field that is a float and nothing else may lose its `.0`: an answer in
        # show_if (`equals: 1.0`) must stay the float it was.
        data[key] = _plain(value, whole_floats=field.annotation in (float, float | None))
    return _maybe_flow(data) if isinstance(model, _FLOW_MODELS) else data


def _comment(text: str, *, indent: str = "") -> str:
    words = " ".join(_NOT_IN_COMMENTS.sub(" ", text).split())
    if len(words) > COMMENT_LIMIT:
        words = words[: COMMENT_LIMIT - 1].rstrip() + "…"
    return f"{indent}# {words}".rstrip() + "\n"


def questionnaire_yaml(questionnaire: Questionnaire) -> str:
    """The questionnaire as a YAML file that `s11 questionnaire check` reads back as an equal
    questionnaire with the same content hash."""
    data = _mapping(questionnaire)
    sections = data.pop("sections")
    scales = data.pop("scales", None)
    parts = [
        SCHEMA_LINE + "\n",
        _comment(f"{questionnaire.title} (version {questionnaire.version})"),
    ]
    open_ended = _append(parts, _dump(dict(data)))
    if scales is not None:
        parts += [_gap(open_ended), _comment("Rating scales")]
        open_ended = _append(parts, _dump({"scales": scales}))
    parts += [_gap(open_ended), "sections:\n"]
    for number, (section, written) in enumerate(
        zip(questionnaire.sections, sections, strict=True), start=1
    ):
        # Each section is written as a one-item list under `sections:` and joined after its
        # comment: PyYAML indents it exactly as it would inside the whole document.
        if number > 1:
            parts.append(_gap(open_ended))
        parts.append(_comment(f"Section {number}: {section.title}", indent="  "))
        open_ended = _append(parts, _dump({"sections": [written]}).split("\n", 1)[1])
    if open_ended:
        parts.append("...\n")
    return "".join(parts)


def _append(parts: list[str], fragment: str) -> bool:
    """Add a fragment of the document; true when it ends in text that keeps its trailing
    line breaks (`|+`), which PyYAML closes with `...` and a blank line would lengthen."""
    open_ended = fragment.endswith("\n...\n")
    parts.append(fragment.removesuffix("...\n") if open_ended else fragment)
    return open_ended


def _gap(open_ended: bool) -> str:
    return "" if open_ended else "\n"


__all__ = ["questionnaire_yaml"]
