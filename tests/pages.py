"""Checks every HTML page a test fetches: a title, one h1, unique ids, safe forms.

The test client runs these on each response, so a broken page fails whichever test saw it.
"""

from __future__ import annotations

from collections import Counter

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient


def check_page(html: str, url: str) -> BeautifulSoup:
    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else ""
    assert title, f"{url}: the page has no <title>"
    assert soup.html and soup.html.get("lang") == "en", f"{url}: <html> needs lang=en"
    headings = soup.find_all("h1")
    assert len(headings) == 1, f"{url}: expected one page heading, found {len(headings)}"
    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    duplicated = [value for value, count in ids.items() if count > 1]
    assert not duplicated, f"{url}: duplicate ids {duplicated}"
    for form in soup.find_all("form"):
        method = (form.get("method") or "get").lower()
        assert form.get("action"), f"{url}: a form has no action"
        if method == "post":
            token = form.find("input", attrs={"name": "csrf_token"})
            assert token and token.get("value"), f"{url}: a POST form has no CSRF token"
    assert "GDS Transport" not in html and "Crown copyright" not in html, f"{url}: GOV.UK branding"
    return soup


class CheckingClient(TestClient):
    """A TestClient that checks every HTML page it receives."""

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        response = super().request(method, url, *args, **kwargs)
        is_html = response.headers.get("content-type", "").startswith("text/html")
        # HTMX fragments are parts of a page, checked where the page is.
        if is_html and response.text.lstrip().lower().startswith("<!doctype html"):
            check_page(response.text, f"{method} {url}")
        return response

    def page(self, url: str) -> BeautifulSoup:
        response = self.get(url)
        assert response.status_code == 200, f"GET {url} answered {response.status_code}"
        return BeautifulSoup(response.text, "html.parser")

    def csrf_token(self, url: str = "/sign-in") -> str:
        """The session's CSRF token, read from a page the way a browser would see it."""
        soup = BeautifulSoup(self.get(url).text, "html.parser")
        field = soup.find("input", attrs={"name": "csrf_token"})
        if field is None:  # pages without forms still carry it for HTMX
            return soup.body["hx-headers"].split('"')[3]  # type: ignore[index,union-attr]
        return str(field["value"])
