"""A strict reader of OData `$filter` expressions: comparisons of a collection's own fields with
literals, joined by and, or, not and parentheses, checked against each field's type.

Never turns anything it reads into SQL: a filter becomes a test of each row in Python, so no
text from a request can reach the database, and anything outside this small grammar is refused.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from app.api.feed import Collection, FieldType

LONGEST = 2000  # characters in one filter
MOST_TERMS = 50  # comparisons in one filter
DEEPEST = 10  # parentheses and nots inside one another

Predicate = Callable[[dict[str, Any]], bool]


class FilterError(ValueError):
    """A filter that cannot be read, with where and why, for the person who wrote it."""


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d{1,15})
  | (?P<word>[A-Za-z_][A-Za-z0-9_]{0,59})
    """,
    re.VERBOSE,
)
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
LITERAL_WORDS = {"true": True, "false": False, "null": None}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    at: int  # where it starts, counted from 1 as a person would


def _tokens(text: str) -> list[_Token]:
    found, at = [], 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise FilterError(f"$filter: cannot read {text[at : at + 10]!r} at character {at + 1}")
        if match.lastgroup != "space":
            found.append(_Token(str(match.lastgroup), match.group(), at + 1))
        at = match.end()
    return found


class _Reader:
    def __init__(self, text: str, collection: Collection) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.terms = 0
        self.collection = collection

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise FilterError("$filter ends too soon: a comparison such as status eq 'submitted'")
        self.at += 1
        return token

    def is_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text in words

    def expression(self, depth: int = 0) -> Predicate:
        if depth > DEEPEST:
            raise FilterError(f"$filter nests more than {DEEPEST} deep")
        parts = [self.conjunction(depth)]
        while self.is_word("or"):
            self.take()
            parts.append(self.conjunction(depth))
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def conjunction(self, depth: int) -> Predicate:
        parts = [self.unary(depth)]
        while self.is_word("and"):
            self.take()
            parts.append(self.unary(depth))
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def unary(self, depth: int) -> Predicate:
        if self.is_word("not"):
            self.take()
            inner = self.unary(depth + 1)
            return lambda row: not inner(row)
        token = self.peek()
        if token is not None and token.kind == "open":
            self.take()
            inner = self.expression(depth + 1)
            closing = self.take()
            if closing.kind != "close":
                raise FilterError(f"$filter: expected ')' at character {closing.at}")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        name = self.take()
        if name.kind != "word" or name.text in COMPARISONS or name.text in LITERAL_WORDS:
            raise FilterError(
                f"$filter: expected a field name at character {name.at}, found {name.text!r}; "
                "a comparison starts with a field, such as status eq 'submitted'"
            )
        field = self.collection.field(name.text)
        if field is None:
            raise FilterError(
                f"$filter: {self.collection.name} has no field {name.text!r}; its fields are "
                + ", ".join(self.collection.field_names)
            )
        op = self.take()
        if op.kind != "word" or op.text not in COMPARISONS:
            raise FilterError(
                f"$filter: expected eq, ne, gt, ge, lt or le at character {op.at}, "
                f"found {op.text!r}"
            )
        value = _literal(self.take(), field.name, field.type)
        self.terms += 1
        if self.terms > MOST_TERMS:
            raise FilterError(f"$filter has more than {MOST_TERMS} comparisons")
        compare, key = COMPARISONS[op.text], field.name
        if value is None:
            if op.text not in ("eq", "ne"):
                raise FilterError(f"$filter: null can only be compared with eq or ne ({key})")
            return lambda row: compare(row[key], None)
        if field.type is FieldType.DATETIME and not isinstance(value, datetime):
            value = datetime.combine(value, datetime.min.time(), tzinfo=UTC)  # a day from 00:00

        def test(row: dict[str, Any]) -> bool:
            found = row[key]
            if found is None:  # as in OData: nothing is greater, less or equal to null
                return op.text == "ne"
            return compare(found, value)

        return test


def _literal(token: _Token, field: str, kind: FieldType) -> Any:
    """The literal compared with a field, if it is of the field's type."""
    if token.kind == "word" and token.text == "null":
        return None
    wants = {
        FieldType.STRING: ("string",),
        FieldType.INT: ("number",),
        FieldType.DATE: ("date",),
        FieldType.DATETIME: ("datetime", "date"),
        FieldType.BOOLEAN: ("word",),
    }[kind]
    not_a_truth = kind is FieldType.BOOLEAN and token.text not in ("true", "false")
    if token.kind not in wants or not_a_truth:
        example = {
            FieldType.STRING: "'text' in single quotes",
            FieldType.INT: "a whole number",
            FieldType.DATE: "a date such as 2021-11-30",
            FieldType.DATETIME: "a date, or a moment such as 2021-11-30T09:00:00Z",
            FieldType.BOOLEAN: "true or false",
        }[kind]
        raise FilterError(
            f"$filter: {field} is compared with {example}, not {token.text!r} "
            f"(character {token.at})"
        )
    try:
        if token.kind == "string":
            return token.text[1:-1].replace("''", "'")
        if token.kind == "number":
            return int(token.text)
        if token.kind == "date":
            return date.fromisoformat(token.text)
        if token.kind == "datetime":
            moment = datetime.fromisoformat(token.text.replace("Z", "+00:00"))
            return moment.astimezone(UTC)
    except ValueError:
        raise FilterError(
            f"$filter: {token.text!r} is not a real date (character {token.at})"
        ) from None
    return LITERAL_WORDS[token.text]


def parse_filter(text: str, collection: Collection) -> Predicate:
    """A test of each row of the collection; FilterError for anything this grammar does not
    hold: an unknown field, a literal of the wrong type, a fragment of SQL, a long expression."""
    if len(text) > LONGEST:
        raise FilterError(f"$filter is longer than {LONGEST} characters")
    if not text.strip():
        raise FilterError("$filter is empty: leave it out to have every row")
    reader = _Reader(text, collection)
    predicate = reader.expression()
    left = reader.peek()
    if left is not None:
        raise FilterError(
            f"$filter: expected and, or or the end at character {left.at}, found {left.text!r}"
        )
    return predicate
