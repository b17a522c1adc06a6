"""The words that differ between a children's partnership and a safeguarding adults board,
in one place for pages, emails and workbooks: never an `if` on the board's kind elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from app.directory.models import BoardKind, Partnership


@dataclass(frozen=True)
class BoardTerms:
    people: str  # whom the board keeps safe: "children", "adults at risk"
    self_assessment: str  # the round's name for what agencies fill in
    return_name: str  # one agency's return
    duty: str  # the law the duty comes from
    board: str  # what the body is called in running text
    work: str  # the work in a heading: "Your Section 11 work"

    @property
    def service_name(self) -> str:
        """The service's name in the header and every page title."""
        return _capitalised(self.self_assessment)

    @property
    def work_title(self) -> str:
        """The work at the start of a title: "Section 11", "Safeguarding adults"."""
        return _capitalised(self.work)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


TERMS = {
    BoardKind.CHILDREN: BoardTerms(
        people="children",
        self_assessment="Section 11 self-assessment",
        return_name="Section 11 return",
        duty="Section 11 of the Children Act 2004",
        board="safeguarding children partnership",
        work="Section 11",
    ),
    BoardKind.ADULTS: BoardTerms(
        people="adults at risk",
        self_assessment="safeguarding adults self-assessment",
        return_name="safeguarding adults self-assessment return",
        duty="the Care Act 2014",
        board="safeguarding adults board",
        work="safeguarding adults",
    ),
}


def terms_for(board: BoardKind | Partnership | None) -> BoardTerms:
    """The words for a board (or its kind); without one, a children's partnership's."""
    kind = board.kind if isinstance(board, Partnership) else board
    return TERMS[kind or BoardKind.CHILDREN]
