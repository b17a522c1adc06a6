"""Hostile input on every route: whatever a careless or hostile visitor sends, no page is a 500.

The walk finds its routes in create_app().routes and its form fields on the pages, so a new route
is walked without being listed here; the real objects in its paths come from test_access.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.auth.deps import declared_permission
from app.auth.policy import Decision, Permission, decide
from app.directory import service as directory_service
from app.directory.models import Role
from app.main import create_app
from app.params import MAX_ID
from app.templating import templates
from tests.conftest import person_by_email, person_with_role, sign_in
from tests.test_access import api_routes, sample_paths  # noqa: F401  (sample_paths: a fixture)

TOO_LARGE = "9223372036854775808"  # past any integer SQLite holds
TOO_LARGE_FOR_POSTGRES = "2147483648"  # past PostgreSQL's integer, which ids are
INVALID_UTF8 = "\udcff"  # stands for the bytes ff fe, which are no UTF-8 text at all

# What replaces a path parameter that is text (a slug, a token, a section), already as it
# travels in a web address.
PATH_VALUES = (
    TOO_LARGE,
    TOO_LARGE_FOR_POSTGRES,
    "%00",
    "%FF%FE",
    "%C2%B2",  # "²": a digit to str.isdigit(), not to int()
    "..%2F..%2Fetc%2Fpasswd",
    "not-a-kind",
    "x" * 10_000,
)
# An id (app.params.Id) refuses every value that is not a whole number in range in one place,
# before the route runs, whichever of a route's ids it is: these meet its bounds and parsing,
# sent to all of a route's ids at once.
ID_PATH_VALUES = (TOO_LARGE, TOO_LARGE_FOR_POSTGRES, "-1", "0", "%C2%B2")
# What a query parameter or every field of a form at once is set to.
VALUES = (
    TOO_LARGE,
    TOO_LARGE_FOR_POSTGRES,
    "-1",
    "0",
    "\x00",
    INVALID_UTF8,
    "²",
    "../../etc/passwd",
    "not-a-choice",
    "x" * 10_000,
)
# Tried in one field at a time, the others as the page filled them: what breaks a parser or a
# column (a number past the database's, a digit int() refuses). NUL is refused at the gate.
ONE_FIELD_VALUES = (TOO_LARGE, "²")

# Routes open to everyone take their values the same whoever sends them.
OPEN_TO_ALL = {Permission.PUBLIC, Permission.SIGN_IN, Permission.DEVELOPMENT_SIGN_IN}
# Routes that change who is signed in: the walker signs in again after each.
CHANGES_SIGN_IN = {Permission.SIGN_IN, Permission.DEVELOPMENT_SIGN_IN, Permission.SIGNED_IN}
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")


def encoded(value: str) -> str:
    return "%FF%FE" if value == INVALID_UTF8 else quote_plus(value)


def shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} characters)"


def urlencoded(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{quote_plus(name)}={encoded(value)}" for name, value in pairs).encode()


def params_of(dependant, kind: str) -> list:  # type: ignore[no-untyped-def]
    """A route's parameters of one kind (path_params, query_params, body_params), its
    dependencies' included, each once."""
    found = {p.name: p for p in getattr(dependant, kind)}
    for dependency in dependant.dependencies:
        found |= {p.name: p for p in params_of(dependency, kind)}
    return list(found.values())


def is_id(param) -> bool:  # type: ignore[no-untyped-def]
    return "_within_ids" in repr(param.field_info.metadata) + repr(param.field_info.annotation)


@dataclass
class Route:
    method: str
    path: str
    permission: Permission
    path_params: list[str]
    id_params: set[str]
    query_params: list[str]
    form_params: list[str]  # declared with Form(); most forms are read whole and found on pages

    @classmethod
    def of(cls, route: APIRoute, method: str) -> Route:
        return cls(
            method=method,
            path=route.path,
            permission=declared_permission(route.dependant)[0],
            path_params=[p.name for p in params_of(route.dependant, "path_params")],
            id_params={p.name for p in params_of(route.dependant, "path_params") if is_id(p)},
            query_params=[p.alias for p in params_of(route.dependant, "query_params")],
            form_params=[p.alias for p in params_of(route.dependant, "body_params")],
        )

    def concrete(self, samples: dict[str, str]) -> str:
        return samples.get(self.path) or re.sub(r"{[^}]+}", "1", self.path)

    def with_path_value(self, concrete: str, name: str, value: str) -> str:
        """The concrete path with one parameter replaced by an already-encoded value."""
        pattern = re.escape(self.path)
        for param in self.path_params:
            pattern = pattern.replace(re.escape("{" + param + "}"), f"(?P<{param}>[^/]+)")
        found = re.fullmatch(pattern, concrete)
        assert found, f"{concrete} is not a {self.path}"
        start, end = found.span(name)
        return concrete[:start] + value + concrete[end:]


def walked_routes(app) -> list[Route]:  # type: ignore[no-untyped-def]
    found = [
        Route.of(route, method)
        for route in api_routes(app.routes)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"})
    ]
    # Pages first, so each form is known before its POST is walked; signing out last.
    return sorted(found, key=lambda r: (r.method != "GET", r.path == "/sign-out"))


def forms_on(html: str) -> dict[str, list[tuple[str, str]]]:
    """Each POST form's fields as a browser would send them, by the path it posts to."""
    found: dict[str, list[tuple[str, str]]] = {}
    for form in BeautifulSoup(html, "html.parser").find_all("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        fields = found.setdefault(urlsplit(form.get("action", "")).path, [])
        for tag in form.find_all(["input", "select", "textarea"]):
            name = tag.get("name")
            if not name or name == "csrf_token" or tag.get("type") == "file":
                continue
            if tag.get("type") in ("radio", "checkbox") and any(n == name for n, _ in fields):
                continue
            if tag.name == "select":
                option = tag.find("option", selected=True) or tag.find("option")
                value = option.get("value", option.get_text()) if option else ""
            elif tag.name == "textarea":
                value = tag.get_text()
            else:
                value = tag.get("value", "")
            fields.append((name, value))
    return found


@dataclass
class Walk:
    """One visitor's walk: a client, who they are, what they have sent and what went wrong."""

    client: TestClient
    who: str
    person: object | None
    settings: object
    token: str = ""
    forms: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    allowed: set[tuple[str, str]] = field(default_factory=set)

    def begin(self) -> None:
        self.client.cookies.clear()
        if self.person is not None:
            sign_in(self.client, self.person)
        page = self.client.get("/" if self.person else "/sign-in").text
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]  # type: ignore[index]

    def may_use(self, routes: list[Route]) -> None:
        """Which routes this visitor gets past the gate of, decided before any request (a
        refused request rolls back, and the person's roles with it)."""
        for route in routes:
            if self.person is not None and route.permission in OPEN_TO_ALL:
                continue  # walked in full by the visitor who is not signed in
            decision = decide(
                route.permission,
                person=self.person,  # type: ignore[arg-type]
                settings=self.settings,  # type: ignore[arg-type]
                client_host="testclient",
            )
            if decision is Decision.ALLOW:
                self.allowed.add((route.method, route.path))

    def send(  # type: ignore[no-untyped-def]
        self, method: str, url: str, *, body: bytes = b"", headers: dict | None = None, sent=""
    ):
        # TestClient.request, not the page-checking client's: this walk is about status codes,
        # and checking each of its thousands of pages would cost most of its minute.
        response = TestClient.request(
            self.client, method, url, content=body or None, headers=headers, follow_redirects=False
        )
        self.sent += 1
        if response.status_code >= 500:
            problem = f"answered {response.status_code}"
        elif TRACEBACK.search(response.text[:200_000]):
            problem = "shows a traceback"
        else:
            return response
        self.failures.append(f"{self.who}: {method} {shortened(url)} {sent} {problem}")
        return response

    def post(self, url: str, pairs: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
        sent = "with " + (", ".join(f"{n}={shortened(v)!r}" for n, v in pairs) or "no fields")
        pairs = [("csrf_token", self.token), *pairs]
        return self.send(
            "POST",
            url,
            body=urlencoded(pairs),
            headers={"content-type": "application/x-www-form-urlencoded"},
            sent=shortened(sent, 300),
        )

    def fields_for(self, route: Route, concrete: str) -> tuple[list[tuple[str, str]], bool]:
        """The fields a browser sends to this path, plus any declared with Form(): its own
        form's, else (and then not its own) the nearest page's, as an autosave posts part of
        its section's form."""
        action = max((a for a in self.forms if concrete.startswith(a)), key=len, default=None)
        fields = list(self.forms.get(action, [])) if action else []
        names = {name for name, _ in fields}
        fields += [(name, "") for name in route.form_params if name not in names]
        return fields, action == concrete or not names

    def walk(self, route: Route, samples: dict[str, str]) -> None:
        concrete = route.concrete(samples)
        if (route.method, route.path) not in self.allowed:
            self.at_the_gate(route, concrete)
        elif route.method == "GET":
            self.page(route, concrete)
        else:
            self.form(route, concrete)
        if route.permission in CHANGES_SIGN_IN and route.method != "GET":
            self.begin()

    def at_the_gate(self, route: Route, concrete: str) -> None:
        """Refused before anything is read: one of each kind of hostile value is enough."""
        if route.path_params:
            url = concrete
            for name in route.path_params:
                url = route.with_path_value(url, name, TOO_LARGE)
            self.send(route.method, url)
        if route.method == "GET":
            query = "&".join(f"{name}=%00" for name in route.query_params)
            self.send("GET", f"{concrete}?{query}" if query else concrete)
        else:
            self.send("POST", concrete)
            fields, _ = self.fields_for(route, concrete)
            self.post(concrete, [(name, TOO_LARGE) for name, _ in fields])

    def page(self, route: Route, concrete: str) -> None:
        response = self.send("GET", concrete)
        if response.status_code == 200 and "text/html" in response.headers.get("content-type", ""):
            self.forms.update(forms_on(response.text))
        self.paths(route, concrete)
        for name in route.query_params:
            for value in (*VALUES, ""):
                self.send("GET", f"{concrete}?{name}={encoded(value)}")
            self.send("GET", f"{concrete}?{name}=1&{name}={TOO_LARGE}")  # duplicated

    def paths(self, route: Route, concrete: str) -> None:
        # With the token, so that a POST gets past the CSRF check to the route itself.
        headers = {"x-csrf-token": self.token}
        for name in route.path_params:
            if name not in route.id_params:
                for value in PATH_VALUES:
                    url = route.with_path_value(concrete, name, value)
                    self.send(route.method, url, headers=headers)
        for value in ID_PATH_VALUES if route.id_params else ():
            url = concrete
            for name in route.id_params:
                url = route.with_path_value(url, name, value)
            self.send(route.method, url, headers=headers)

    def form(self, route: Route, concrete: str) -> None:
        self.paths(route, concrete)
        fields, own = self.fields_for(route, concrete)
        for value in VALUES:  # every field at once
            self.post(concrete, [(name, value) for name, _ in fields])
        for i, (name, _) in enumerate(fields if own else []):  # one at a time, the rest valid
            for value in ONE_FIELD_VALUES:
                self.post(concrete, fields[:i] + [(name, value)] + fields[i + 1 :])
        # Duplicated fields (the hostile copy last, as most parsers keep the last); missing
        # fields; no body, without and with the token; a cut-off upload.
        self.post(concrete, [(n, v) for n, v in fields] + [(n, TOO_LARGE) for n, _ in fields])
        self.post(concrete, [])
        self.send("POST", concrete)
        self.send("POST", concrete, headers={"x-csrf-token": self.token})
        self.multipart(concrete, fields)

    def multipart(self, concrete: str, fields: list[tuple[str, str]]) -> None:
        boundary = "s11-walk-boundary"
        parts = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + b"\xff\xfe"  # no UTF-8 text
            + b"\r\n"
            for name, _ in fields
        )
        upload = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"'
            "\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        ).encode()
        headers = {
            "content-type": f"multipart/form-data; boundary={boundary}",
            "x-csrf-token": self.token,
        }
        self.send("POST", concrete, body=parts + f"--{boundary}--\r\n".encode(), headers=headers)
        self.send("POST", concrete, body=parts + upload, headers=headers)  # cut off mid-file


VISITORS = [None, *Role, "site administrator"]


@pytest.mark.parametrize("role", VISITORS, ids=lambda role: role or "signed-out")
def test_no_hostile_value_on_any_route_gets_a_server_error(
    request, role, client, db, demo, settings, monkeypatch
):
    samples = request.getfixturevalue("sample_paths")  # the real objects test_access walks
    # No template changes during the walk: checking each file's age on every render (as in
    # development) cost a third of its time.
    monkeypatch.setattr(templates.env, "auto_reload", False)
    if role == "site administrator":
        db.expire(directory_service.make_admin(db, email="walker.admin@example.org"))
        person = person_by_email(db, "walker.admin@example.org")  # with its memberships
    else:
        person = person_with_role(db, role) if role else None
    walk = Walk(client, role or "signed out", person, settings)
    routes = walked_routes(client.app)
    walk.may_use(routes)
    walk.begin()
    started = time.monotonic()
    for route in routes:
        walk.walk(route, samples)
    seconds = time.monotonic() - started
    print(f"\n{walk.who}: {len(routes)} routes, {walk.sent} requests in {seconds:.1f} s")
    assert not walk.failures, "\n".join(walk.failures)


def test_every_number_a_route_takes_is_bounded_where_it_is_declared(settings, engine):
    app = create_app(settings, engine=engine)
    unbounded = []
    for route in api_routes(app.routes):
        for kind in ("path_params", "query_params", "body_params"):
            for param in params_of(route.dependant, kind):
                declared = repr(param.field_info.annotation) + repr(param.field_info.metadata)
                is_number = re.search(r"\bint\b", declared)
                bounded = "_within_ids" in declared or ("Ge(" in declared and "Le(" in declared)
                if is_number and not bounded:
                    unbounded.append(f"{route.path} {param.name}: use Id or Count (app.params)")
    assert not unbounded, "\n".join(unbounded)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("an agency lead", f"/returns/{TOO_LARGE}"),
        ("a coordinator", f"/panels/returns/{TOO_LARGE}"),
        ("a coordinator", f"/round/returns/{TOO_LARGE}/extend"),
        ("a coordinator", f"/action-plans/items/{TOO_LARGE}"),
    ],
)
def test_an_id_too_large_for_the_database_is_a_page_not_found(who, path, client, db, demo):
    if who == "an agency lead":
        sign_in(client, person_with_role(db, Role.AGENCY_LEAD))
    else:
        sign_in(client, person_by_email(db, "coordinator@nscp.example.org"))
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text
    # The largest id the databases hold, which nothing has: not found the ordinary way.
    assert client.get(path.replace(TOO_LARGE, str(MAX_ID))).status_code == 404
    assert client.get(path.replace(TOO_LARGE, str(MAX_ID + 1))).status_code == 404


def test_a_number_out_of_range_in_a_query_is_refused_as_not_understood(client, db, demo):
    lead = person_with_role(db, Role.AGENCY_LEAD)
    sign_in(client, lead)
    home = client.page("/returns")
    return_link = home.find("a", href=re.compile(r"^/returns/\d+$"))["href"]
    response = client.get(f"{return_link}?files=-1")
    assert response.status_code == 400
    assert "could not be understood" in response.text
    assert client.get(f"{return_link}?files=2").status_code == 200
