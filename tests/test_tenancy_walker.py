"""Tenancy isolation: walk every URL pattern and API route as users of two municipalities.

Municipality A (Venlo) holds objects marked with a unique canary string; municipality B
(Roermond) must never see them: 404 on every A detail (HTML and API, history pages
included), none of A's rows in lists, search, API lists or exports. Anonymous visitors
are sent to the login page (HTML) or get 401 (API). The route registry is
tests/tenancy_routes.py; a route missing there fails `test_every_route_is_registered`.
"""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from tenancy_routes import DETAIL, INTERNAL, LIST, OWN, PUBLIC, ROUTES, build_world

# Outcomes that mean "you may not see this" for an authenticated user on a list-like page.
NOT_SHOWN = {200, 400, 403, 404, 405}


def walk_patterns(patterns=None, namespaces=(), prefix=""):
    """(registry key, route text, callback) for every pattern, however deeply included."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from walk_patterns(entry.url_patterns, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            key = ":".join((*namespaces, entry.name)) if entry.name else f"route:{route}"
            yield key, route, entry.callback


def _is_api(route_text):
    return route_text.startswith("api/")


def _callback_module(callback):
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return (view_class or callback).__module__


def unregistered_routes(patterns=None):
    found = {key: route for key, route, _callback in walk_patterns(patterns)}
    return sorted((key, route) for key, route in found.items() if key not in ROUTES)


def test_every_route_is_registered():
    """A new URL must be added to tests/tenancy_routes.py, or this test fails."""
    found = {}
    for key, route, callback in walk_patterns():
        found[key] = (route, callback)
    missing = [key for key, _route in unregistered_routes()]
    assert not missing, (
        "These URL patterns are not in the tenancy registry. Add each to ROUTES in "
        "tests/tenancy_routes.py with its kind (public/list/detail/own) and, for a detail "
        "route, a kwargs builder for an object of municipality A:\n"
        + "\n".join(f"  {key!r}: /{found[key][0]}" for key in missing)
    )
    stale = sorted(key for key in ROUTES if key not in found)
    assert not stale, f"Registry entries without a URL pattern (remove them): {stale}"
    internal_ours = [
        key for key, (_route, callback) in found.items()
        if ROUTES[key].kind == INTERNAL and _callback_module(callback).startswith("regie")
    ]
    assert not internal_ours, f"Only Django/third-party views may be INTERNAL: {internal_ours}"


def test_a_new_route_is_caught():
    """The registry check sees routes at any depth, named or not, in the API router too."""
    from django.urls import include, path
    from rest_framework.routers import SimpleRouter

    from regie.api.views import TicketViewSet

    router = SimpleRouter(trailing_slash=False)
    router.register("new-things", TicketViewSet, basename="new-thing")
    extra = [
        path("new/", include(([path("<int:pk>/", lambda request: None, name="thing")], "newapp"))),
        path("unnamed/", lambda request: None),
        path("api/v1/", include((router.urls, "api"))),
    ]
    keys = [key for key, _route in unregistered_routes([*get_resolver().url_patterns, *extra])]
    # Every route of the registered viewset (list, detail and its nested actions) is caught.
    router_keys = [f"api:{pattern.name}" for pattern in router.urls]
    assert "api:new-thing-detail" in router_keys and "api:new-thing-list" in router_keys
    assert keys == sorted([*router_keys, "newapp:thing", "route:unnamed/"])


def _body(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _request(client, method, url, query=None):
    if method == "GET":
        return client.get(url, query or {})
    if method == "POST":
        return client.post(url, {})
    return client.generic(method, url, "", content_type="application/json")


class Walk:
    """Collects every violation so one run reports them all."""

    def __init__(self, world):
        self.world = world
        self.failures = []
        self.requests = 0

    def call(self, client, method, url, query=None):
        self.requests += 1
        response = _request(client, method, url, query)
        return response, _body(response)

    def fail(self, who, method, url, problem):
        self.failures.append(f"{who:28} {method:6} {url}: {problem}")

    def check_no_canary(self, who, method, url, response, body):
        canary = self.world.canary
        if canary in body or canary in response.get("Location", ""):
            self.fail(who, method, url, f"response shows municipality A's canary ({response.status_code})")

    def check_anonymous(self, client, method, url, is_api):
        response, body = self.call(client, method, url)
        if is_api:
            if response.status_code != 401:
                self.fail("anonymous", method, url, f"expected 401, got {response.status_code}")
            elif not response["Content-Type"].startswith("application/problem+json"):
                self.fail("anonymous", method, url, "401 without problem+json")
        else:
            login_url = resolve_url(settings.LOGIN_URL)
            if response.status_code != 302 or not response["Location"].startswith(login_url):
                self.fail("anonymous", method, url, f"expected a redirect to {login_url}, got {response.status_code}")
        self.check_no_canary("anonymous", method, url, response, body)


def _urls_for(key, entry, world):
    built = entry.kwargs(world) if entry.kwargs else {}
    variants = built if isinstance(built, list) else [built]
    return [reverse(key.removeprefix("route:"), kwargs=kwargs or None) for kwargs in variants]


def _route_query(entry, world):
    return {k: v.format(probe=world.probe) for k, v in (entry.query or {}).items()}


def _queries(entry, world, is_api):
    """Every list is walked plain, searched for the canary, and (HTML) exported.

    Searches use `world.probe` (the canary cut short): it matches A's objects, while a page
    that only echoes the search box does not contain the whole canary."""
    queries = [{}]
    if entry.query:
        queries.append(_route_query(entry, world))
    queries.append({"q": world.probe})
    if not is_api:
        queries.append({"export": "csv"})
    return queries


@pytest.mark.django_db
def test_municipality_b_never_sees_municipality_a(client_for):
    world = build_world()
    clients = {
        "b_employee": client_for(world.b_employee),
        "b_account_manager": client_for(world.b_account_manager),
    }
    from django.test import Client

    anonymous = Client()
    staff = client_for(world.provider_staff)
    walk = Walk(world)
    patterns = {key: route for key, route, _callback in walk_patterns()}

    # Build every detail URL first: that plants all of A's objects before any list is walked.
    planned = []
    for key, entry in ROUTES.items():
        if key not in patterns or entry.kind == INTERNAL:
            continue
        planned.append((key, entry, _is_api(patterns[key]), _urls_for(key, entry, world)))

    for _key, entry, is_api, urls in planned:
        for url in urls:
            if entry.kind == PUBLIC:
                for who, client in [("anonymous", anonymous), *clients.items()]:
                    response, body = walk.call(client, entry.method, url)
                    # 503 is /health/ reporting a missing broker or worker, by design.
                    if response.status_code >= 500 and response.status_code != 503:
                        walk.fail(who, entry.method, url, f"server error {response.status_code}")
                    walk.check_no_canary(who, entry.method, url, response, body)
                continue

            walk.check_anonymous(anonymous, entry.method, url, is_api)

            if entry.kind == DETAIL:
                for who, client in clients.items():
                    response, body = walk.call(client, entry.method, url, _route_query(entry, world))
                    if response.status_code != 404:
                        walk.fail(who, entry.method, url, f"expected 404, got {response.status_code}")
                    elif is_api and not response["Content-Type"].startswith("application/problem+json"):
                        walk.fail(who, entry.method, url, "API 404 without problem+json")
                    walk.check_no_canary(who, entry.method, url, response, body)
                continue

            queries = _queries(entry, world, is_api) if entry.kind == LIST else [{}]
            for query in queries:
                shown = f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url
                for who, client in clients.items():
                    response, body = walk.call(client, entry.method, url, query)
                    allowed = NOT_SHOWN | {302} if entry.kind == OWN else NOT_SHOWN
                    if response.status_code not in allowed:
                        walk.fail(who, entry.method, shown, f"unexpected status {response.status_code}")
                    walk.check_no_canary(who, entry.method, shown, response, body)
                if entry.kind == OWN:
                    continue
                response, body = walk.call(staff, entry.method, url, query)
                if response.status_code != 200:
                    walk.fail("provider_staff", entry.method, shown, f"expected 200, got {response.status_code}")

    # The other side of each check: those who may see A's objects do (the walk is not vacuous).
    seers = {}
    for _key, entry, route_is_api, urls in planned:
        for name in entry.seen_by:
            if name not in seers:
                seers[name] = client_for(getattr(world, name))
            client = seers[name]
            for url in urls:
                if entry.kind == DETAIL:
                    response, _body_text = walk.call(client, entry.method, url, _route_query(entry, world))
                    if response.status_code in (404, 401) or response.status_code >= 500:
                        walk.fail(name, entry.method, url,
                                  f"A's object should be reachable here, got {response.status_code}; "
                                  "is the kwargs builder in tenancy_routes.py right?")
                elif entry.kind == LIST and entry.provider_sees_canary:
                    queries = _queries(entry, world, route_is_api)
                    if not any(world.canary in walk.call(client, "GET", url, query)[1] for query in queries):
                        walk.fail(name, "GET", url, "should see A's canary here")

    assert not walk.failures, f"{len(walk.failures)} tenancy violations:\n" + "\n".join(walk.failures)
    assert walk.requests > 200


@pytest.mark.django_db
def test_canary_never_reaches_b_through_search_and_filters(client_for):
    """Search and filter inputs with the canary itself (and its pieces) find nothing of A."""
    world = build_world()
    ticket_url = reverse("servicedesk:ticket-detail", args=[world.ticket.reference])
    for user in (world.b_employee, world.b_account_manager):
        client = client_for(user)
        probes = [
            ("/search/", {"q": world.probe}),
            ("/search/", {"q": world.ticket.reference}),
            (reverse("servicedesk:ticket-list"), {"q": world.probe}),
            (reverse("servicedesk:ticket-list"), {"q": world.probe, "export": "csv"}),
            (reverse("core:person-list"), {"q": world.probe}),
            (reverse("api:ticket-list"), {"q": world.probe}),
            (reverse("api:ticket-list"), {"organisation": world.venlo.pk}),
            (reverse("api:person-list"), {"q": world.probe}),
            (reverse("api:organisation-list"), {}),
        ]
        for url, query in probes:
            response = client.get(url, query)
            body = _body(response)
            assert response.status_code < 500, (url, query, response.status_code)
            assert world.canary not in body, f"{user.username} sees A's canary at {url}?{query}"
            # The reference itself may be echoed in the search box; a link to the call may not.
            assert ticket_url not in body, f"{user.username} sees a link to A's call at {url}?{query}"
        # A's organisation id in a filter does not widen the scope.
        api = client.get(reverse("api:ticket-list"), {"organisation": world.venlo.pk}, HTTP_ACCEPT="application/json")
        assert api.status_code in (200, 400)
        if api.status_code == 200:
            assert api.json()["results"] == []
    # A's own account manager does find the canary: the probes above are not vacuous.
    own = client_for(world.a_account_manager).get("/search/", {"q": world.probe})
    assert world.canary in _body(own)
    assert ticket_url in _body(own)
