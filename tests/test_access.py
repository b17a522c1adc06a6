"""The access table: every route, who may use it, and proof that the app agrees.

Adding a route without adding it here fails; so does a route that declares no permission.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from app.auth.deps import declared_permission
from app.auth.policy import Permission
from app.directory.models import Role
from app.main import create_app
from app.storage.backends import storage_for
from tests.conftest import (
    SMALL_PDF,
    SMALL_PNG,
    attach_pdf,
    lead_of,
    person_by_email,
    person_with_role,
    sign_in,
)

P = Permission

ACCESS_TABLE: dict[tuple[str, str], Permission] = {
    ("GET", "/"): P.SIGNED_IN,
    ("GET", "/healthz"): P.PUBLIC,
    ("GET", "/sign-in"): P.SIGN_IN,
    ("POST", "/sign-out"): P.SIGNED_IN,
    ("POST", "/session/keep-alive"): P.SIGNED_IN,
    ("POST", "/sign-in/email"): P.SIGN_IN,
    ("GET", "/sign-in/email/{token}"): P.SIGN_IN,
    ("POST", "/sign-in/email/{token}"): P.SIGN_IN,
    ("GET", "/partnerships"): P.SIGNED_IN,
    ("POST", "/partnerships/active"): P.SIGNED_IN,
    ("GET", "/invitations"): P.INVITE_PEOPLE,
    ("GET", "/invitations/new"): P.INVITE_PEOPLE,
    ("POST", "/invitations/new"): P.INVITE_PEOPLE,
    ("POST", "/invitations/{invitation_id}/cancel"): P.INVITE_PEOPLE,
    ("POST", "/invitations/{invitation_id}/resend"): P.INVITE_PEOPLE,
    ("GET", "/sign-in/oidc"): P.SIGN_IN,
    ("GET", "/sign-in/oidc/callback"): P.SIGN_IN,
    ("GET", "/audit"): P.VIEW_AUDIT_LOG,
    ("GET", "/returns"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/sections/{section_id}"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/sections/{section_id}"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/sections/{section_id}/autosave/{question_id}"): (
        P.WORK_ON_RETURNS
    ),
    ("POST", "/returns/{return_id}/sections/{section_id}/follow-ups"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/check"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/start-from-last-year"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/print"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/workbook"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/workbook/upload"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/workbook/upload"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/workbook/confirm"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/submit"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/submitted"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/answers/{question_id}/history"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/evidence/{file_id}"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/evidence/{file_id}/remove"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/evidence/{file_id}/remove"): P.WORK_ON_RETURNS,
    ("GET", "/sign-off/{token}"): P.PUBLIC,
    ("POST", "/sign-off/{token}"): P.PUBLIC,
    ("GET", "/round/returns"): P.MANAGE_ROUND,
    ("GET", "/round/returns/{return_id}/reopen"): P.MANAGE_ROUND,
    ("POST", "/round/returns/{return_id}/reopen"): P.MANAGE_ROUND,
    ("GET", "/round/returns/{return_id}/workbook"): P.MANAGE_ROUND,
    ("GET", "/round/returns/{return_id}/workbook/upload"): P.MANAGE_ROUND,
    ("POST", "/round/returns/{return_id}/workbook/upload"): P.MANAGE_ROUND,
    ("POST", "/round/returns/{return_id}/workbook/confirm"): P.MANAGE_ROUND,
    ("GET", "/round/returns/{return_id}/extend"): P.MANAGE_ROUND,
    ("POST", "/round/returns/{return_id}/extend"): P.MANAGE_ROUND,
    ("GET", "/round/cycles"): P.MANAGE_ROUND,
    ("GET", "/round/cycles/new"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/new"): P.MANAGE_ROUND,
    ("GET", "/round/cycles/{slug}"): P.MANAGE_ROUND,
    ("GET", "/round/cycles/{slug}/edit"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/edit"): P.MANAGE_ROUND,
    ("GET", "/round/cycles/{slug}/agencies/new"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/agencies/new"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/invitations"): P.MANAGE_ROUND,
    ("GET", "/round/cycles/{slug}/bulk/{action}"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/bulk/{action}"): P.MANAGE_ROUND,
    ("GET", "/round/cycles/{slug}/import"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/import"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/import/{token}/confirm"): P.MANAGE_ROUND,
    ("GET", "/round/emails"): P.MANAGE_ROUND,
    ("POST", "/round/emails/{email_id}/retry"): P.MANAGE_ROUND,
    ("GET", "/round/emails/sends/{action_id}"): P.MANAGE_ROUND,
    ("POST", "/round/emails/sends/{action_id}/resend"): P.MANAGE_ROUND,
    ("GET", "/join/{token}"): P.SIGN_IN,
    ("POST", "/join/{token}"): P.SIGN_IN,
    ("GET", "/dev/sign-in"): P.DEVELOPMENT_SIGN_IN,
    ("POST", "/dev/sign-in"): P.DEVELOPMENT_SIGN_IN,
    ("GET", "/questionnaires"): P.PREVIEW_QUESTIONNAIRES,
    ("GET", "/questionnaires/{questionnaire_id}/{version}"): P.PREVIEW_QUESTIONNAIRES,
    ("GET", "/questionnaires/{questionnaire_id}/{version}/yaml"): P.PREVIEW_QUESTIONNAIRES,
    ("GET", "/round/cycles/{slug}/panels"): P.MANAGE_ROUND,
    ("GET", "/round/cycles/{slug}/panels/new"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/panels/new"): P.MANAGE_ROUND,
    ("GET", "/round/panels/{session_id}"): P.MANAGE_ROUND,
    ("GET", "/round/panels/{session_id}/edit"): P.MANAGE_ROUND,
    ("POST", "/round/panels/{session_id}/edit"): P.MANAGE_ROUND,
    ("POST", "/round/panels/{session_id}/members"): P.MANAGE_ROUND,
    ("POST", "/round/panels/{session_id}/members/{person_id}/remove"): P.MANAGE_ROUND,
    ("POST", "/round/panels/{session_id}/members/{person_id}/chair"): P.MANAGE_ROUND,
    ("POST", "/round/panels/{session_id}/slots/{slot_id}/book"): P.MANAGE_ROUND,
    ("POST", "/round/panels/{session_id}/slots/{slot_id}/free"): P.MANAGE_ROUND,
    ("POST", "/round/panels/{session_id}/auto-fill"): P.MANAGE_ROUND,
    ("GET", "/round/panels/{session_id}/cancel"): P.MANAGE_ROUND,
    ("POST", "/round/panels/{session_id}/cancel"): P.MANAGE_ROUND,
    ("GET", "/round/returns/{return_id}/feedback"): P.MANAGE_ROUND,
    ("POST", "/round/returns/{return_id}/feedback"): P.MANAGE_ROUND,
    ("GET", "/panels"): P.SIT_ON_PANELS,
    ("GET", "/panels/conflicts"): P.SIT_ON_PANELS,
    ("POST", "/panels/conflicts"): P.SIT_ON_PANELS,
    ("GET", "/panels/returns/{return_id}"): P.FOLLOW_PANELS,
    ("GET", "/panels/returns/{return_id}/evidence/{file_id}"): P.FOLLOW_PANELS,
    ("GET", "/panels/returns/{return_id}/scores"): P.SIT_ON_PANELS,
    ("POST", "/panels/returns/{return_id}/scores"): P.SIT_ON_PANELS,
    ("GET", "/panels/returns/{return_id}/moderation"): P.FOLLOW_PANELS,
    ("POST", "/panels/returns/{return_id}/agreed"): P.SIT_ON_PANELS,
    ("POST", "/panels/returns/{return_id}/remind"): P.FOLLOW_PANELS,
    ("POST", "/panels/returns/{return_id}/recommendations"): P.SIT_ON_PANELS,
    ("POST", "/panels/returns/{return_id}/recommendations/{recommendation_id}/remove"): (
        P.SIT_ON_PANELS
    ),
    ("GET", "/panels/sessions/{session_id}/meeting"): P.FOLLOW_PANELS,
    ("POST", "/panels/sessions/{session_id}/start"): P.FOLLOW_PANELS,
    ("GET", "/returns/{return_id}/feedback"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/action-plan"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/action-plan/actions/new"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/action-plan/actions"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/action-plan/actions/{action_id}"): P.WORK_ON_RETURNS,
    ("GET", "/returns/{return_id}/action-plan/actions/{action_id}/edit"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/action-plan/actions/{action_id}/edit"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/action-plan/actions/{action_id}/remove"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/action-plan/actions/{action_id}/progress"): (P.WORK_ON_RETURNS),
    ("GET", "/returns/{return_id}/action-plan/actions/{action_id}/evidence/{evidence_id}"): (
        P.WORK_ON_RETURNS
    ),
    ("POST", "/returns/{return_id}/action-plan/submit"): P.WORK_ON_RETURNS,
    ("POST", "/returns/{return_id}/sections/{section_id}/last-years-actions/{action_id}"): (
        P.WORK_ON_RETURNS
    ),
    ("GET", "/round/returns/{return_id}/action-plan"): P.MANAGE_ROUND,
    ("POST", "/round/returns/{return_id}/action-plan/review"): P.MANAGE_ROUND,
    ("GET", "/round/returns/{return_id}/action-plan/actions/{action_id}"): P.MANAGE_ROUND,
    ("GET", "/round/returns/{return_id}/action-plan/actions/{action_id}/evidence/{evidence_id}"): (
        P.MANAGE_ROUND
    ),
    ("GET", "/action-plans"): P.FOLLOW_ACTION_PLANS,
    ("GET", "/action-plans/cycles/{slug}"): P.FOLLOW_ACTION_PLANS,
    ("GET", "/action-plans/cycles/{slug}/items/new"): P.MANAGE_ROUND,
    ("POST", "/action-plans/cycles/{slug}/items"): P.MANAGE_ROUND,
    ("GET", "/action-plans/items/{action_id}"): P.FOLLOW_ACTION_PLANS,
    ("POST", "/action-plans/items/{action_id}/progress"): P.MANAGE_ROUND,
    ("GET", "/action-plans/items/{action_id}/evidence/{evidence_id}"): P.FOLLOW_ACTION_PLANS,
    ("GET", "/summary"): P.READ_ROUND_SUMMARY,
    ("GET", "/summary/{slug}"): P.READ_ROUND_SUMMARY,
    ("GET", "/exports/{slug}/{kind}"): P.EXPORT_WORKBOOKS,
    ("GET", "/returns/{return_id}/export"): P.WORK_ON_RETURNS,
    ("GET", "/admin"): P.ADMINISTER_SITE,
    ("GET", "/admin/partnerships/new"): P.ADMINISTER_SITE,
    ("POST", "/admin/partnerships/new"): P.ADMINISTER_SITE,
    ("GET", "/admin/partnerships/{slug}"): P.ADMINISTER_SITE,
    ("GET", "/admin/partnerships/{slug}/edit"): P.ADMINISTER_SITE,
    ("POST", "/admin/partnerships/{slug}/edit"): P.ADMINISTER_SITE,
    ("POST", "/admin/partnerships/{slug}/archive"): P.ADMINISTER_SITE,
    ("POST", "/admin/partnerships/{slug}/restore"): P.ADMINISTER_SITE,
    ("POST", "/admin/partnerships/{slug}/appointments"): P.ADMINISTER_SITE,
    ("POST", "/admin/partnerships/{slug}/appointments/{invitation_id}/resend"): (P.ADMINISTER_SITE),
    ("POST", "/admin/partnerships/{slug}/appointments/{invitation_id}/cancel"): (P.ADMINISTER_SITE),
    ("GET", "/partnerships/{slug}/logo"): P.SIGNED_IN,
    ("GET", "/agencies"): P.SET_UP_PARTNERSHIP,
    ("GET", "/agencies/new"): P.SET_UP_PARTNERSHIP,
    ("POST", "/agencies/new"): P.SET_UP_PARTNERSHIP,
    ("GET", "/agencies/import"): P.SET_UP_PARTNERSHIP,
    ("POST", "/agencies/import"): P.SET_UP_PARTNERSHIP,
    ("POST", "/agencies/import/{token}/confirm"): P.SET_UP_PARTNERSHIP,
    ("GET", "/agencies/{agency_id}"): P.SET_UP_PARTNERSHIP,
    ("POST", "/agencies/{agency_id}"): P.SET_UP_PARTNERSHIP,
    ("POST", "/agencies/{agency_id}/archive"): P.SET_UP_PARTNERSHIP,
    ("POST", "/agencies/{agency_id}/restore"): P.SET_UP_PARTNERSHIP,
    ("POST", "/agencies/{agency_id}/leads"): P.SET_UP_PARTNERSHIP,
    ("GET", "/people"): P.SET_UP_PARTNERSHIP,
    ("GET", "/people/roles/{membership_id}"): P.SET_UP_PARTNERSHIP,
    ("POST", "/people/roles/{membership_id}"): P.SET_UP_PARTNERSHIP,
    ("POST", "/people/roles/{membership_id}/remove"): P.SET_UP_PARTNERSHIP,
    ("GET", "/retention"): P.SET_UP_PARTNERSHIP,
    ("POST", "/retention"): P.SET_UP_PARTNERSHIP,
    ("GET", "/people/{person_id}/erase"): P.SET_UP_PARTNERSHIP,
    ("POST", "/people/{person_id}/erase"): P.SET_UP_PARTNERSHIP,
    ("GET", "/admin/people/{person_id}/erase"): P.ADMINISTER_SITE,
    ("POST", "/admin/people/{person_id}/erase"): P.ADMINISTER_SITE,
    ("GET", "/questionnaires/new"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaires/new"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaires/publish"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-library/{name}"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/upload"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}/delete"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/delete"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}/details"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/details"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}/preview"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}/publish"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/publish"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}/download"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/sections"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}/sections/{section_id}"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/sections/{section_id}"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/sections/{section_id}/move"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}/sections/{section_id}/remove"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/sections/{section_id}/remove"): P.SET_UP_PARTNERSHIP,
    (
        "GET",
        "/questionnaire-drafts/{draft_id}/sections/{section_id}/questions/new",
    ): P.SET_UP_PARTNERSHIP,
    (
        "POST",
        "/questionnaire-drafts/{draft_id}/sections/{section_id}/questions/new",
    ): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}/questions/{question_id}"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/questions/{question_id}"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/questions/{question_id}/move"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}/questions/{question_id}/type"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/questions/{question_id}/type"): P.SET_UP_PARTNERSHIP,
    (
        "POST",
        "/questionnaire-drafts/{draft_id}/questions/{question_id}/options/move",
    ): P.SET_UP_PARTNERSHIP,
    (
        "GET",
        "/questionnaire-drafts/{draft_id}/questions/{question_id}/remove",
    ): P.SET_UP_PARTNERSHIP,
    (
        "POST",
        "/questionnaire-drafts/{draft_id}/questions/{question_id}/remove",
    ): P.SET_UP_PARTNERSHIP,
    (
        "GET",
        "/questionnaire-drafts/{draft_id}/questions/{question_id}/show-if",
    ): P.SET_UP_PARTNERSHIP,
    (
        "POST",
        "/questionnaire-drafts/{draft_id}/questions/{question_id}/show-if",
    ): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}/scales/{name}"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/scales/{name}"): P.SET_UP_PARTNERSHIP,
    ("GET", "/questionnaire-drafts/{draft_id}/scales/{name}/remove"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-drafts/{draft_id}/scales/{name}/remove"): P.SET_UP_PARTNERSHIP,
    ("POST", "/questionnaire-library/{name}"): P.SET_UP_PARTNERSHIP,
    ("GET", "/round/cycles/{slug}/agencies/directory"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/agencies/directory"): P.MANAGE_ROUND,
    ("GET", "/api-tokens"): P.SET_UP_PARTNERSHIP,
    ("GET", "/api-tokens/new"): P.SET_UP_PARTNERSHIP,
    ("POST", "/api-tokens/new"): P.SET_UP_PARTNERSHIP,
    ("POST", "/api-tokens/{token_id}/revoke"): P.SET_UP_PARTNERSHIP,
    ("GET", "/metrics"): P.READ_METRICS,
    ("GET", "/api/v1/openapi.json"): P.PUBLIC,
    ("GET", "/api/v1"): P.READ_FEED,
    ("GET", "/api/v1/{collection}"): P.READ_FEED,
    ("GET", "/api/v1/cycles/{cycle}/{collection}"): P.READ_FEED,
    ("GET", "/api/v1/{collection}/{row_id}"): P.READ_FEED,
    ("GET", "/api/odata"): P.READ_FEED,
    ("GET", "/api/odata/$metadata"): P.READ_FEED,
    ("GET", "/api/odata/{collection}"): P.READ_FEED,
    ("GET", "/round/cycles/{slug}/survey"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/survey"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/survey/links/{link_id}/replace"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/survey/close"): P.MANAGE_ROUND,
    ("POST", "/round/cycles/{slug}/survey/settings"): P.MANAGE_ROUND,
    ("GET", "/round/cycles/{slug}/survey/results"): P.EXPORT_WORKBOOKS,
    ("POST", "/returns/{return_id}/survey/staff"): P.WORK_ON_RETURNS,
    ("GET", "/survey/{token}"): P.PUBLIC,
    ("POST", "/survey/{token}"): P.PUBLIC,
    ("POST", "/survey/{token}/follow-ups"): P.PUBLIC,
    ("POST", "/survey/{token}/submit"): P.PUBLIC,
    ("GET", "/survey/{token}/done"): P.PUBLIC,
}

# The read feed's routes, with a real object for each path parameter: a session never
# reaches them (401 for everyone, signed in or not), and a token does (tests/api).
FEED_SAMPLES = {
    "/api/v1/{collection}": "/api/v1/returns",
    "/api/v1/cycles/{cycle}/{collection}": "/api/v1/cycles/s11-2021/ratings",
    "/api/v1/{collection}/{row_id}": "/api/v1/cycles/s11-2021",
    "/api/odata/{collection}": "/api/odata/returns",
}

# Who holds each permission that depends on a role, written out here rather than read from
# the policy, so that a change to the policy has to be made twice to pass.
ROLES_ALLOWED: dict[Permission, set[Role]] = {
    P.PREVIEW_QUESTIONNAIRES: {Role.COORDINATOR, Role.CHAIR},
    P.SET_UP_PARTNERSHIP: {Role.COORDINATOR},
    P.ADMINISTER_SITE: set(),  # no role: being a site administrator is not a role
    P.INVITE_PEOPLE: {Role.COORDINATOR, Role.AGENCY_LEAD},
    P.VIEW_AUDIT_LOG: {Role.COORDINATOR},
    P.WORK_ON_RETURNS: {Role.AGENCY_LEAD, Role.CONTRIBUTOR},
    P.MANAGE_ROUND: {Role.COORDINATOR},
    P.SIT_ON_PANELS: {Role.PANEL_MEMBER},
    P.FOLLOW_PANELS: {Role.PANEL_MEMBER, Role.COORDINATOR},
    P.FOLLOW_ACTION_PLANS: {Role.COORDINATOR, Role.CHAIR},
    P.READ_ROUND_SUMMARY: {Role.COORDINATOR, Role.CHAIR},
    P.EXPORT_WORKBOOKS: {Role.COORDINATOR, Role.CHAIR, Role.PANEL_MEMBER},
    P.READ_FEED: set(),  # no role: only a token reads the feed
    P.READ_METRICS: set(),  # no role: an operator's scraper, and off unless set up
}


@pytest.fixture
def sample_paths(db, demo, every_type, settings) -> dict[str, str]:
    """A real object for each path parameter, so that "allowed" means the page really opens."""
    from app.auth import invitations as auth_invitations
    from app.directory.models import Partnership

    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    scope = auth_invitations.invitation_scope(coordinator, norfolk)
    # A contributor for the demo lead's own agency: an invitation both the coordinator and
    # that lead may see, so "allowed" means the action really ran.
    lead = person_with_role(db, Role.AGENCY_LEAD)
    invitation, email = auth_invitations.invite(
        db,
        actor=coordinator,
        scope=scope,
        email="new.person@example.org",
        name="New Person",
        role=Role.CONTRIBUTOR,
        agency_id=lead.memberships[0].agency_id,
        base_url="http://localhost",
    )
    token = email.body.split("/join/")[1].split()[0]
    # The return of the first demo lead's agency; demo contributors work for another agency,
    # so they meet it as "not found", which the walk for them expects below.
    from app.cycle_models import Cycle
    from app.returns.models import AgencyReturn

    lead_return = db.scalars(
        select(AgencyReturn)
        .join(Cycle)
        .where(AgencyReturn.agency_id == lead.memberships[0].agency_id, Cycle.slug == "s11-2021")
    ).one()
    evidence = attach_pdf(db, settings, lead, lead_return.id)
    from app.notifications import service as notifications_service

    # The invitation, on the record: a retry of it (not failed) sends nothing and goes back.
    sending = notifications_service.start_action(
        db, partnership_id=norfolk.id, description="Reminders to 1 lead", back_to="/round"
    )
    recorded = notifications_service.record(
        db, email, kind="invitation", partnership_id=norfolk.id, action_id=sending.id
    )
    # A checked import waiting for confirmation: an unknown one is "not found" for everyone.
    from app.cycles import importing

    waiting = importing.keep_upload(
        settings.var_dir / "imports",
        b"Agency,Sector,Lead name,Lead email\nWalk Agency,Other,Wal Ker,walker@example.org\n",
    )
    from app.api import tokens as api_tokens
    from app.api.models import TokenScope

    feed_token = api_tokens.create_token(
        db,
        actor=coordinator,
        partnership=norfolk,
        name="Walk",
        expires_on=date.today() + timedelta(days=30),
        scope=TokenScope.ROUND,
    )
    panels = _panel_samples(db, settings, lead)
    actions = _action_plan_samples(db, settings, lead, lead_return)
    set_up = _set_up_samples(db, settings, coordinator, norfolk, lead)
    return (
        panels
        | actions
        | set_up
        | FEED_SAMPLES
        | {
            "/api-tokens/{token_id}/revoke": f"/api-tokens/{feed_token.record.id}/revoke",
            "/returns/{return_id}/evidence/{file_id}": (
                f"/returns/{lead_return.id}/evidence/{evidence}"
            ),
            "/returns/{return_id}/evidence/{file_id}/remove": (
                f"/returns/{lead_return.id}/evidence/{evidence}/remove"
            ),
            "/returns/{return_id}": f"/returns/{lead_return.id}",
            "/round/returns/{return_id}/reopen": f"/round/returns/{lead_return.id}/reopen",
            "/round/returns/{return_id}/extend": f"/round/returns/{lead_return.id}/extend",
            "/round/returns/{return_id}/workbook": f"/round/returns/{lead_return.id}/workbook",
            "/round/returns/{return_id}/workbook/upload": (
                f"/round/returns/{lead_return.id}/workbook/upload"
            ),
            "/round/returns/{return_id}/workbook/confirm": (
                f"/round/returns/{lead_return.id}/workbook/confirm"
            ),
            "/round/cycles/{slug}": "/round/cycles/s11-2021",
            "/round/cycles/{slug}/edit": "/round/cycles/s11-2021/edit",
            "/round/cycles/{slug}/agencies/new": "/round/cycles/s11-2021/agencies/new",
            "/round/cycles/{slug}/invitations": "/round/cycles/s11-2021/invitations",
            "/round/cycles/{slug}/bulk/{action}": "/round/cycles/s11-2021/bulk/remind",
            "/round/cycles/{slug}/import": "/round/cycles/s11-2021/import",
            "/round/cycles/{slug}/import/{token}/confirm": (
                f"/round/cycles/s11-2021/import/{waiting}/confirm"
            ),
            "/returns/{return_id}/check": f"/returns/{lead_return.id}/check",
            "/returns/{return_id}/start-from-last-year": (
                f"/returns/{lead_return.id}/start-from-last-year"
            ),
            "/returns/{return_id}/print": f"/returns/{lead_return.id}/print",
            "/returns/{return_id}/workbook": f"/returns/{lead_return.id}/workbook",
            "/returns/{return_id}/workbook/upload": f"/returns/{lead_return.id}/workbook/upload",
            "/returns/{return_id}/workbook/confirm": f"/returns/{lead_return.id}/workbook/confirm",
            "/returns/{return_id}/sections/{section_id}/autosave/{question_id}": (
                f"/returns/{lead_return.id}/sections/nscp-priorities/autosave/neglect-rating"
            ),
            "/returns/{return_id}/sections/{section_id}/follow-ups": (
                f"/returns/{lead_return.id}/sections/nscp-priorities/follow-ups"
            ),
            "/returns/{return_id}/submit": f"/returns/{lead_return.id}/submit",
            "/returns/{return_id}/survey/staff": f"/returns/{lead_return.id}/survey/staff",
            "/returns/{return_id}/submitted": f"/returns/{lead_return.id}/submitted",
            "/returns/{return_id}/answers/{question_id}/history": (
                f"/returns/{lead_return.id}/answers/neglect-rating/history"
            ),
            "/returns/{return_id}/sections/{section_id}": (
                f"/returns/{lead_return.id}/sections/nscp-priorities"
            ),
            "/questionnaires/{questionnaire_id}/{version}": "/questionnaires/every-type/1",
            "/questionnaires/{questionnaire_id}/{version}/yaml": (
                "/questionnaires/every-type/1/yaml"
            ),
            "/returns/{return_id}/export": f"/returns/{lead_return.id}/export",
            "/summary/{slug}": "/summary/s11-2021",
            # Scored returns: the partnership's for its coordinator and chair, and for the
            # demo's panel member those of Panel 1, which they sit on.
            "/exports/{slug}/{kind}": "/exports/s11-2021/scored-returns",
            "/join/{token}": f"/join/{token}",
            "/round/emails/{email_id}/retry": f"/round/emails/{recorded.id}/retry",
            "/round/emails/sends/{action_id}": f"/round/emails/sends/{sending.id}",
            "/round/emails/sends/{action_id}/resend": f"/round/emails/sends/{sending.id}/resend",
            "/invitations/{invitation_id}/cancel": f"/invitations/{invitation.id}/cancel",
            "/invitations/{invitation_id}/resend": f"/invitations/{invitation.id}/resend",
        }
    )


def _set_up_samples(db, settings, coordinator, norfolk, lead) -> dict[str, str]:
    """Site administration and the partnership's set-up: a logo to serve, a coordinator's
    appointment waiting, a role nobody else needs (the walk removes it), a checked import."""
    from app.admin import service as admin_service
    from app.cycles import importing
    from app.directory import service as directory_service

    norfolk.logo, norfolk.logo_type = SMALL_PNG, "image/png"
    appointment, _email = admin_service.appoint(
        db,
        actor=coordinator,
        partnership=norfolk,
        role=Role.COORDINATOR,
        name="Second Coordinator",
        email="second.coordinator@example.org",
        base_url="http://localhost",
    )
    walker = directory_service.ensure_person(db, email="walk.member@example.org", name="Walk Er")
    role = directory_service.ensure_membership(
        db, person=walker, partnership=norfolk, role=Role.PANEL_MEMBER
    )
    # Erased by the walk: a person of this partnership only, whom nothing else needs.
    leaving = directory_service.ensure_person(db, email="walk.leaver@example.org", name="Lea Ver")
    directory_service.ensure_membership(
        db, person=leaving, partnership=norfolk, role=Role.PANEL_MEMBER
    )
    waiting = importing.keep_upload(
        settings.var_dir / "imports",
        b"Agency,Sector,Lead name,Lead email\nWalk Directory,Other,Wal Ker,walker@example.org\n",
    )
    agency = f"/agencies/{lead.memberships[0].agency_id}"
    admin = "/admin/partnerships/norfolk"
    draft = _draft_samples(db, coordinator, norfolk)
    return (
        {
            "/admin/partnerships/{slug}": admin,
            "/admin/partnerships/{slug}/edit": f"{admin}/edit",
            "/admin/partnerships/{slug}/archive": f"{admin}/archive",
            "/admin/partnerships/{slug}/restore": f"{admin}/restore",
            "/admin/partnerships/{slug}/appointments": f"{admin}/appointments",
            "/admin/partnerships/{slug}/appointments/{invitation_id}/resend": (
                f"{admin}/appointments/{appointment.id}/resend"
            ),
            "/admin/partnerships/{slug}/appointments/{invitation_id}/cancel": (
                f"{admin}/appointments/{appointment.id}/cancel"
            ),
            "/partnerships/{slug}/logo": "/partnerships/norfolk/logo",
            "/agencies/{agency_id}": agency,
            "/agencies/{agency_id}/archive": f"{agency}/archive",
            "/agencies/{agency_id}/restore": f"{agency}/restore",
            "/agencies/{agency_id}/leads": f"{agency}/leads",
            "/agencies/import/{token}/confirm": f"/agencies/import/{waiting}/confirm",
            "/people/roles/{membership_id}": f"/people/roles/{role.id}",
            "/people/{person_id}/erase": f"/people/{leaving.id}/erase",
            "/admin/people/{person_id}/erase": f"/admin/people/{leaving.id}/erase",
            "/people/roles/{membership_id}/remove": f"/people/roles/{role.id}/remove",
            "/questionnaire-library/{name}": "/questionnaire-library/norfolk-2021.yaml",
            "/round/cycles/{slug}/agencies/directory": "/round/cycles/s11-2021/agencies/directory",
        }
        | draft
        | _survey_samples(db, lead)
    )


def _draft_samples(db, coordinator, norfolk) -> dict[str, str]:
    """A draft of the partnership's, opened from the shipped Norfolk 2021 file."""
    from app.library import drafts

    path = Path(__file__).resolve().parents[1] / "questionnaires" / "norfolk-2021.yaml"
    draft = drafts.start_from_text(
        db,
        partnership=norfolk,
        actor=coordinator,
        text=path.read_text(encoding="utf-8"),
        source_name=path.name,
    )
    base = f"/questionnaire-drafts/{draft.id}"
    question = f"{base}/questions/neglect-rating"
    section = f"{base}/sections/nscp-priorities"
    return {
        "/questionnaire-drafts/{draft_id}": base,
        "/questionnaire-drafts/{draft_id}/delete": f"{base}/delete",
        "/questionnaire-drafts/{draft_id}/details": f"{base}/details",
        "/questionnaire-drafts/{draft_id}/preview": f"{base}/preview",
        "/questionnaire-drafts/{draft_id}/publish": f"{base}/publish",
        "/questionnaire-drafts/{draft_id}/download": f"{base}/download",
        "/questionnaire-drafts/{draft_id}/sections": f"{base}/sections",
        "/questionnaire-drafts/{draft_id}/sections/{section_id}": section,
        "/questionnaire-drafts/{draft_id}/sections/{section_id}/move": f"{section}/move",
        "/questionnaire-drafts/{draft_id}/sections/{section_id}/remove": f"{section}/remove",
        "/questionnaire-drafts/{draft_id}/sections/{section_id}/questions/new": (
            f"{section}/questions/new"
        ),
        "/questionnaire-drafts/{draft_id}/questions/{question_id}": question,
        "/questionnaire-drafts/{draft_id}/questions/{question_id}/move": f"{question}/move",
        "/questionnaire-drafts/{draft_id}/questions/{question_id}/type": f"{question}/type",
        "/questionnaire-drafts/{draft_id}/questions/{question_id}/remove": f"{question}/remove",
        "/questionnaire-drafts/{draft_id}/questions/{question_id}/show-if": f"{question}/show-if",
        "/questionnaire-drafts/{draft_id}/questions/{question_id}/options/move": (
            f"{base}/questions/neglect-tools/options/move"
        ),
        "/questionnaire-drafts/{draft_id}/scales/{name}": f"{base}/scales/ofsted",
        "/questionnaire-drafts/{draft_id}/scales/{name}/remove": f"{base}/scales/ofsted/remove",
    }


def _survey_samples(db, lead) -> dict[str, str]:
    """The demo round's survey: the lead's agency link for the public pages, the general
    link for the coordinator to replace."""
    from app.surveys.models import SurveyLink

    agency_id = lead.memberships[0].agency_id
    links = db.scalars(select(SurveyLink).where(SurveyLink.replaced_at.is_(None))).all()
    theirs = next(link for link in links if link.agency_id == agency_id)
    general = next(link for link in links if link.agency_id is None)
    survey = "/round/cycles/s11-2021/survey"
    return {
        "/round/cycles/{slug}/survey": survey,
        "/round/cycles/{slug}/survey/links/{link_id}/replace": (
            f"{survey}/links/{general.id}/replace"
        ),
        "/round/cycles/{slug}/survey/close": f"{survey}/close",
        "/round/cycles/{slug}/survey/settings": f"{survey}/settings",
        "/round/cycles/{slug}/survey/results": f"{survey}/results",
        "/survey/{token}": f"/survey/{theirs.token}",
        "/survey/{token}/follow-ups": f"/survey/{theirs.token}/follow-ups",
        "/survey/{token}/submit": f"/survey/{theirs.token}/submit",
        "/survey/{token}/done": f"/survey/{theirs.token}/done",
    }


def _panel_samples(db, settings, lead) -> dict[str, str]:
    """The demo's Panel 1, chaired by the first panel member: the return it is moderating is
    still at the panel with a recommendation, so every member's and chair's page opens on it."""
    from app.actions import recommendations
    from app.cycle_models import Cycle
    from app.directory.models import Agency
    from app.panels import sessions
    from app.panels.models import PanelSession
    from app.returns.models import AgencyReturn, ReturnStatus

    def return_of(agency_name: str, cycle: str = "s11-2021") -> AgencyReturn:
        return db.scalars(
            select(AgencyReturn)
            .join(Cycle)
            .join(Agency, Agency.id == AgencyReturn.agency_id)
            .where(Agency.name == agency_name, Cycle.slug == cycle)
        ).one()

    panel = db.scalars(
        select(PanelSession)
        .join(Cycle)
        .where(Cycle.slug == "s11-2021", PanelSession.title == "Panel 1")
    ).one()
    chair = person_with_role(db, Role.PANEL_MEMBER)
    assert panel.chair_id == chair.id, "the walk needs the first panel member in the chair"
    moderating = return_of("Norfolk Fire and Rescue Service")
    assert moderating.status is ReturnStatus.AT_PANEL
    [recommendation] = recommendations.recommendations_of(db, return_id=moderating.id)
    # Evidence goes in while the return is written; the demo's went in without any.
    moderating.status = ReturnStatus.IN_PROGRESS
    evidence = attach_pdf(
        db, settings, lead_of(db, "Norfolk Fire and Rescue Service"), moderating.id
    )
    moderating.status = ReturnStatus.AT_PANEL
    db.flush()
    # A slot whose agency nobody has scored yet: freeing it really frees it, and changes
    # nothing the other pages need.
    unread = return_of("City College Norwich")
    [unread_slot] = [s for s in sessions.slots_of(db, panel) if s.return_id == unread.id]
    leaving = next(m for m in sessions.members_of(db, panel) if not m.is_chair)
    # The agency lead's feedback is last year's: the demo's first lead's agency took part then.
    last_year = return_of(db.get(Agency, lead.memberships[0].agency_id).name, "s11-2020")
    # Its cancel is refused, as feedback has gone to one of its agencies: the session stays
    # for the pages walked after it.
    session = f"/round/panels/{panel.id}"
    here = f"/panels/returns/{moderating.id}"
    return {
        "/round/cycles/{slug}/panels": "/round/cycles/s11-2021/panels",
        "/round/cycles/{slug}/panels/new": "/round/cycles/s11-2021/panels/new",
        "/round/panels/{session_id}": session,
        "/round/panels/{session_id}/edit": f"{session}/edit",
        "/round/panels/{session_id}/members": f"{session}/members",
        "/round/panels/{session_id}/members/{person_id}/remove": (
            f"{session}/members/{leaving.person_id}/remove"
        ),
        "/round/panels/{session_id}/members/{person_id}/chair": (
            f"{session}/members/{chair.id}/chair"
        ),
        "/round/panels/{session_id}/slots/{slot_id}/book": f"{session}/slots/{unread_slot.id}/book",
        "/round/panels/{session_id}/slots/{slot_id}/free": f"{session}/slots/{unread_slot.id}/free",
        "/round/panels/{session_id}/auto-fill": f"{session}/auto-fill",
        "/round/panels/{session_id}/cancel": f"{session}/cancel",
        "/round/returns/{return_id}/feedback": f"/round/returns/{moderating.id}/feedback",
        "/panels/returns/{return_id}": here,
        "/panels/returns/{return_id}/evidence/{file_id}": f"{here}/evidence/{evidence}",
        "/panels/returns/{return_id}/scores": f"{here}/scores",
        "/panels/returns/{return_id}/moderation": f"{here}/moderation",
        "/panels/returns/{return_id}/agreed": f"{here}/agreed",
        "/panels/returns/{return_id}/remind": f"{here}/remind",
        "/panels/returns/{return_id}/recommendations": f"{here}/recommendations",
        "/panels/returns/{return_id}/recommendations/{recommendation_id}/remove": (
            f"{here}/recommendations/{recommendation.id}/remove"
        ),
        "/panels/sessions/{session_id}/meeting": f"/panels/sessions/{panel.id}/meeting",
        "/panels/sessions/{session_id}/start": f"/panels/sessions/{panel.id}/start",
        "/returns/{return_id}/feedback": f"/returns/{last_year.id}/feedback",
    }


def _action_plan_samples(db, settings, lead, this_year) -> dict[str, str]:
    """The first demo lead's agreed plan from last year, with a file of progress evidence on
    one action and on one of the partnership's own items. Every change the walk posts is
    refused for a missing field, or because the plan is agreed, so each page stays to visit."""
    import io

    from app.actions import progress
    from app.actions.models import Action, ActionPlan
    from app.cycle_models import Cycle
    from app.returns.models import AgencyReturn

    plan_return = db.scalars(
        select(AgencyReturn)
        .join(Cycle)
        .where(AgencyReturn.agency_id == lead.memberships[0].agency_id, Cycle.slug == "s11-2020")
    ).one()
    action = db.scalars(
        select(Action)
        .join(ActionPlan, ActionPlan.id == Action.plan_id)
        .where(ActionPlan.return_id == plan_return.id)
        .order_by(Action.id)
    ).first()
    item = db.scalars(select(Action).where(Action.plan_id.is_(None)).order_by(Action.id)).first()
    files = {}
    for target in (action, item):
        update = progress.record_progress(
            db,
            action=target,
            progress=progress.Progress(target.status.value, "Audit report attached."),
            actor=lead,
            upload=progress.Upload(io.BytesIO(SMALL_PDF), "Audit report.pdf"),
            storage=storage_for(settings),
            max_bytes=1024 * 1024,
        )
        files[target.id] = progress.history_of(db, action=target)[0].files[0].id
        assert update.id
    mine = f"/returns/{plan_return.id}/action-plan"
    theirs = f"/round/returns/{plan_return.id}/action-plan"
    return {
        "/returns/{return_id}/action-plan": mine,
        "/returns/{return_id}/action-plan/actions/new": f"{mine}/actions/new",
        "/returns/{return_id}/action-plan/actions": f"{mine}/actions",
        "/returns/{return_id}/action-plan/actions/{action_id}": f"{mine}/actions/{action.id}",
        "/returns/{return_id}/action-plan/actions/{action_id}/edit": (
            f"{mine}/actions/{action.id}/edit"
        ),
        "/returns/{return_id}/action-plan/actions/{action_id}/remove": (
            f"{mine}/actions/{action.id}/remove"
        ),
        "/returns/{return_id}/action-plan/actions/{action_id}/progress": (
            f"{mine}/actions/{action.id}/progress"
        ),
        "/returns/{return_id}/action-plan/actions/{action_id}/evidence/{evidence_id}": (
            f"{mine}/actions/{action.id}/evidence/{files[action.id]}"
        ),
        "/returns/{return_id}/action-plan/submit": f"{mine}/submit",
        "/returns/{return_id}/sections/{section_id}/last-years-actions/{action_id}": (
            f"/returns/{this_year.id}/sections/action-plan-progress/last-years-actions/{action.id}"
        ),
        "/round/returns/{return_id}/action-plan": theirs,
        "/round/returns/{return_id}/action-plan/review": f"{theirs}/review",
        "/round/returns/{return_id}/action-plan/actions/{action_id}": (
            f"{theirs}/actions/{action.id}"
        ),
        "/round/returns/{return_id}/action-plan/actions/{action_id}/evidence/{evidence_id}": (
            f"{theirs}/actions/{action.id}/evidence/{files[action.id]}"
        ),
        "/action-plans/cycles/{slug}": "/action-plans/cycles/s11-2020",
        "/action-plans/cycles/{slug}/items/new": "/action-plans/cycles/s11-2020/items/new",
        "/action-plans/cycles/{slug}/items": "/action-plans/cycles/s11-2020/items",
        "/action-plans/items/{action_id}": f"/action-plans/items/{item.id}",
        "/action-plans/items/{action_id}/progress": f"/action-plans/items/{item.id}/progress",
        "/action-plans/items/{action_id}/evidence/{evidence_id}": (
            f"/action-plans/items/{item.id}/evidence/{files[item.id]}"
        ),
    }


def api_routes(routes) -> list[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI keeps those nested)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(api_routes(route.original_router.routes))
    return found


def app_routes(settings, engine) -> list[tuple[str, str, list[Permission]]]:
    app = create_app(settings, engine=engine)
    found = []
    # Permissions are declared on each route, never on a router, so the route's own
    # dependency tree is the whole truth.
    for route in api_routes(app.routes):
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append((method, route.path, declared_permission(route.dependant)))
    assert found, "no routes found: has FastAPI changed how it keeps them?"
    return found


def test_every_route_declares_exactly_one_permission(settings, engine):
    for method, path, permissions in app_routes(settings, engine):
        assert len(permissions) == 1, f"{method} {path} declares {permissions}"


def test_access_table_lists_every_route_with_the_permission_it_declares(settings, engine):
    declared = {(method, path): perms[0] for method, path, perms in app_routes(settings, engine)}
    missing = set(declared) - set(ACCESS_TABLE)
    stale = set(ACCESS_TABLE) - set(declared)
    assert not missing, f"routes missing from the access table: {sorted(missing)}"
    assert not stale, f"access table lists routes that no longer exist: {sorted(stale)}"
    assert declared == ACCESS_TABLE


def _visit(client, method: str, path: str, samples: dict[str, str]):
    concrete = samples.get(path) or re.sub(r"{[^}]+}", "1", path)
    if method == "GET":
        return client.get(concrete, follow_redirects=False)
    token = client.csrf_token("/sign-in")
    return client.request(method, concrete, data={"csrf_token": token}, follow_redirects=False)


OIDC_ROUTES = {"/sign-in/oidc", "/sign-in/oidc/callback"}


def expected_outcome(
    permission: Permission,
    *,
    role: Role | None,
    development: bool = True,
    path: str = "",
    oidc: bool = True,
) -> str:
    if permission is P.DEVELOPMENT_SIGN_IN and not development:
        return "not found"
    if permission is P.READ_FEED:
        return "token required"
    if permission is P.READ_METRICS:
        return "not found"  # off by default, and never opened by a session
    if path in OIDC_ROUTES and not oidc:
        return "not found"  # without a provider configured, these pages do not exist
    if permission in (P.PUBLIC, P.SIGN_IN, P.DEVELOPMENT_SIGN_IN):
        return "allowed"
    if role is None:
        return "sign in"
    if permission in ROLES_ALLOWED and role not in ROLES_ALLOWED[permission]:
        return "not found"
    return "allowed"


def outcome(response) -> str:
    if response.status_code == 401 and response.headers.get("www-authenticate"):
        return "token required"
    if response.status_code == 404:
        return "not found"
    if response.status_code == 303 and response.headers["location"].startswith("/sign-in?"):
        return "sign in"
    assert response.status_code < 500, response.text
    return "allowed"


@pytest.mark.parametrize("environment", ["development", "production"])
def test_each_route_answers_a_visitor_who_is_not_signed_in_as_the_table_says(
    environment, oidc_client, production_client, sample_paths
):
    # Development here also has OpenID Connect configured; production has not.
    development = environment == "development"
    visitor = oidc_client if development else production_client
    for (method, path), permission in ACCESS_TABLE.items():
        visitor.cookies.clear()  # accepting an invitation signs in: start each visit afresh
        expected = expected_outcome(
            permission, role=None, development=development, path=path, oidc=development
        )
        response = _visit(visitor, method, path, sample_paths)
        assert outcome(response) == expected, f"{method} {path}"


def may_change_who_is_signed_in(method: str, permission: P) -> bool:
    """A state change open beyond one partnership's roles (signing in or out, accepting an
    invitation, choosing the partnership to work in): the walk signs in afresh after one. Signing
    in before every route instead tripled the requests the walk makes."""
    return method != "GET" and permission in {
        P.PUBLIC,
        P.SIGN_IN,
        P.DEVELOPMENT_SIGN_IN,
        P.SIGNED_IN,
    }


@pytest.mark.parametrize("role", list(Role))
def test_each_route_answers_each_role_as_the_table_says(role, client, db, sample_paths):
    person = person_with_role(db, role)
    signed_in = False
    for (method, path), permission in ACCESS_TABLE.items():
        if (method, path) == ("POST", "/sign-out"):
            continue  # walked last: it ends the session the other routes need
        if not signed_in:
            sign_in(client, person)
        expected = expected_outcome(permission, role=role, path=path, oidc=False)
        response = _visit(client, method, path, sample_paths)
        assert outcome(response) == expected, f"{role} {method} {path}"
        signed_in = not may_change_who_is_signed_in(method, permission)


ADMINISTRATOR_HOLDS = (P.SIGNED_IN, P.ADMINISTER_SITE)


def test_a_site_administrator_without_roles_reaches_site_administration_and_nothing_else(
    client, db, sample_paths
):
    from app.directory import service as directory_service

    admin = directory_service.make_admin(db, email="admin@example.org")
    signed_in = False
    for (method, path), permission in ACCESS_TABLE.items():
        if (method, path) == ("POST", "/sign-out"):
            continue
        if not signed_in:
            sign_in(client, admin)
        signed_in = not may_change_who_is_signed_in(method, permission)
        expected = expected_outcome(permission, role=None, path=path, oidc=False)
        if expected == "sign in":  # what a visitor must sign in for: the administrator's own
            expected = "allowed" if permission in ADMINISTRATOR_HOLDS else "not found"
        response = _visit(client, method, path, sample_paths)
        assert outcome(response) == expected, f"{method} {path}"


def test_a_site_administrator_cannot_read_a_return_scores_or_plans_of_a_partnership_without_a_role(
    client, db, sample_paths
):
    from app.directory import service as directory_service

    admin = directory_service.make_admin(db, email="admin@example.org")
    sign_in(client, admin)
    for path in (
        "/returns/{return_id}",
        "/returns/{return_id}/sections/{section_id}",
        "/returns/{return_id}/evidence/{file_id}",
        "/panels/returns/{return_id}/moderation",
        "/returns/{return_id}/action-plan",
        "/exports/{slug}/{kind}",
        "/summary/{slug}",
    ):
        assert client.get(sample_paths[path]).status_code == 404, path


def test_a_site_administrator_who_also_coordinates_reads_only_that_partnership(client, db, demo):
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    coordinator.is_admin = True
    db.flush()
    sign_in(client, coordinator)
    assert client.get("/round/cycles/s11-2021").status_code == 200
    assert client.get("/admin").status_code == 200


def test_a_state_change_without_the_csrf_token_is_refused_and_changes_nothing(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    response = client.post("/sign-out", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert "Your form could not be sent" in response.text
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_a_state_change_with_another_sessions_csrf_token_is_refused(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    response = client.post(
        "/sign-out", data={"csrf_token": "a-token-from-elsewhere"}, follow_redirects=False
    )
    assert response.status_code == 403


def test_htmx_sends_the_csrf_token_as_a_header(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    token = client.csrf_token("/")
    response = client.post(
        "/sign-out", headers={"X-CSRF-Token": token, "HX-Request": "true"}, follow_redirects=False
    )
    assert response.status_code == 303
