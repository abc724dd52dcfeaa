"""Shared fixtures. Data comes from the factories in regie/*/factories.py."""

import pytest
from django.test import Client

from regie.core.factories import OrganisationFactory, ProviderFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Under xdist (--dist loadgroup), tests that start real processes (a Celery worker,
    Chromium and a live server) share one xdist worker and run one after another."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.xdist_group("real-processes"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request, tmp_path_factory):
    """A real Celery worker (tests/worker) is another process and cannot see an in-memory
    SQLite database: when worker tests are collected, the SQLite test database is a file."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    wants_worker = any(item.get_closest_marker("worker") for item in request.session.items)
    if wants_worker and database["ENGINE"].endswith("sqlite3") and not database.get("TEST", {}).get("NAME"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test_regie.sqlite3")


@pytest.fixture(autouse=True)
def english_by_default():
    """Tests are written in English: service code outside a request runs in English.
    (Requests get the language of the session, as in production; the UI default is nl.)"""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_catalogue_cache():
    """Each test's database differs: never reuse another test's cached SLA configuration."""
    from regie.catalogue.services import forget_config

    forget_config()
    yield
    forget_config()


@pytest.fixture
def provider(db):
    return ProviderFactory()


@pytest.fixture
def venlo(db):
    return OrganisationFactory(name="Gemeente Venlo", code="VNL")


@pytest.fixture
def roermond(db):
    return OrganisationFactory(name="Gemeente Roermond", code="RMD")


@pytest.fixture
def make_user(db):
    def make(organisation, *roles, **kwargs):
        return UserFactory(organisation=organisation, roles=list(roles), **kwargs)

    return make


def login(user):
    """A client signed in as `user` with the second factor done (django-otp)."""
    from django_otp.plugins.otp_static.models import StaticDevice

    client = Client()
    client.force_login(user)
    device, _created = StaticDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    session = client.session
    session["otp_device_id"] = device.persistent_id
    # As a real sign-in does: the person's own language for the whole session.
    session["regie_language"] = user.preferred_language
    session.save()
    return client


@pytest.fixture
def client_for():
    return login
