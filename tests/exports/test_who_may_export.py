"""Only what the person may see goes into a workbook: an agency sees its own return, drafts
reach nobody else, a panel member's draft score reaches nobody, and the rest find nothing."""

from __future__ import annotations

from app.directory.models import Role
from app.panels import moderation, reading, scoring, sessions
from tests.conftest import lead_of, person_by_email, person_with_role, sign_in
from tests.exports.conftest import return_of, rows_of, workbook_of

CHAIR = "chair@nscp.example.org"


def test_an_agency_lead_cannot_download_another_agencys_return(client, db, demo):
    sign_in(client, lead_of(db, "Norfolk Youth Justice Service"))
    other = return_of(db, "Norfolk Fire and Rescue Service")
    assert client.get(f"/returns/{other.id}/export").status_code == 404
    # Nor the partnership's workbooks, nor another agency's return through them.
    assert client.get("/exports/s11-2021/scored-returns").status_code == 404
    assert client.get(f"/exports/s11-2021/return?agency={other.agency_id}").status_code == 404
    assert client.get("/summary/s11-2021").status_code == 404


def test_returns_not_yet_submitted_never_reach_the_chair(client, db, demo):
    sign_in(client, person_by_email(db, CHAIR))
    book = workbook_of(client.get("/exports/s11-2021/scored-returns"))
    agencies = {r["Agency"] for r in rows_of(book["Summary"])}
    in_every_sheet = {r["Agency"] for sheet in book.worksheets[2:] for r in rows_of(sheet)}
    assert (
        agencies
        == in_every_sheet
        == {
            "Break",
            "City College Norwich",
            "Great Yarmouth Borough Council",
            "Norfolk Fire and Rescue Service",
            "Norfolk Youth Justice Service",
            "Norwich City Council",
        }
    )
    # NSPCC has answered a section but not submitted: its return is not the chair's to read.
    nspcc = return_of(db, "NSPCC")
    assert client.get(f"/exports/s11-2021/return?agency={nspcc.agency_id}").status_code == 404


def test_a_panel_members_draft_scores_reach_no_one(client, db, demo):
    sign_in(client, person_by_email(db, CHAIR))
    rows = rows_of(
        workbook_of(client.get("/exports/s11-2021/scored-returns"))["I. NSCP priorities"]
    )
    great_yarmouth = [r for r in rows if r["Agency"] == "Great Yarmouth Borough Council"]
    scored = {
        header: [r[header] for r in great_yarmouth if r[header]]
        for header in rows[0]
        if str(header).startswith("Rating by ")
    }
    # Panel 1's chair submitted their scores; the other two have drafts only.
    assert sorted(len(given) for given in scored.values()) == [0, 0, 3]


def test_a_panel_member_sees_colleagues_scores_only_after_submitting_their_own(client, db, demo):
    member = person_with_role(db, Role.PANEL_MEMBER)
    panel = next(p for p, _slots in reading.my_sessions(db, person=member))
    others = [m for m in sessions.members_of(db, panel) if m.person_id != member.id]
    second = person_by_email(db, others[0].email)
    great_yarmouth = return_of(db, "Great Yarmouth Borough Council")

    def ratings_shown(who) -> dict[str, int]:  # type: ignore[no-untyped-def]
        sign_in(client, who)
        book = workbook_of(client.get("/exports/s11-2021/scored-returns"))
        rows = [
            r
            for r in rows_of(book["I. NSCP priorities"])
            if r["Agency"] == "Great Yarmouth Borough Council"
        ]
        return {
            header: sum(1 for r in rows if r[header])
            for header in rows[0]
            if str(header).startswith("Rating by ")
        }

    # A member with only a draft, before the meeting: nobody's ratings of it, not even the
    # chair's submitted ones.
    assert not any(ratings_shown(second).values())
    # Once they submit theirs, colleagues' submitted scores show beside their own.
    target = reading.panel_return_for(db, person=second, return_id=great_yarmouth.id)
    items = {i.key: scoring.ScoreEntry(2) for i in target.items}
    scoring.save_scores(db, target=target, person=second, entries=items)
    scoring.submit_scores(db, target=target, person=second)
    assert sorted(ratings_shown(second).values())[-2:] == [3, 3]
    # Once the meeting starts, a member with only a draft sees the submitted scores; their own
    # draft still shows nowhere.
    third = person_by_email(db, others[1].email)
    assert not any(ratings_shown(third).values())
    moderation.start_meeting(db, panel=panel, actor=member)
    shown = ratings_shown(third)
    assert sorted(shown.values())[-2:] == [3, 3]
    assert shown[f"Rating by {third.name}"] == 0


def test_the_partnerships_round_holds_only_its_own_agencies(client, db, demo):
    sign_in(client, person_by_email(db, "coordinator@ssp.example.org"))  # Suffolk, joint round
    book = workbook_of(client.get("/exports/s11-2021/summary"))
    received = {r["Sector"]: r for r in rows_of(book["Returns received"])}
    assert received["All agencies"]["Invited"] == 7  # Suffolk's four, and the three shared
    assert received["All agencies"]["Received"] == 0
    # Last year's round was Norfolk's alone: for Suffolk it does not exist.
    assert client.get("/exports/s11-2020/summary").status_code == 404
    assert client.get("/summary/s11-2020").status_code == 404


def test_a_workbook_kind_that_does_not_exist_is_not_found(client, db, demo):
    sign_in(client, person_by_email(db, CHAIR))
    assert client.get("/exports/s11-2021/everything").status_code == 404
    assert client.get("/exports/no-such-cycle/summary").status_code == 404
    response = client.get("/exports/s11-2021/return")
    assert response.status_code == 400 and "needs an agency" in response.text
