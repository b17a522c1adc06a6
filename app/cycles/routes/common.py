"""What the round's pages share: the coordinator's permission, finding the partnership,
cycle or return they ask for, the dashboard with a banner, and sending invitations."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import HTTPException
from fastapi.responses import Response

from app.auth.deps import CurrentPartnership, require
from app.auth.policy import Permission
from app.cycles import invitations as round_invitations
from app.cycles import listing as round_listing
from app.cycles import progress as round_progress
from app.cycles import service as cycles_service
from app.directory.models import Person
from app.listing import Listing
from app.notifications import service as notifications_service
from app.templating import render, swapping

Coordinator = Annotated[Person, require(Permission.MANAGE_ROUND)]


def partnership_or_404(person: Person, partnership: CurrentPartnership):  # type: ignore[no-untyped-def]
    if not cycles_service.coordinates(person, partnership):
        raise HTTPException(status_code=404)  # coordinating elsewhere, working here
    return partnership


def return_or_404(session, person, partnership, return_id):  # type: ignore[no-untyped-def]
    partnership = partnership_or_404(person, partnership)
    row = cycles_service.return_in_round(session, partnership=partnership, return_id=return_id)
    if row is None:
        raise HTTPException(status_code=404)
    return row


def cycle_or_404(session, person, partnership, slug):  # type: ignore[no-untyped-def]
    partnership = partnership_or_404(person, partnership)
    cycle = cycles_service.cycle_for(session, partnership=partnership, slug=slug)
    if cycle is None:
        raise HTTPException(status_code=404)
    return partnership, cycle


def dashboard_page(  # type: ignore[no-untyped-def]
    request,
    session,
    partnership,
    cycle,
    *,
    listing: Listing | None = None,
    added: str = "",
    imported: int | None = None,
    invited: int | None = None,
    refused: list[round_invitations.LeadInvitation] | None = None,
    opened: int | None = None,
    reminded: int | None = None,
    extended: int | None = None,
) -> Response:
    """The dashboard, with what was just done in a banner: `invited` counts the invitations
    the mail server took, `refused` names those it did not."""
    listing = listing or round_listing.read({})
    progress = round_progress.progress(
        session, cycle=cycle, partnership=partnership, listing=listing
    )
    return render(
        request,
        "cycles/dashboard.html",
        {
            "partnership": partnership,
            "cycle": cycle,
            "progress": progress,
            "listing": progress.agencies.listing,
            "choices": round_listing.choices(),
            "sorts": round_listing.SORT_LABELS,
            "added": added,
            "imported": imported,
            "invited": invited,
            "refused": refused or [],
            "opened": opened,
            "reminded": reminded,
            "extended": extended,
            "today": date.today(),
            "undelivered": notifications_service.undelivered_invitations(
                session, partnership_id=partnership.id
            ),
        },
        block="results" if swapping(request, "results") else None,
    )


def queue_invitations(  # type: ignore[no-untyped-def]
    session,
    partnership,
    invitations: list[round_invitations.LeadInvitation],
    kind: str,
    *,
    action_id: int | None = None,
) -> None:
    """Queue each invitation's email: the workers send it, and one refused shows beside its
    lead on the dashboard."""
    for invitation in invitations:
        notifications_service.queue_email(
            session, invitation.email, kind=kind, partnership_id=partnership.id, action_id=action_id
        )
