"""The frontline survey's link in the round's invitations to agency leads, added through
cycles' extension point (cycles sits below surveys and never names them). Never sends mail."""

from __future__ import annotations

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cycle_models import Cycle
from app.cycles import invitations as cycle_invitations
from app.surveys.models import Survey, SurveyLink


def survey_links(session: Session, cycle: Cycle) -> dict[int, tuple[str, Survey]]:
    """Each agency's frontline survey link, when the round has a survey not closed."""
    rows = session.execute(
        select(SurveyLink.agency_id, SurveyLink.token, Survey)
        .join(Survey, Survey.id == SurveyLink.survey_id)
        .where(
            Survey.cycle_id == cycle.id,
            Survey.closed_at.is_(None),
            SurveyLink.replaced_at.is_(None),
            SurveyLink.agency_id.is_not(None),
        )
    )
    return {agency_id: (token, survey) for agency_id, token, survey in rows}


def survey_paragraph(survey: tuple[str, Survey] | None, base_url: str) -> tuple[str, str]:
    """The survey's link for the lead to pass to frontline staff: as text, and as HTML."""
    if survey is None:
        return "", ""
    token, row = survey
    link = f"{base_url.rstrip('/')}/survey/{token}"
    when = f"{row.opens_on:%-d %B} to {row.closes_on:%-d %B %Y}"
    words = (
        "Please also pass this link to your frontline staff and volunteers: an anonymous survey "
        f"about safeguarding in your organisation, open from {when}"
    )
    return (
        f"{words}:\n\n{link}\n\n",
        f'<p>{escape(words)}: <a href="{escape(link)}">{escape(link)}</a></p>',
    )


def paragraphs(session: Session, cycle: Cycle, base_url: str) -> dict[int, tuple[str, str]]:
    """By agency, the survey's paragraph for its lead's invitation (text, HTML)."""
    return {
        agency_id: survey_paragraph(survey, base_url)
        for agency_id, survey in survey_links(session, cycle).items()
    }


cycle_invitations.INVITATION_ADDITIONS["surveys"] = paragraphs
