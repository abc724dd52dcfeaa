"""/api/v1/docs really works in a browser under our strict CSP: Swagger UI loads from our
own static files, renders the operations, and no CSP violation or script error occurs.
Uses Debian's Chromium (never `playwright install`)."""

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("REGIE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`);
});
"""


@pytest.fixture
def page(live_server, monkeypatch):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing and CI=true requires the browser tests")
        pytest.skip(f"{CHROMIUM} is missing")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda error: page.problems.append(f"uncaught: {error}"))
        page.on("requestfailed", lambda req: page.problems.append(f"failed: {req.url} {req.failure}"))
        page.on("response", lambda r: r.status >= 400 and page.problems.append(f"HTTP {r.status} {r.url}"))
        page.requested = []
        page.on("request", lambda req: page.requested.append(req.url))
        yield page
        context.close()
        browser.close()
        connections.close_all()


def test_swagger_ui_loads_under_the_csp_without_violations(page, live_server):
    page.goto("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert "Regie API" in page.inner_text(".swagger-ui")
    # The UI renders only the operations near the viewport: scroll down to the calls.
    tickets = page.locator('.swagger-ui .opblock-summary-path[data-path="/tickets/{reference}"]')
    for _ in range(40):
        if tickets.count():
            break
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(100)
    assert tickets.count() >= 1
    assert page.problems == [], "\n".join(page.problems)
    # Everything came from our own server: no CDN.
    foreign = [url for url in page.requested if not url.startswith(live_server.url) and not url.startswith("data:")]
    assert foreign == []
