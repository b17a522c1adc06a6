"""The Composite Action Plan's recommendations and the actions needing attention as long lists:
searched by agency, filtered, sorted and paged, so a schools round of hundreds shows one page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from app.actions.composite import Attention, PlanItem
from app.actions.models import Recommendation
from app.actions.progress import shown_status
from app.cycle_models import Cycle
from app.cycles import listing as round_listing
from app.directory.models import Agency, AgencySector, SchoolType
from app.listing import Choice, Listing, Page, page_of_list, read_listing

RecommendationRow = tuple[Recommendation, Agency, list[PlanItem]]

RECOMMENDATION_SORTS = {"theme": "Theme", "agency": "Agency name", "priority": "Priority"}
ATTENTION_SORTS = {"due": "Longest overdue first", "agency": "Agency or source"}
ACTIONS_CHOICE = Choice(
    "actions", "Actions", (("none", "No actions yet"), ("attention", "Overdue or at risk"))
)
STATUS_CHOICE = Choice("status", "Status", (("overdue", "Overdue"), ("at_risk", "At risk")))


def _agency_choices() -> list[Choice]:
    return round_listing.choices({"sector", "school_type"})


def recommendation_choices(rows: Sequence[RecommendationRow]) -> list[Choice]:
    """The themes the plan holds, then the agency's sector and school type, then its actions."""
    return choices_for_themes(
        sorted({r.theme for r, _agency, _items in rows if r.theme}, key=str.casefold)
    )


def choices_for_themes(themes: Sequence[str]) -> list[Choice]:
    return [
        Choice("theme", "Theme", tuple((t, t) for t in themes)),
        *_agency_choices(),
        ACTIONS_CHOICE,
    ]


def attention_choices(cycles: Sequence[Cycle]) -> list[Choice]:
    rounds = Choice("cycle", "Round", tuple((c.slug, c.name) for c in cycles))
    return [STATUS_CHOICE, rounds, *_agency_choices()]


def read_recommendations(params: Mapping[str, str], choices: list[Choice]) -> Listing:
    return read_listing(
        params, choices=choices, sorts=tuple(RECOMMENDATION_SORTS), default_sort="theme"
    )


def read_attention(params: Mapping[str, str], choices: list[Choice]) -> Listing:
    return read_listing(params, choices=choices, sorts=tuple(ATTENTION_SORTS), default_sort="due")


def _agency_matches(agency: Agency | None, listing: Listing) -> bool:
    """The search and the agency's own filters; an item from another source has no agency, so
    it matches only when neither is asked for."""
    wanted_sector = listing.filters.get("sector")
    wanted_type = listing.filters.get("school_type")
    if agency is None:
        return not (listing.search or wanted_sector or wanted_type)
    if listing.search and listing.search.casefold() not in agency.name.casefold():
        return False
    if wanted_sector and agency.sector is not AgencySector(wanted_sector):
        return False
    return not wanted_type or agency.school_type is SchoolType(wanted_type)


def _needs_attention(item: PlanItem, today: date) -> bool:
    return shown_status(item.action, today).key in ("overdue", "at_risk")


def recommendations_page(
    rows: Sequence[RecommendationRow], listing: Listing, *, today: date
) -> Page[RecommendationRow]:
    """One page of the plan's recommendations."""
    theme = listing.filters.get("theme")
    actions = listing.filters.get("actions")
    kept = [
        row
        for row in rows
        if _agency_matches(row[1], listing)
        and (not theme or row[0].theme == theme)
        and (actions != "none" or not row[2])
        and (actions != "attention" or any(_needs_attention(item, today) for item in row[2]))
    ]
    if listing.sort == "agency":
        kept.sort(key=lambda row: (row[1].name.casefold(), row[0].theme.casefold(), row[0].id))
    elif listing.sort == "priority":
        kept.sort(key=lambda row: (row[0].priority.casefold(), row[1].name.casefold(), row[0].id))
    else:
        kept.sort(key=lambda row: (row[0].theme.casefold(), row[1].name.casefold(), row[0].id))
    if listing.descending:
        kept.reverse()
    return page_of_list(kept, listing)


def _who(item: PlanItem) -> str:
    return item.agency.name if item.agency else item.action.source.label


def attention_page(rows: Sequence[Attention], listing: Listing) -> Page[Attention]:
    """One page of the actions needing attention, the longest overdue first unless sorted."""
    status = listing.filters.get("status")
    cycle = listing.filters.get("cycle")
    kept = [
        row
        for row in rows
        if _agency_matches(row.item.agency, listing)
        and (not status or row.shown.key == status)
        and (not cycle or row.cycle.slug == cycle)
    ]
    if listing.sort == "agency":
        kept.sort(key=lambda row: (_who(row.item).casefold(), row.item.action.due_on))
    if listing.descending:
        kept.reverse()
    return page_of_list(kept, listing)
