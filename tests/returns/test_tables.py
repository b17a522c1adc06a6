"""A table question's rows: more rows than the questionnaire allows are refused with a message,
never dropped in silence and never a server error."""

from __future__ import annotations

from sqlalchemy import select

from app.returns.models import Answer
from tests.conftest import lead_of, sign_in
from tests.returns.conftest import form_of, section_url


def test_ten_thousand_table_rows_posted_are_refused_with_a_clear_message(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    url = section_url(nspcc_return)
    rows = {f"training__{i}__course": f"Course {i}" for i in range(10_000)}
    response = client.post(url, data=form_of(client, url) | rows, follow_redirects=False)
    assert response.status_code == 400
    assert "Too many answers were sent at once" in response.text, response.text[:2000]
    assert db.scalars(select(Answer).where(Answer.question_id == "training")).first() is None


def test_a_row_past_the_tables_limit_is_refused_beside_the_table(client, db, nspcc_return):
    sign_in(client, lead_of(db, "NSPCC"))
    url = section_url(nspcc_return)
    rows = {f"training__{i}__course": f"Course {i}" for i in range(21)}  # max_rows is 20
    response = client.post(url, data=form_of(client, url) | rows, follow_redirects=False)
    assert response.status_code == 400
    assert "This table takes up to 20 rows and 21 were sent" in response.text


def test_a_long_page_of_more_than_a_thousand_boxes_is_still_saved(client, db, nspcc_return):
    """A table of 200 rows and several columns is well past 1,000 boxes: it must save."""
    sign_in(client, lead_of(db, "NSPCC"))
    url = section_url(nspcc_return)
    rows = {f"training__{i}__course": f"Course {i}" for i in range(20)}
    boxes = {f"unused-box-{i}": "" for i in range(1_500)}  # stands in for a wide table's cells
    response = client.post(url, data=form_of(client, url) | rows | boxes, follow_redirects=False)
    assert "Too many answers were sent at once" not in response.text
    saved = db.scalars(select(Answer).where(Answer.question_id == "training")).first()
    assert saved is not None and len(saved.value) == 20
