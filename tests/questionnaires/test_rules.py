"""Which answers a show_if reads: autosave loads exactly those to decide if a question shows."""

from __future__ import annotations

from app.questionnaires.rules import questions_read
from app.questionnaires.schema import Condition


def test_an_autosave_reads_every_answer_a_nested_show_if_depends_on():
    condition = Condition.model_validate(
        {
            "all": [
                {"question": "has-policy", "equals": "yes"},
                {
                    "any": [
                        {"question": "sector", "one_of": ["statutory"]},
                        {"question": "x", "answered": True},
                    ]
                },
            ]
        }
    )
    assert questions_read(condition) == {"has-policy", "sector", "x"}
    assert questions_read(None) == set()
