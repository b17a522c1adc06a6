"""A real s11 server on a fresh SQLite file with demo data, and Debian's headless Chromium.

Chromium is never downloaded by Playwright. Without it these tests skip, unless
S11_TEST_REQUIRE_BROWSER=1 (CI), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright

from tests.conftest import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REQUIRE_BROWSER = os.environ.get("S11_TEST_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("S11_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def _server_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("S11_")}
    env.update({"S11_ENV": "development", "S11_VAR_DIR": str(var_dir)})
    return env


def server_env(var_dir: Path, smtp_port: int, oidc_issuer: str) -> tuple[dict[str, str], str]:
    """The environment of an s11 server in var_dir, on a free port, and its address."""
    env = _server_env(var_dir)
    port = free_port()
    # One host name throughout (localhost), or the browser loses the session cookie between
    # s11 and the identity provider.
    url = f"http://localhost:{port}"
    env.update(
        {
            "S11_BASE_URL": url,
            "S11_SMTP_HOST": "127.0.0.1",
            "S11_SMTP_PORT": str(smtp_port),
            "S11_OIDC_ISSUER": oidc_issuer,
            "S11_OIDC_CLIENT_ID": "s11-browser",
            "S11_OIDC_CLIENT_SECRET": "s11-browser-secret",
        }
    )
    return env, url


def run_cli(env: dict[str, str], *command: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", *command],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def serve(var_dir: Path, env: dict[str, str], url: str) -> Iterator[str]:
    """Run s11 on the database already in var_dir until the generator is closed."""
    port = url.rsplit(":", 1)[1]
    log = (var_dir / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            port,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"s11 did not start: {(var_dir / 'server.log').read_text()}")
            time.sleep(0.2)
    # Its mail worker, as `make run` starts one: requests only queue their emails.
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--name", "browser"],
        cwd=PROJECT_ROOT,
        env={**env, "S11_MAIL_POLL_SECONDS": "0.2"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield url
    worker.terminate()
    server.terminate()
    worker.wait(timeout=30)
    server.wait(timeout=10)
    log.close()


def load_demo(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """The demo, migrated and loaded once, for tests that each serve a copy of it."""
    var_dir = tmp_path_factory.mktemp(f"{name}-demo")
    env, _url = server_env(var_dir, 25, "http://localhost")
    run_cli(env, "migrate")
    run_cli(env, "demo")
    return var_dir


def serve_a_copy(
    tmp_path_factory: pytest.TempPathFactory,
    demo_var: Path,
    smtp_server: tuple[object, int],
    oidc_provider: str,
    name: str,
) -> Iterator[str]:
    """s11 on a fresh copy of the demo, for a test that moves returns on for good (feedback
    issued, a plan agreed) and must leave the shared server's demo as it was."""
    var_dir = tmp_path_factory.mktemp(f"{name}-var")
    shutil.copytree(demo_var, var_dir, dirs_exist_ok=True)
    env, url = server_env(var_dir, smtp_server[1], oidc_provider)
    yield from serve(var_dir, env, url)


@pytest.fixture(scope="session")
def base_url(
    tmp_path_factory: pytest.TempPathFactory, smtp_server, oidc_provider: str
) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("browser-var")
    env, url = server_env(var_dir, smtp_server[1], oidc_provider)
    every_type = str(PROJECT_ROOT / "tests" / "fixtures" / "every-type.yaml")
    for command in (["migrate"], ["demo"], ["questionnaire", "publish", every_type]):
        run_cli(env, *command)
    yield from serve(var_dir, env, url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"S11_TEST_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM}")
        pytest.skip("browser tests need Debian's chromium (apt-get install chromium); CI has it")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class ConsoleErrors(list[str]):
    """Script errors, CSP refusals and missing assets; a page itself may answer 4xx."""

    def watch(self, page: Page) -> None:
        def keep(message: ConsoleMessage) -> None:
            # Chromium logs every 4xx, the page's own too; assets are checked below.
            if message.type == "error" and not message.text.startswith("Failed to load"):
                self.append(message.text)

        def check_asset(response: Response) -> None:
            if response.request.resource_type != "document" and response.status >= 400:
                self.append(f"{response.status} {response.url}")

        page.on("console", keep)
        page.on("response", check_asset)
        page.on("pageerror", lambda error: self.append(str(error)))


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


def _page(browser: Browser, base_url: str, errors: ConsoleErrors, **options) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, **options)
    page = context.new_page()
    errors.watch(page)
    yield page
    context.close()
    # A Content-Security-Policy refusal or a script error shows up here.
    assert list(errors) == [], errors


@pytest.fixture
def page(browser: Browser, base_url: str, console_errors: ConsoleErrors) -> Iterator[Page]:
    yield from _page(browser, base_url, console_errors)


@pytest.fixture
def page_without_javascript(
    browser: Browser, base_url: str, console_errors: ConsoleErrors
) -> Iterator[Page]:
    yield from _page(browser, base_url, console_errors, java_script_enabled=False)


_axe = Axe()


def assert_accessible(page: Page) -> None:
    """Zero axe-core violations on the page as it stands, once it has loaded."""
    page.wait_for_load_state()
    results = _axe.run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def sign_in_as(page: Page, name: str) -> None:
    """Sign in through the development sign-in page, with the mouse, as a tester would."""
    page.goto("/dev/sign-in")
    page.get_by_label(name, exact=True).check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
