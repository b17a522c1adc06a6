"""A panel member's unsubmitted scores are theirs alone: the demo's Great Yarmouth return, whose
chair has submitted while two colleagues have drafts, read by the chair on every page and
workbook that shows scores; the drafts appear once submitted; the spread ignores drafts."""

from __future__ import annotations

from sqlalchemy import select

from app.notifications.models import SentEmail
from app.panels import moderation, reading, scoring
from tests.conftest import sign_in
from tests.exports.conftest import return_of, rows_of, workbook_of

AGENCY = "Great Yarmouth Borough Council"


def _setting(db):
    agency_return = return_of(db, AGENCY)
    sheets = scoring.sheets_of(db, return_id=agency_return.id)
    scores = scoring.scores_of(db, return_id=agency_return.id)
    from app.directory import service as directory_service

    [chair_id] = list(sheets)
    chair = directory_service.get_person(db, person_id=chair_id)
    target = reading.panel_return_for(db, person=chair, return_id=agency_return.id)
    drafting = [m for m in target.members if m.person_id not in sheets]
    assert len(drafting) == 2, "the demo has two members with drafts on this return"
    return agency_return, chair, target, drafting, scores


def _draft_words(scores, member) -> list[str]:
    return [
        text
        for score in scores[member.person_id].values()
        for text in (score.strengths, score.worries, score.lines_of_enquiry)
        if text
    ]


def _redraft(db, agency_return, member, words: str) -> None:
    """Give a member's draft words of its own (the demo's notes repeat between members)."""
    from app.directory import service as directory_service

    person = directory_service.get_person(db, person_id=member.person_id)
    mine = reading.panel_return_for(db, person=person, return_id=agency_return.id)
    entries = {
        item.key: scoring.ScoreEntry(rating=item.levels[0].value, worries=words)
        for item in mine.items
    }
    scoring.save_scores(db, target=mine, person=person, entries=entries)


def test_the_chair_who_submitted_sees_no_colleagues_draft_rating_or_notes(client, db, demo):
    agency_return, chair, target, drafting, scores = _setting(db)
    for member in drafting:
        _redraft(db, agency_return, member, f"Draft worry by {member.name}")
    sign_in(client, chair)
    page = client.page(f"/panels/returns/{agency_return.id}/moderation")
    text = page.get_text()
    own = set(_draft_words(scores, next(m for m in target.members if m.person_id == chair.id)))
    for member in drafting:
        assert f"Notes by {member.name}" not in text
        assert f"Draft worry by {member.name}" not in text
        for words in set(_draft_words(scores, member)) - own:
            assert words not in text
    cells = [td.get_text(" ", strip=True) for td in page.select("tbody td")]
    assert "Not yet submitted" in cells
    assert text.count("Not yet submitted") >= 2 * len(drafting)  # the who-has-submitted list too

    book = workbook_of(client.get("/exports/s11-2021/scored-returns"))
    for sheet in book.worksheets[2:]:
        for row in rows_of(sheet):
            if row.get("Agency") == AGENCY:
                for member in drafting:
                    assert row.get(f"Rating by {member.name}") in (None, ""), sheet.title


def test_a_draft_appears_to_colleagues_once_its_author_submits_it(client, db, demo):
    agency_return, chair, target, drafting, scores = _setting(db)
    author = drafting[0]
    from app.directory import service as directory_service

    person = directory_service.get_person(db, person_id=author.person_id)
    mine = reading.panel_return_for(db, person=person, return_id=agency_return.id)
    entries = {
        item.key: scoring.ScoreEntry(rating=item.levels[0].value, worries="Submitted worry")
        for item in mine.items
    }
    scoring.save_scores(db, target=mine, person=person, entries=entries)
    scoring.submit_scores(db, target=mine, person=person)
    sign_in(client, chair)
    text = client.page(f"/panels/returns/{agency_return.id}/moderation").get_text()
    assert f"Notes by {author.name}" in text and "Submitted worry" in text
    assert f"Notes by {drafting[1].name}" not in text


def test_the_spread_and_order_count_submitted_scores_only(db, demo):
    agency_return, chair, target, drafting, scores = _setting(db)
    rows = moderation.moderation(db, target, chair)
    submitted = scoring.scores_of(db, return_id=agency_return.id)[chair.id]
    for row in rows:
        steps = row.item.spread_index
        given = [steps[submitted[row.item.key].rating]]
        if row.item.self_rating in steps:
            given.append(steps[row.item.self_rating])
        expected = max(given) - min(given) if len(given) > 1 else None
        assert row.spread == expected, row.item.title
        drafts = [r for r in row.ratings if not r.submitted]
        assert drafts and all(r.score is None for r in drafts)


def test_a_member_with_a_draft_still_sees_their_own_draft(client, db, demo):
    agency_return, chair, target, drafting, scores = _setting(db)
    from app.directory import service as directory_service

    author = directory_service.get_person(db, person_id=drafting[0].person_id)
    sign_in(client, author)
    text = client.page(f"/panels/returns/{agency_return.id}/moderation").get_text()
    assert f"Notes by {author.name}" in text and "Your draft, not yet submitted" in text
    assert f"Notes by {drafting[1].name}" not in text


def test_the_chair_reminds_the_members_who_have_not_submitted(client, db, demo):
    agency_return, chair, target, drafting, scores = _setting(db)
    sign_in(client, chair)
    url = f"/panels/returns/{agency_return.id}/moderation"
    response = client.post(
        f"/panels/returns/{agency_return.id}/remind",
        data={"csrf_token": client.csrf_token(url)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and "reminded=2" in response.headers["location"]
    sent = db.scalars(select(SentEmail).where(SentEmail.kind == "panel")).all()
    reminded = {m.to for m in sent if "Please submit your scores" in m.subject}
    assert reminded == {m.email for m in drafting}
    # A member who is not the chair cannot send reminders.
    from app.directory import service as directory_service

    sign_in(client, directory_service.get_person(db, person_id=drafting[0].person_id))
    refused = client.post(
        f"/panels/returns/{agency_return.id}/remind",
        data={"csrf_token": client.csrf_token(url)},
        follow_redirects=False,
    )
    assert refused.status_code == 404
