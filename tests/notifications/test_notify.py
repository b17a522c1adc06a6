"""GOV.UK Notify as the transport, against a local fake of Notify's HTTP API that checks each
request as Notify does (the JWT bearer token, the JSON body), through the official client."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from app.db import utcnow
from app.notifications import queue as mail_queue
from app.notifications import service as notifications_service
from app.notifications.mail import Email
from app.notifications.models import SendStatus
from tests.conftest import free_port, test_settings

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"s11_test-{SERVICE_ID}-{SECRET}"  # Notify's key: name, service id, secret
TEMPLATE_ID = str(uuid.uuid4())


class FakeNotify(BaseHTTPRequestHandler):
    """Notify's v2 API as its documentation describes it, for the two calls s11 makes."""

    sent: dict[str, dict] = {}
    statuses: dict[str, str] = {}
    invalid: set[str] = set()

    def log_message(self, *args):  # type: ignore[no-untyped-def]
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, error: str, message: str) -> None:
        self._answer(
            status, {"status_code": status, "errors": [{"error": error, "message": message}]}
        )

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            self._error(401, "AuthError", "Unauthorized: authentication token must be provided")
            return False
        token = header.removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": True})
        except jwt.PyJWTError:
            self._error(403, "AuthError", "Invalid token: signature, api token not found")
            return False
        if claims.get("iss") != SERVICE_ID or abs(time.time() - claims.get("iat", 0)) > 30:
            self._error(403, "AuthError", "Invalid token: iss or iat")
            return False
        return True

    def do_POST(self) -> None:  # noqa: N802
        if not self._authorised():
            return
        if self.path != "/v2/notifications/email":
            self._error(404, "NotFound", "not found")
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        personalisation = body.get("personalisation") or {}
        if body.get("template_id") != TEMPLATE_ID or set(personalisation) - {
            "subject",
            "body",
            "calendar",
        }:
            self._error(400, "BadRequestError", "Template not found or personalisation wrong")
            return
        if body["email_address"] in self.invalid:
            self._error(400, "ValidationError", "email_address Not a valid email address")
            return
        notification_id = str(uuid.uuid4())
        self.sent[notification_id] = body
        self._answer(
            201,
            {
                "id": notification_id,
                "reference": body.get("reference"),
                "content": {
                    "subject": personalisation["subject"],
                    "body": personalisation["body"],
                    "from_email": "s11@notifications.service.gov.uk",
                },
                "uri": f"/v2/notifications/{notification_id}",
                "template": {"id": TEMPLATE_ID, "version": 1, "uri": f"/v2/template/{TEMPLATE_ID}"},
            },
        )

    def do_GET(self) -> None:  # noqa: N802
        if not self._authorised():
            return
        notification_id = self.path.rsplit("/", 1)[-1]
        if notification_id not in self.sent:
            self._error(404, "NoResultFound", "No result found")
            return
        body = self.sent[notification_id]
        self._answer(
            200,
            {
                "id": notification_id,
                "reference": body.get("reference"),
                "email_address": body["email_address"],
                "type": "email",
                "status": self.statuses.get(notification_id, "sending"),
            },
        )


@pytest.fixture
def notify(database_url, var_dir):
    FakeNotify.sent, FakeNotify.statuses, FakeNotify.invalid = {}, {}, set()
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), FakeNotify)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield test_settings(
        database_url,
        var_dir,
        notify_api_key=API_KEY,
        notify_template_id=TEMPLATE_ID,
        notify_base_url=f"http://127.0.0.1:{port}",
    )
    server.shutdown()
    server.server_close()


def queue(db, to: str, action_id: int):  # type: ignore[no-untyped-def]
    return notifications_service.record(
        db,
        Email(to=to, subject="Your return is due", body="Please submit by Friday."),
        kind="reminder",
        action_id=action_id,
        partnership_id=None,
    )


def settle_checks_now(db, *emails) -> None:  # type: ignore[no-untyped-def]
    for email in emails:
        email.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.commit()


def test_emails_go_through_notify_with_their_id_as_reference_and_its_verdict_is_shown(
    db, demo, notify
):
    from sqlalchemy import select

    from app.directory.models import Partnership

    norfolk = db.scalars(select(Partnership).where(Partnership.slug == "norfolk")).one()
    action = notifications_service.start_action(
        db, partnership_id=norfolk.id, description="Reminders to 3 leads", back_to="/round"
    )
    arrives = queue(db, "lead@example.org", action.id)
    bounces = queue(db, "nobody@example.org", action.id)
    invalid = queue(db, "not-an-address@example", action.id)
    FakeNotify.invalid.add("not-an-address@example")
    db.commit()

    assert mail_queue.drain(db, notify) == 2
    for email in (arrives, bounces, invalid):
        db.refresh(email)
    bodies = {body["reference"]: body for body in FakeNotify.sent.values()}
    assert set(bodies) == {str(arrives.id), str(bounces.id)}  # the record's id is the reference
    assert bodies[str(arrives.id)]["personalisation"] == {
        "subject": "Your return is due",
        "body": "Please submit by Friday.",
    }
    assert arrives.status is SendStatus.SENT and arrives.provider_id in FakeNotify.sent
    # Notify refused the address itself: no point trying it again.
    assert invalid.status is SendStatus.FAILED and "Not a valid email address" in invalid.last_error
    assert invalid.attempts == notifications_service.MAX_ATTEMPTS

    # Notify is still sending: nothing settled yet.
    settle_checks_now(db, arrives, bounces)
    assert mail_queue.check_delivery(db, notify) == 0
    delivery = notifications_service.delivery_of(db, action=action)
    assert (delivery.sent, delivery.awaiting_verdict, delivery.settled) == (2, 2, False)

    FakeNotify.statuses[arrives.provider_id] = "delivered"
    FakeNotify.statuses[bounces.provider_id] = "permanent-failure"
    settle_checks_now(db, arrives, bounces)
    assert mail_queue.check_delivery(db, notify) == 2
    db.refresh(arrives)
    db.refresh(bounces)
    assert arrives.status is SendStatus.DELIVERED and arrives.provider_status == "delivered"
    assert bounces.status is SendStatus.FAILED and "permanent-failure" in bounces.last_error
    delivery = notifications_service.delivery_of(db, action=action)
    assert (delivery.delivered, delivery.failed, delivery.settled) == (1, 2, True)


def test_a_wrong_notify_key_fails_the_email_for_a_later_try_never_silently(
    db, notify, var_dir, database_url
):
    wrong = test_settings(
        database_url,
        var_dir,
        notify_api_key=f"s11_test-{SERVICE_ID}-{uuid.uuid4()}",
        notify_template_id=TEMPLATE_ID,
        notify_base_url=notify.notify_base_url,
    )
    email = queue(db, "lead@example.org", None)
    assert mail_queue.drain(db, wrong) == 0
    db.refresh(email)
    assert email.status is SendStatus.FAILED and "403" in email.last_error
    assert email.attempts == 1 and email.next_attempt_at is not None  # tried again later
    assert FakeNotify.sent == {}
