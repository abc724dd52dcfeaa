"""Shared fixtures. Data comes from the factories in regie/*/factories.py."""

import pytest
from django.test import Client

from regie.core.factories import OrganisationFactory, ProviderFactory, UserFactory


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
    session.save()
    return client


@pytest.fixture
def client_for():
    return login
