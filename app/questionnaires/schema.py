"""The questionnaire format: what a YAML file may say, as Pydantic models (and JSON Schema).

Only the shape and local rules live here; rules across the document (ids, scales, show_if
order) live in checks.py so that every problem can be reported with its line.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from app.directory.models import AgencySector, BoardKind

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=60)]
Text = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Audience(StrEnum):
    AGENCY_RETURN = "agency_return"
    FRONTLINE_SURVEY = "frontline_survey"


class LevelColour(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    BLUE = "blue"
    GREY = "grey"


class Level(Strict):
    value: int
    label: Text
    colour: LevelColour
    descriptor: Text
    scored: bool = Field(
        default=True, description="false for answers such as 'Don't know' that never count"
    )


class PercentageSteps(Strict):
    """0–100% in equal steps; each step's colour comes from the bands below."""

    step: int = Field(ge=1, le=50)
    red_below: int = Field(default=40, ge=0, le=100)
    green_from: int = Field(default=70, ge=0, le=100)

    @model_validator(mode="after")
    def _bands_in_order(self) -> PercentageSteps:
        if self.red_below > self.green_from:
            raise ValueError("red_below must not be more than green_from")
        if 100 % self.step:
            raise ValueError("step must divide 100 exactly")
        return self


class RatingScale(Strict):
    label: Text
    levels: list[Level] | None = None
    percentage: PercentageSteps | None = None

    @model_validator(mode="after")
    def _levels_or_percentage(self) -> RatingScale:
        if (self.levels is None) == (self.percentage is None):
            raise ValueError("give either levels or percentage, not both or neither")
        if self.levels is not None:
            if len(self.levels) < 2:
                raise ValueError("a scale needs at least two levels")
            values = [level.value for level in self.levels]
            if len(set(values)) != len(values):
                raise ValueError("level values must be different")
        return self

    def all_levels(self) -> list[Level]:
        if self.levels is not None:
            return list(self.levels)
        steps = self.percentage
        assert steps is not None
        levels = []
        for value in range(0, 101, steps.step):
            if value < steps.red_below:
                colour = LevelColour.RED
            elif value < steps.green_from:
                colour = LevelColour.AMBER
            else:
                colour = LevelColour.GREEN
            levels.append(
                Level(
                    value=value,
                    label=f"{value}%",
                    colour=colour,
                    descriptor=f"About {value}% of what the standard asks for is in place.",
                )
            )
        return levels


class Option(Strict):
    value: Slug
    label: Text
    hint: str | None = None


class AgencyAttribute(StrEnum):
    """What a show_if may ask of the agency itself rather than of an answer."""

    SECTOR = "sector"
    SCHOOL_TYPE = "school_type"
    SCHOOL_PHASE = "school_phase"


class Condition(Strict):
    """A show_if rule on earlier answers or on the agency (its sector, school type or phase):
    one comparison, or all/any of other conditions."""

    question: Slug | None = None
    agency: AgencyAttribute | None = Field(
        default=None, description="compare the agency's own sector, school_type or school_phase"
    )
    equals: str | int | float | bool | None = None
    one_of: list[str | int | float | bool] | None = None
    answered: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        tests = [t for t in ("equals", "one_of", "answered") if getattr(self, t) is not None]
        groups = [g for g in ("all", "any") if getattr(self, g) is not None]
        subject = self.question is not None or self.agency is not None
        if groups:
            if len(groups) > 1 or subject or tests:
                raise ValueError("use all or any on its own, without question or other tests")
            if not getattr(self, groups[0]):
                raise ValueError(f"{groups[0]} needs at least one condition")
        else:
            if self.question is not None and self.agency is not None:
                raise ValueError("look at a question or at the agency, not both")
            if not subject:
                raise ValueError("name the question (or the agency attribute) this looks at")
            if len(tests) != 1:
                raise ValueError("give exactly one of equals, one_of or answered")
        return self

    def questions(self) -> list[str]:
        """Every question id this condition depends on."""
        if self.question is not None:
            return [self.question]
        return [q for part in (self.all or self.any or []) for q in part.questions()]


class EquivalentWording(Strict):
    """Wording for agencies that sign up to equivalent standards (voluntary sector)."""

    label: str | None = None
    hint: str | None = None


class QuestionBase(Strict):
    id: Slug
    label: Text
    hint: str | None = None
    required: bool = True
    show_if: Condition | None = None
    sectors: list[AgencySector] | None = None
    equivalent_standards: EquivalentWording | None = None
    not_applicable: bool = Field(
        default=False, description="allow 'Not applicable' with a reason; removes it from scores"
    )
    scored_by_panel: bool = False
    weight: float = Field(default=1.0, gt=0)
    scale: Slug | None = Field(default=None, description="the scale the panel scores it on")
    maps_to: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*/[a-z][a-z0-9_-]*$")]] | None = (
        None
    )


class RatingQuestion(QuestionBase):
    type: Literal["rating"]
    scale: Slug
    descriptors: dict[int, Text] | None = Field(
        default=None, description="this question's own descriptor for some levels, by value"
    )
    evidence_prompts: list[Text] | None = None


class TextQuestion(QuestionBase):
    type: Literal["text"]
    max_length: int = Field(default=200, ge=1, le=2000)


class LongTextQuestion(QuestionBase):
    type: Literal["long_text"]
    max_length: int = Field(default=5000, ge=1, le=50000)


class YesNoQuestion(QuestionBase):
    type: Literal["yes_no"]


class SingleChoiceQuestion(QuestionBase):
    type: Literal["single_choice"]
    options: list[Option] = Field(min_length=2)


class MultipleChoiceQuestion(QuestionBase):
    type: Literal["multiple_choice"]
    options: list[Option] = Field(min_length=2)


class NumberQuestion(QuestionBase):
    type: Literal["number"]
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _range(self) -> NumberQuestion:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be more than max")
        return self


class DateQuestion(QuestionBase):
    type: Literal["date"]


class EvidenceQuestion(QuestionBase):
    type: Literal["evidence"]
    required: bool = False


class ColumnType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"


class Column(Strict):
    id: Slug
    label: Text
    type: ColumnType = ColumnType.TEXT
    options: list[Option] | None = None

    @model_validator(mode="after")
    def _options_for_choices(self) -> Column:
        if (self.type == ColumnType.SINGLE_CHOICE) != (self.options is not None):
            raise ValueError("options are needed by, and only by, single_choice columns")
        return self


class TableQuestion(QuestionBase):
    type: Literal["table"]
    columns: list[Column] = Field(min_length=1)
    min_rows: int = Field(default=1, ge=0, le=50)
    max_rows: int = Field(default=20, ge=1, le=200)

    @model_validator(mode="after")
    def _rows(self) -> TableQuestion:
        if self.min_rows > self.max_rows:
            raise ValueError("min_rows must not be more than max_rows")
        ids = [column.id for column in self.columns]
        if len(set(ids)) != len(ids):
            raise ValueError("column ids must be different")
        return self


Question = Annotated[
    RatingQuestion
    | TextQuestion
    | LongTextQuestion
    | YesNoQuestion
    | SingleChoiceQuestion
    | MultipleChoiceQuestion
    | NumberQuestion
    | DateQuestion
    | EvidenceQuestion
    | TableQuestion,
    Field(discriminator="type"),
]

QUESTION_TYPES = frozenset(
    {
        "rating",
        "text",
        "long_text",
        "yes_no",
        "single_choice",
        "multiple_choice",
        "number",
        "date",
        "evidence",
        "table",
    }
)


class Section(Strict):
    id: Slug
    title: Text
    guidance: str | None = Field(default=None, description="Markdown; raw HTML is not allowed")
    questions: list[Question] = Field(default_factory=list)
    carry_forward: Literal["action_plan"] | None = None
    scored_by_panel: bool = False
    weight: float = Field(default=1.0, gt=0)
    scale: Slug | None = None
    evidence_required: bool = Field(
        default=False,
        description="at least one evidence file in this section before the return is signed off",
    )


class Questionnaire(Strict):
    id: Slug
    version: str = Field(min_length=1, max_length=40)
    title: Text
    introduction: str | None = None
    audience: Audience = Audience.AGENCY_RETURN
    board: BoardKind = Field(
        default=BoardKind.CHILDREN,
        description="the kind of board that runs it: children (the default) or adults",
    )
    sectors: list[AgencySector] | None = None
    scales: dict[Slug, RatingScale] = Field(default_factory=dict)
    sections: list[Section] = Field(min_length=1)
    # A questionnaire never changes once loaded (frozen), so what is worked out from it can
    # live as long as it does: its questions by id, and rendered markup (see rendering.py).
    _by_id: dict[str, QuestionBase] = PrivateAttr(default_factory=dict)
    _markup: dict[tuple, str] = PrivateAttr(default_factory=dict)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: object) -> object:
        # `version: 2021` in YAML is a number; it names the same version as "2021".
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    def questions(self) -> list[tuple[Section, QuestionBase]]:
        return [(section, question) for section in self.sections for question in section.questions]

    def question(self, question_id: str) -> QuestionBase | None:
        if not self._by_id:
            self._by_id.update((question.id, question) for _, question in self.questions())
        return self._by_id.get(question_id)

    @property
    def markup(self) -> dict[tuple, str]:
        """Rendered markup of this questionnaire's questions, by what it was rendered from."""
        return self._markup


def json_schema() -> dict:
    schema = Questionnaire.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "s11 Section 11 questionnaire"
    return schema
