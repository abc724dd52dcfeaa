"""Browser fixtures: Debian's Chromium through Playwright, against pytest-django's live server.

Never `playwright install`: the browser is the system's /usr/bin/chromium. Every page's
console errors, uncaught exceptions, CSP violations and failed requests are collected,
so a test can assert that a person saw a clean page.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("REGIE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Reported by the page itself, so the CSP's own violation events show up in the console.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`);
});
"""


@pytest.fixture(scope="session")
def chromium_path():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium); the browser tests need it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " and CI=true requires them.")
        pytest.skip(message + ".")
    return CHROMIUM


@pytest.fixture
def browser(chromium_path, monkeypatch):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # (setting up users, reading results) are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # A connection the test opened while Playwright ran otherwise stays open (seen on
        # PostgreSQL), and the test database cannot be dropped at the end of the session.
        connections.close_all()


@dataclass
class BrowserSession:
    """One person's browser window (its own cookies) and what went wrong in it."""

    page: object
    name: str
    problems: list = field(default_factory=list)
    expected_failures: list = field(default_factory=list)

    def expect_failure(self, url_pattern):
        """A response that is meant to fail (e.g. the 404 a test asks for) is not a problem."""
        self.expected_failures.append(re.compile(url_pattern))

    def _expected(self, text):
        return any(pattern.search(text) for pattern in self.expected_failures)

    def screenshot(self, step):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{step}.png"), full_page=True)

    def assert_clean(self):
        assert self.problems == [], "\n".join(self.problems)


@pytest.fixture
def open_session(browser, live_server, request):
    """`open_session(name)` gives a fresh browser context on the live server."""
    contexts = []

    def open_(name):
        context = browser.new_context(
            base_url=live_server.url, locale="nl-NL", viewport={"width": 1280, "height": 900}
        )
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        session = BrowserSession(page=page, name=f"{request.node.name}-{name}")

        def on_console(message):
            if message.type == "error":
                location = message.location.get("url", "") if message.location else ""
                if not (message.text.startswith("Failed to load resource") and session._expected(location)):
                    session.problems.append(f"console error on {page.url}: {message.text} ({location})")

        def on_response(response):
            if response.status >= 400 and not session._expected(response.url):
                session.problems.append(f"HTTP {response.status} for {response.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: session.problems.append(f"uncaught error on {page.url}: {error}"))
        def on_request_failed(req):
            # An htmx request still in flight when the test moves on to the next page is
            # cancelled by the browser (net::ERR_ABORTED): not a fault of the page.
            if req.failure == "net::ERR_ABORTED" and req.resource_type in ("xhr", "fetch"):
                return
            session.problems.append(f"request failed: {req.url} {req.failure}")

        page.on("requestfailed", on_request_failed)
        page.on("response", on_response)
        return session

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def signed_in(open_session):
    """`signed_in(name, user, path)`: a browser session signed in through the real pages
    (password, then a code from a freshly enrolled TOTP authenticator), left on `path`."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect
    from signin_helpers import PASSWORD, next_unused_code

    def sign_in(name, user, path="/calls/"):
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, name="Telefoon", defaults={"confirmed": True}
        )
        session = open_session(name)
        page = session.page
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/account/login/"))
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.press("#id_password", "Enter")
        expect(page).to_have_url(re.compile(r"/account/mfa/verify/"))
        page.fill("#id_code", next_unused_code(device))
        page.press("#id_code", "Enter")
        expect(page).to_have_url(re.compile(re.escape(path) + r"$"))
        return session

    return sign_in
