"""Pages run a bounded number of SQL statements, however many rows stand behind them."""

from __future__ import annotations

from sqlalchemy import select

from app.auth import invitations as auth_invitations
from app.directory.models import Partnership, Role
from app.questionnaires import service as questionnaire_service
from app.questionnaires.service import SHIPPED_DIR
from tests.conftest import person_by_email, sign_in

BUDGET = 12  # session, person and memberships, the page's own few queries, savepoints


def test_the_home_page_runs_a_fixed_number_of_queries(client, db, demo, count_queries):
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    with count_queries() as counted:
        assert client.get("/").status_code == 200
    assert counted.count <= BUDGET, counted.count


def test_the_largest_questionnaire_preview_runs_a_fixed_number_of_queries(
    client, db, demo, count_queries
):
    questionnaire_service.publish_file(
        db, path=SHIPPED_DIR / "core-standards-2023.yaml", actor=None
    )
    sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    with count_queries() as counted:
        assert client.get("/questionnaires/section11-core-standards/2023.1").status_code == 200
    assert counted.count <= BUDGET, counted.count


def test_the_invitations_page_does_not_query_per_invitation(client, db, demo, count_queries):
    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    scope = auth_invitations.invitation_scope(coordinator, norfolk)

    def page_queries() -> int:
        with count_queries() as counted:
            assert client.get("/invitations").status_code == 200
        return counted.count

    sign_in(client, coordinator)
    for n in range(3):
        auth_invitations.invite(
            db,
            actor=coordinator,
            scope=scope,
            email=f"p{n}@example.org",
            name=f"P{n}",
            role=Role.CHAIR,
            agency_id=None,
            base_url="http://localhost",
        )
    few = page_queries()
    for n in range(3, 30):
        auth_invitations.invite(
            db,
            actor=coordinator,
            scope=scope,
            email=f"p{n}@example.org",
            name=f"P{n}",
            role=Role.CHAIR,
            agency_id=None,
            base_url="http://localhost",
        )
    assert page_queries() == few <= BUDGET


def test_the_action_plan_pages_do_not_query_per_action(client, db, demo, count_queries):
    """The Composite Action Plan, the page of actions needing attention and an agency's plan
    run the same statements with 2 actions behind them as with 40."""
    from datetime import date, timedelta

    from app.actions import composite
    from app.cycle_models import Cycle

    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    cycle = db.scalars(select(Cycle).where(Cycle.slug == "s11-2020")).one()
    pages = ["/action-plans/cycles/s11-2020", "/action-plans"]

    def queries() -> list[int]:
        counts = []
        for page in pages:
            with count_queries() as counted:
                assert client.get(page).status_code == 200
            counts.append(counted.count)
        return counts

    sign_in(client, coordinator)
    before = queries()
    for n in range(40):
        composite.add_item(
            db,
            cycle=cycle,
            partnership=norfolk,
            draft=composite.ItemDraft(
                "other",
                f"Item {n}",
                cycle.themes[n % len(cycle.themes)],
                cycle.priorities[0],
                "Group",
                date.today() + timedelta(days=n % 3 - 1),  # some of them overdue
                "Report",
            ),
            actor=coordinator,
        )
    db.commit()  # the test's own writes, so that only the pages' statements are counted
    assert queries() == before
    assert max(before) <= BUDGET + 6, before


def test_set_up_pages_do_not_query_per_agency_person_or_partnership(
    client, db, demo, count_queries
):
    """The agency directory, People and the site administrator's list, with the demo's 38
    agencies and dozens of people, against the same pages after 20 more of each."""
    from app.directory import service as directory_service
    from app.directory.models import AgencyDuty, AgencySector

    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    coordinator.is_admin = True
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    sign_in(client, coordinator)

    def counts() -> list[int]:
        found = []
        for page in ("/agencies", "/people", "/admin"):
            with count_queries() as counted:
                assert client.get(page).status_code == 200
            found.append(counted.count)
        return found

    before = counts()
    for n in range(20):
        agency = directory_service.ensure_agency(
            db,
            name=f"Extra Agency {n}",
            sector=AgencySector.OTHER,
            duty=AgencyDuty.SECTION_11,
            partnership=norfolk,
        )
        person = directory_service.ensure_person(db, email=f"x{n}@example.org", name=f"X {n}")
        directory_service.ensure_membership(
            db, person=person, partnership=norfolk, role=Role.AGENCY_LEAD, agency=agency
        )
        directory_service.ensure_partnership(
            db, slug=f"extra-{n}", name=f"Extra {n}", short_name=f"E{n}", colour="#1d4f91"
        )
    after = counts()
    # One statement either way is the session's last-seen time, written once a minute.
    assert all(a <= b + 1 for a, b in zip(after, before, strict=True)), (before, after)
    assert max(before) <= BUDGET, before


def test_round_pages_run_the_same_statements_at_100_and_1000_returns(
    client, db, demo, count_queries
):
    """The coordinator's and the chair's round pages, searched, filtered, sorted and paged, run
    as many statements with 1,000 returns behind them as with 100."""
    from app.demo import grow_round

    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    chair = person_by_email(db, "chair@nscp.example.org")
    coordinator_pages = [
        "/round/cycles/s11-2021",
        "/round/cycles/s11-2021?q=grown&status=in_progress&sort=changed&order=desc&page=2",
        "/round/cycles/s11-2021?overdue=yes&sort=deadline",
        "/round/returns?sector=education&sort=status&page=3",
        "/round/cycles/s11-2021/panels",
        "/action-plans/cycles/s11-2021",
    ]
    chair_pages = ["/summary/s11-2021", "/action-plans"]

    def counts() -> list[int]:
        found = []
        for person, pages in ((coordinator, coordinator_pages), (chair, chair_pages)):
            sign_in(client, person)
            for page in pages:
                with count_queries() as counted:
                    assert client.get(page).status_code == 200, page
                found.append(counted.count)
        return found

    grow_round(db, returns=100)
    db.commit()
    at_100 = counts()
    grow_round(db, returns=1000)
    db.commit()
    at_1000 = counts()
    # One statement either way is the session's last-seen time, written once a minute.
    assert all(b <= a + 1 for a, b in zip(at_100, at_1000, strict=True)), (at_100, at_1000)
    # The chair's summary is the longest: it also sets the frontline survey beside each rating.
    assert max(at_100) <= BUDGET + 12, at_100


def test_the_editors_pages_run_a_fixed_number_of_queries_for_the_largest_questionnaire(
    client, db, demo, count_queries
):
    from app.library import drafts

    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    path = SHIPPED_DIR / "core-standards-2023.yaml"
    questionnaire_service.publish_file(db, path=path, actor=None)
    draft = drafts.start_from_version(
        db,
        partnership=norfolk,
        actor=coordinator,
        questionnaire_id="section11-core-standards",
        version="2023.1",
    )
    sign_in(client, coordinator)
    base = f"/questionnaire-drafts/{draft.id}"
    for page in (
        base,
        f"{base}/publish",
        f"{base}/preview",
        f"{base}/questions/accountability-rating",
    ):
        with count_queries() as counted:
            assert client.get(page).status_code == 200
        assert counted.count <= BUDGET, (page, counted.count)


def test_summary_survey_and_plan_pages_run_the_same_statements_with_real_returns_behind_them(
    client, db, demo, count_queries
):
    """With returns filled as real ones are (answers, scores, agreed ratings, recommendations,
    actions, last year's round) and the survey answered, the chair's summary and its change by
    agency, the survey's results and the Composite Action Plan run as many statements at 1,000
    returns and 1,000 responses as at 100 returns and 10 responses."""
    from app.demo_growth import grow_real_round

    coordinator = person_by_email(db, "coordinator@nscp.example.org")
    chair = person_by_email(db, "chair@nscp.example.org")
    pages = {
        chair: [
            "/summary/s11-2021",
            "/summary/s11-2021?sort=declined&sector=education&page=2",
            "/round/cycles/s11-2021/survey/results",
            "/action-plans/cycles/s11-2021",
        ],
        coordinator: [
            "/round/cycles/s11-2021/survey/results",
            "/action-plans/cycles/s11-2021?sort=agency&order=desc&page=2",
            "/action-plans/cycles/s11-2021?actions=attention&q=school",
            "/action-plans",
        ],
    }

    def counts() -> list[int]:
        found = []
        for person, paths in pages.items():
            sign_in(client, person)
            for path in paths:
                with count_queries() as counted:
                    assert client.get(path).status_code == 200, path
                found.append(counted.count)
        return found

    small = grow_real_round(db, returns=100, responses=10)
    db.commit()
    at_100 = counts()
    large = grow_real_round(db, returns=1000, responses=1000)
    db.commit()
    assert large.recommendations > 10 * small.recommendations > 0  # the plan really grew
    at_1000 = counts()
    # One statement either way is the session's last-seen time, written once a minute.
    assert all(b <= a + 1 for a, b in zip(at_100, at_1000, strict=True)), (at_100, at_1000)
