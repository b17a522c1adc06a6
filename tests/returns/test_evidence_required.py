"""A section marked evidence_required: the check-answers page names it and the return cannot be
submitted until a file is attached to one of its evidence questions."""

from __future__ import annotations

import pytest

from app.returns.models import ReturnStatus
from tests.conftest import lead_of, sign_in
from tests.returns.conftest import (
    EVERY_TYPE,
    answer_everything,
    form_of,
    nspccs_return_on,
    section_url,
)


@pytest.fixture
def return_needing_evidence(db, demo, tmp_path):
    text = EVERY_TYPE.read_text().replace("id: every-type", "id: every-type-evidence", 1)
    text = text.replace(
        "    title: All types\n", "    title: All types\n    evidence_required: true\n", 1
    )
    path = tmp_path / "every-type-evidence.yaml"
    path.write_text(text)
    return nspccs_return_on(db, path, slug="evidence-round", name="Evidence round")


def test_a_section_that_requires_evidence_stops_the_submission_until_a_file_is_attached(
    client, db, return_needing_evidence
):
    agency_return = return_needing_evidence
    sign_in(client, lead_of(db, "NSPCC"))
    answer_everything(client, agency_return)
    check = client.page(f"/returns/{agency_return.id}/check").get_text(" ", strip=True)
    assert "1 section still without the evidence it requires" in check
    assert "Attach at least one evidence file: All types requires evidence" in check
    submit = f"/returns/{agency_return.id}/submit"
    token = client.csrf_token(f"/returns/{agency_return.id}/check")
    refused = client.post(submit, data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 400 and "attach the evidence asked for" in refused.text
    db.refresh(agency_return)
    assert agency_return.status is ReturnStatus.IN_PROGRESS

    url = section_url(agency_return)
    saved = client.post(
        url,
        data=form_of(client, url) | {"has-policy": "no"},
        files={"policy-file__files": ("policy.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    answer_everything(client, agency_return)  # the page saves its answers with the file
    done = client.post(submit, data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    db.refresh(agency_return)
    assert agency_return.status is ReturnStatus.SUBMITTED
