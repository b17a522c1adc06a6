"""Shared fixtures: the database on each backend, a rolled-back session per test, the app.

Every test that touches the database runs on SQLite and, when S11_TEST_POSTGRES_URL is set,
on PostgreSQL too; with S11_TEST_REQUIRE_POSTGRES=1 (CI) a missing server fails the run.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from app.cli import _alembic_config
from app.config import Environment, Settings, load_settings
from app.db import get_session, make_engine
from app.directory import service as directory_service
from app.directory.models import Agency, Membership, Person, Role
from app.main import create_app
from app.notifications import queue as mail_queue
from app.storage.backends import storage_for
from tests.pages import CheckingClient

REQUIRE_POSTGRES = os.environ.get("S11_TEST_REQUIRE_POSTGRES") == "1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_settings(database_url: str, var_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": Environment.DEVELOPMENT,
        "database_url": database_url,
        "var_dir": var_dir,
        "secret_key": "test-secret-key-not-for-production",
    }
    values.update(overrides)
    return load_settings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def pytest_configure(config: pytest.Config | None) -> None:
    """Under pytest-xdist (`make test` runs two or more workers), each worker gets a PostgreSQL
    database of its own beside the one named, so the schemas and databases tests make and drop
    never meet another worker's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("S11_TEST_POSTGRES_URL")
    if worker and url:
        os.environ["S11_TEST_POSTGRES_URL"] = _database_of_its_own(url, worker)


# The files that take minutes, not seconds, go first: pytest-xdist hands out whole files in
# the order collected, so one started last would leave the other workers idle while it ran.
LONGEST_FIRST = ("tests/test_hostile_input.py", "tests/test_access.py", "tests/browser/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        starts = [i for i, prefix in enumerate(LONGEST_FIRST) if path.startswith(prefix)]
        return starts[0] if starts else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a rank, the collected order


def _database_of_its_own(url: str, worker: str) -> str:
    try:
        return fresh_database_beside(url, worker)
    except ProgrammingError as error:
        raise pytest.UsageError(
            f"parallel test workers need a role that may create databases "
            f"(ALTER ROLE {make_url(url).username} CREATEDB), or run pytest with -n 0: "
            f"{error.orig}"
        ) from error


def fresh_database_beside(url: str, suffix: str) -> str:
    """A new, empty PostgreSQL database named after the one in `url` plus `suffix`, with the
    same options (a schema's search path); the URL to it. One left by an earlier run is
    dropped first. Needs a role that may create databases."""
    base = make_url(url)
    database = f"{base.database}_{suffix}"
    admin = create_engine(base.set(query={}), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    return base.set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        # The same file each time the backend comes round again (see `prepared_databases`).
        folder = tmp_path_factory.getbasetemp() / "sqlite"
        folder.mkdir(exist_ok=True)
        return f"sqlite:///{folder / 's11-test.db'}"
    url = os.environ.get("S11_TEST_POSTGRES_URL")
    if not url:
        if REQUIRE_POSTGRES:
            pytest.fail("S11_TEST_REQUIRE_POSTGRES=1 but S11_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL run needs S11_TEST_POSTGRES_URL (CI sets it; see README)")
    return url


def reset_database(url: str) -> None:
    """Start each run from an empty database, whatever an earlier run left behind."""
    engine = make_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            schema = _schema_of(url)
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


DEMO_SCHEMA = "demo"


def _schema_of(url: str) -> str:
    return DEMO_SCHEMA if f"search_path%3D{DEMO_SCHEMA}" in url else "public"


def demo_database_url(url: str) -> str:
    """Where the demo is loaded once for the run: a second SQLite file beside the first, or a
    schema of its own in the same PostgreSQL database (no extra database to create)."""
    if url.startswith("sqlite"):
        return url.replace("s11-test.db", "s11-demo.db")
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{DEMO_SCHEMA}"


def migrate_to(url: str, revision: str, var_dir: Path) -> None:
    config = _alembic_config(test_settings(url, var_dir))
    config.attributes["skip_logging"] = True
    if revision == "base":
        command.downgrade(config, "base")
    else:
        command.upgrade(config, revision)


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def prepared_databases() -> Iterator[dict[str, tuple[Engine, object]]]:
    """Each database made ready once for the whole run, by URL. pytest ends a session fixture
    whenever the backend parameter changes, and under pytest-xdist a worker's files switch
    backends again and again: without this, each switch migrated (and loaded the demo) anew."""
    prepared: dict[str, tuple[Engine, object]] = {}
    yield prepared
    for engine, _summary in prepared.values():
        engine.dispose()


@pytest.fixture(scope="session")
def empty_engine(
    database_url: str, var_dir: Path, prepared_databases: dict[str, tuple[Engine, object]]
) -> Engine:
    if database_url not in prepared_databases:
        reset_database(database_url)
        migrate_to(database_url, "head", var_dir)
        prepared_databases[database_url] = (make_engine(database_url), None)
    return prepared_databases[database_url][0]


@pytest.fixture(scope="session")
def demo_database(
    database_url: str, var_dir: Path, prepared_databases: dict[str, tuple[Engine, object]]
) -> tuple[Engine, object]:
    """The demo, loaded and committed once per backend. Each test that asks for it works in a
    transaction that is rolled back, so every test starts from the same demo; loading it for
    each test instead cost most of the suite's time."""
    from app.demo import load_demo

    url = demo_database_url(database_url)
    if url not in prepared_databases:
        reset_database(url)
        migrate_to(url, "head", var_dir)
        engine = make_engine(url)
        with Session(engine) as session:
            summary = load_demo(session)
            session.commit()
        prepared_databases[url] = (engine, summary)
    return prepared_databases[url]


@pytest.fixture
def engine(request: pytest.FixtureRequest, database_url: str) -> Engine:
    """The demo's database for a test that uses the demo, an empty one for any other (named
    by `database_url`, which runs each test on every backend)."""
    if "demo" in request.fixturenames:
        return request.getfixturevalue("demo_database")[0]
    return request.getfixturevalue("empty_engine")


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose every commit is undone when the test ends."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield session
    session.close()
    outer.rollback()
    connection.close()


@pytest.fixture
def settings(database_url: str, var_dir: Path) -> Settings:
    return test_settings(database_url, var_dir)


def client_for(
    app_settings: Settings,
    engine: Engine,
    db: Session,
    client_address: tuple[str, int] = ("testclient", 50000),
    *,
    deliver_mail: bool = True,
) -> CheckingClient:
    app = create_app(app_settings, engine=engine)

    def the_test_session() -> Iterator[Session]:
        # What the test set up before the request is "already in the database": a request
        # that fails and rolls back must not take it with it.
        db.commit()
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    app.dependency_overrides[get_session] = the_test_session
    checking = CheckingClient(
        app, base_url="http://localhost", raise_server_exceptions=False, client=client_address
    )
    if deliver_mail:
        # A mail worker that runs after every response to a POST (a redirect's first leg
        # too; a GET sends no email): a request only queues its emails; this hands them over
        # as `s11 worker` would, in the test's own transaction.
        def deliver(response) -> None:  # type: ignore[no-untyped-def]
            if response.request.method != "GET":
                QueryCounter.worker_running = True
                try:
                    mail_queue.drain(db, app_settings, worker="test")
                finally:
                    QueryCounter.worker_running = False

        checking.event_hooks["response"].append(deliver)
    return checking


@pytest.fixture
def client(settings: Settings, engine: Engine, db: Session) -> Iterator[CheckingClient]:
    with client_for(settings, engine, db) as test_client:
        yield test_client


@pytest.fixture
def production_client(
    database_url: str, var_dir: Path, engine: Engine, db: Session
) -> Iterator[CheckingClient]:
    settings = test_settings(database_url, var_dir, env=Environment.PRODUCTION)
    with client_for(settings, engine, db) as test_client:
        yield test_client


@pytest.fixture
def demo(demo_database: tuple[Engine, object], db: Session):  # type: ignore[no-untyped-def]
    """The demo data (see demo_database), under the test's own rolled-back transaction."""
    return demo_database[1]


@pytest.fixture
def every_type(db: Session):  # type: ignore[no-untyped-def]
    """The test questionnaire with one question of every type, published."""
    from app.questionnaires import service as questionnaire_service

    path = Path(__file__).resolve().parent / "fixtures" / "every-type.yaml"
    return questionnaire_service.publish_file(db, path=path, actor=None)[0]


def person_by_email(db: Session, email: str) -> Person:
    person_id = db.scalar(select(Person.id).where(Person.email == email))
    person = directory_service.get_person(db, person_id=person_id) if person_id else None
    assert person is not None, f"no person {email}"
    return person


def person_with_role(db: Session, role: Role) -> Person:
    """The first demo person holding the role, in any partnership."""
    person_id = db.scalar(
        select(Membership.person_id).where(Membership.role == role).order_by(Membership.id)
    )
    person = directory_service.get_person(db, person_id=person_id) if person_id else None
    assert person is not None, f"no demo person is a {role}"
    return person


def lead_of(db: Session, agency_name: str) -> Person:
    """The demo agency lead of the named agency."""
    person_id = db.scalar(
        select(Membership.person_id)
        .join(Agency, Agency.id == Membership.agency_id)
        .where(Agency.name == agency_name, Membership.role == Role.AGENCY_LEAD)
        .limit(1)
    )
    person = directory_service.get_person(db, person_id=person_id) if person_id else None
    assert person is not None, f"no lead for {agency_name}"
    return person


# The smallest file every check takes for a PDF: the signature, then anything.
SMALL_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# A 1×1 PNG, for partnership logos.
SMALL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def attach_pdf(
    db: Session, settings: Settings, person: Person, return_id: int, question_id: str = ""
) -> int:
    """Attach a small PDF to a rated question of a return, as `person`; returns the file's id."""
    import io

    from app.returns import attachments
    from app.returns import service as returns_service

    view = returns_service.return_for(db, person=person, return_id=return_id)
    assert view is not None
    question_id = question_id or next(
        q.id
        for section in view.questionnaire.sections
        for q in section.questions
        if returns_service.takes_evidence(q)
    )
    file = attachments.attach_evidence(
        db,
        view=view,
        question_id=question_id,
        source=io.BytesIO(SMALL_PDF),
        claimed_name="Safeguarding policy.pdf",
        actor=person,
        storage=storage_for(settings),
        max_bytes=1024 * 1024,
        quota_bytes=10 * 1024 * 1024,
    )
    return file.id


def sign_in(client: CheckingClient, person: Person) -> None:
    """Sign in through the development sign-in page, as a person would."""
    token = client.csrf_token("/dev/sign-in")
    response = client.post(
        "/dev/sign-in",
        data={"person_id": str(person.id), "next": "/", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def pytest_report_header(config: pytest.Config) -> list[str]:
    postgres = os.environ.get("S11_TEST_POSTGRES_URL")
    chromium = os.environ.get("S11_TEST_CHROMIUM") or "/usr/bin/chromium"
    return [
        "s11 PostgreSQL: "
        + ("yes" if postgres else "not set: PostgreSQL runs skip (set S11_TEST_POSTGRES_URL)")
        + (" [required]" if REQUIRE_POSTGRES else ""),
        "s11 Chromium: "
        + (chromium if Path(chromium).exists() else "missing: browser tests skip")
        + (" [required]" if os.environ.get("S11_TEST_REQUIRE_BROWSER") == "1" else ""),
    ]


class Mailbox:
    """Messages a real SMTP server (aiosmtpd) received during the test run."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()  # addresses the server answers 550, as for a full box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]  # noqa: N802
        if address in self.refused:
            return "550 5.2.2 Mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, wait: float = 10) -> list[EmailMessage]:
        """The messages to `address`, once at least one has come (a mail worker in another
        process sends it meanwhile)."""
        import time

        deadline = time.monotonic() + wait
        while not self.to(address) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.to(address)

    def link_in_last_to(self, address: str, path: str, wait: float = 10) -> str:
        assert self.wait_for(address, wait), f"no email reached {address}"
        body = self.to(address)[-1].get_content()
        return path + body.split(path, 1)[1].split()[0]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()  # Controller cannot pick its own port (port=0 fails)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Iterator[Mailbox]:
    box, _ = smtp_server
    box.messages.clear()
    box.refused.clear()
    yield box
    box.refused.clear()  # the browser tests' server shares this mail server


@pytest.fixture
def mail_client(
    database_url: str, var_dir: Path, engine: Engine, db: Session, smtp_server, mailbox
) -> Iterator[CheckingClient]:
    """The app sending its email through the real SMTP server."""
    _, port = smtp_server
    settings = test_settings(
        database_url, var_dir, smtp_host="127.0.0.1", smtp_port=port, mail_from="s11@test.example"
    )
    with client_for(settings, engine, db) as test_client:
        yield test_client


class S3Server:
    """moto's standalone S3 server in a process of its own, on loopback."""

    def __init__(self) -> None:
        import subprocess
        import sys

        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, process=self.process)

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=S3_REGION)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


S3_REGION = "eu-west-2"
S3_BUCKET = "s11-evidence"


def wait_for_port(port: int, *, process=None, wait: float = 30) -> None:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server on port {port} stopped at start")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port} within {wait} s")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3-compatible server (moto) for the run, with the bucket the tests use. boto3
    signs every request, so it needs keys: any will do for moto."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "s11-test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "s11-test-secret")
    server = S3Server()
    server.client().create_bucket(
        Bucket=S3_BUCKET, CreateBucketConfiguration={"LocationConstraint": S3_REGION}
    )
    yield server
    server.stop()


def s3_settings(
    database_url: str, var_dir: Path, server: S3Server, **overrides: object
) -> Settings:
    """Settings keeping evidence in the test bucket, under a prefix of their own."""
    import secrets

    return test_settings(
        database_url,
        var_dir,
        storage_url=f"s3://{S3_BUCKET}/{secrets.token_hex(6)}",
        storage_endpoint_url=server.endpoint,
        storage_region=S3_REGION,
        **overrides,
    )


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[str]:
    """A real OpenID Connect provider (oidc-provider-mock) on loopback; yields its issuer."""
    import logging

    from oidc_provider_mock import User, run_server_in_thread

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    users = [
        User(
            sub="alice-sub",
            claims={
                "email": "alice@trust.example.org",
                "email_verified": True,
                "name": "Alice Example",
            },
        ),
        User(
            sub="unverified-sub", claims={"email": "eve@trust.example.org", "email_verified": False}
        ),
    ]
    with run_server_in_thread(require_nonce=True, user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def oidc_client(
    database_url: str, var_dir: Path, engine: Engine, db: Session, oidc_provider: str
) -> Iterator[CheckingClient]:
    settings = test_settings(
        database_url,
        var_dir,
        oidc_issuer=oidc_provider,
        oidc_client_id="s11-test",
        oidc_client_secret="s11-test-secret",
        base_url="http://localhost",
    )
    with client_for(settings, engine, db) as test_client:
        yield test_client


class QueryCounter:
    # While the test client's stand-in mail worker runs after a POST (client_for), its
    # statements are the worker's, not the page's: a page's count leaves them out.
    worker_running = False

    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []  # what ran, to read when a count is not what it was

    def __call__(
        self, _connection: object, _cursor: object, statement: str, *_args: object
    ) -> None:
        if QueryCounter.worker_running:
            return
        self.count += 1
        self.statements.append(statement)


@pytest.fixture
def count_queries(engine: Engine):  # type: ignore[no-untyped-def]
    """`with count_queries() as counted:` … `counted.count` SQL statements were run."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting


def deliver_now(db: Session, settings: Settings, email, *, kind: str, partnership_id=None):  # type: ignore[no-untyped-def]
    """Queue an email as a request does, then hand it over as a worker would."""
    from app.notifications import service as notifications_service

    sent = notifications_service.queue_email(db, email, kind=kind, partnership_id=partnership_id)
    mail_queue.drain(db, settings, worker="test")
    db.refresh(sent)
    return sent
