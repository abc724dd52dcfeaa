"""WCAG 2.1 A and AA, checked by axe-core in Chromium on the pages people use, with the demo
data, in Dutch. axe-core is a devDependency from npm (package-lock.json): the test injects it
into the page, it is never served by Regie.

Which pages: every link in the navigation bar (menus included) of a provider agent, a team
lead and a municipal employee, and from each list page the first row's page (a call, an item,
a change, a request …). Each page must have no violation; the message names the rule, the
page and the first elements.
"""

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    where: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n")[1]),
  }));
}"""
# Pages that answer with a file or leave the site are not pages to check.
SKIP = ("/account/logout/", "export=", "/api/", "/static/", "/media/", "/download")


@pytest.fixture
def demo_world(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("accessibility is checked in the SQLite run")
    if not AXE.exists():
        pytest.skip("node_modules/axe-core is missing (make install runs npm ci)")
    from signin_helpers import PASSWORD

    from regie.core import demo

    demo.build_demo(PASSWORD, seed=11, calls=25, extra_employees=0)


def _violations(page):
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # through the DevTools protocol: not subject to the page's CSP
    return page.evaluate(RUN_AXE, TAGS)


def _links(page, selector):
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    paths = []
    for href in hrefs:
        if not href or href.startswith("#") or any(skip in href for skip in SKIP):
            continue
        parts = urlsplit(href)
        if parts.netloc and parts.netloc not in page.url:
            continue
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return list(dict.fromkeys(paths))


def _check(page, path, visited, found):
    visited.add(path)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    problems = _violations(page)
    if problems:
        found[path] = problems


def _check_pages(session, start):
    """The start page and every menu link; from each, the first row's page of its list."""
    page = session.page
    visited, found = set(), {}
    for path in [start, *_links(page, "nav.navbar a[href]")]:
        if path in visited:
            continue
        _check(page, path, visited, found)
        for detail in _links(page, "main table tbody tr:first-child a[href]")[:1]:
            if detail not in visited:
                _check(page, detail, visited, found)
    return visited, found


# One test for all three people: the demo is built once (a transactional test empties the
# database afterwards, seeded reference data included).
PEOPLE = [("helpdesk", "/calls/"), ("teamleider", "/changes/"), ("venlo.medewerker", "/requests/")]


def test_pages_have_no_wcag_violations(demo_world, signed_in):
    from django.db import connection

    from regie.core.models import User

    if connection.vendor != "sqlite":
        # The markup does not depend on the database; one run keeps CI within its time.
        pytest.skip("accessibility is checked in the SQLite run")

    found, visited = {}, set()
    for username, start in PEOPLE:
        user = User.objects.unrestricted().get(username=username)
        session = signed_in(username, user, start)
        seen, problems = _check_pages(session, start)
        assert len(seen) >= 6, (username, seen)
        visited |= {f"{username} {path}" for path in seen}
        found.update({f"{username} {path}": found_here for path, found_here in problems.items()})
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
