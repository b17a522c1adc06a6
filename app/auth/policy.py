"""The one access policy: which permission each route needs, and who holds it.

Default deny: a permission nobody is granted below refuses everyone, and a refusal of a
signed-in person answers 404 so that it never hints that something exists.
"""

from __future__ import annotations

from enum import StrEnum

from app.config import Settings
from app.directory.models import Person, Role


class Permission(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    SIGNED_IN = "signed_in"  # any person with a session
    SIGN_IN = "sign_in"  # the sign-in pages, for people not yet signed in (or switching)
    DEVELOPMENT_SIGN_IN = "development_sign_in"  # only when S11_ENV=development
    ADMINISTER_SITE = "administer_site"  # site administrators: partnerships and appointments
    PREVIEW_QUESTIONNAIRES = "preview_questionnaires"  # coordinators, chairs
    SET_UP_PARTNERSHIP = "set_up_partnership"  # coordinators: agencies, people, questionnaires
    INVITE_PEOPLE = "invite_people"  # coordinators (anyone), agency leads (contributors)
    VIEW_AUDIT_LOG = "view_audit_log"  # coordinators
    WORK_ON_RETURNS = "work_on_returns"  # agency leads and contributors, on their own agency's
    MANAGE_ROUND = "manage_round"  # coordinators, in the partnership they are working in
    SIT_ON_PANELS = "sit_on_panels"  # panel members: score, declare interests, chair
    FOLLOW_PANELS = "follow_panels"  # panel members and coordinators: read, moderation, agenda
    FOLLOW_ACTION_PLANS = "follow_action_plans"  # coordinators and the chair: every agency's
    READ_ROUND_SUMMARY = "read_round_summary"  # the chair and coordinators: the round on screen
    # Coordinators and the chair: their partnership's cycles; panel members: what they sit on.
    EXPORT_WORKBOOKS = "export_workbooks"
    # A partnership's API token, never a session: decided by app.api.deps.read_feed.
    READ_FEED = "read_feed"
    # An operator's scraper, by token or network, never a session: app.operations.routes.
    READ_METRICS = "read_metrics"


class Decision(StrEnum):
    ALLOW = "allow"
    SIGN_IN_FIRST = "sign_in_first"
    NOT_FOUND = "not_found"


LOOPBACK_CLIENTS = frozenset({"127.0.0.1", "::1", "localhost", "testclient"})


def decide(
    permission: Permission,
    *,
    person: Person | None,
    settings: Settings,
    client_host: str | None = None,
) -> Decision:
    match permission:
        case Permission.PUBLIC | Permission.SIGN_IN:
            return Decision.ALLOW
        case Permission.DEVELOPMENT_SIGN_IN:
            # Signing in as anyone is a convenience for a developer's own machine: it needs
            # S11_ENV=development *and* a browser on the same machine, so a server wrongly
            # left in development mode still does not offer it to the world.
            local = client_host in LOOPBACK_CLIENTS
            return Decision.ALLOW if settings.is_development and local else Decision.NOT_FOUND
        case Permission.SIGNED_IN:
            return Decision.ALLOW if person is not None else Decision.SIGN_IN_FIRST
        case Permission.READ_FEED | Permission.READ_METRICS:
            return Decision.NOT_FOUND  # a signed-in person reads the feed only with a token
        case Permission.ADMINISTER_SITE:
            if person is None:
                return Decision.SIGN_IN_FIRST
            return Decision.ALLOW if person.is_admin else Decision.NOT_FOUND
    if permission in ROLES_GRANTED:
        if person is None:
            return Decision.SIGN_IN_FIRST
        return Decision.ALLOW if _holds(person, ROLES_GRANTED[permission]) else Decision.NOT_FOUND
    return Decision.NOT_FOUND


# Which roles (in any partnership) hold each permission. Site administrators hold none of them
# by being administrators: they set up partnerships and appoint people, and read a partnership's
# returns, scores, evidence or plans only through a role they also hold there. Object-level
# rules (which agency's return, which partnership's invitation) are applied when
# the object is fetched, by the module's service.
ROLES_GRANTED: dict[Permission, frozenset[Role]] = {
    Permission.PREVIEW_QUESTIONNAIRES: frozenset({Role.COORDINATOR, Role.CHAIR}),
    Permission.SET_UP_PARTNERSHIP: frozenset({Role.COORDINATOR}),
    Permission.VIEW_AUDIT_LOG: frozenset({Role.COORDINATOR}),
    Permission.WORK_ON_RETURNS: frozenset({Role.AGENCY_LEAD, Role.CONTRIBUTOR}),
    Permission.INVITE_PEOPLE: frozenset({Role.COORDINATOR, Role.AGENCY_LEAD}),
    Permission.MANAGE_ROUND: frozenset({Role.COORDINATOR}),
    Permission.SIT_ON_PANELS: frozenset({Role.PANEL_MEMBER}),
    Permission.FOLLOW_PANELS: frozenset({Role.PANEL_MEMBER, Role.COORDINATOR}),
    Permission.FOLLOW_ACTION_PLANS: frozenset({Role.COORDINATOR, Role.CHAIR}),
    Permission.READ_ROUND_SUMMARY: frozenset({Role.COORDINATOR, Role.CHAIR}),
    Permission.EXPORT_WORKBOOKS: frozenset({Role.COORDINATOR, Role.CHAIR, Role.PANEL_MEMBER}),
}


def _holds(person: Person, roles: frozenset[Role]) -> bool:
    """A person with one of the roles in any partnership."""
    return any(m.role in roles for m in person.memberships)


def may_use_in(permission: Permission, *, person: Person, partnership_id: int | None) -> bool:
    """Whether the person may use the permission in the partnership they are working in: what
    the menu offers, so that no link leads to a page that answers "not found"."""
    if permission in ROLES_GRANTED:
        roles = ROLES_GRANTED[permission]
        return any(
            m.role in roles and m.partnership_id == partnership_id for m in person.memberships
        )
    if permission is Permission.ADMINISTER_SITE:
        return person.is_admin
    return permission is Permission.SIGNED_IN
