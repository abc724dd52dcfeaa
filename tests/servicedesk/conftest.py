"""Fixtures shared by the service-desk tests: a provider agent, a Venlo caller, a call,
and attachments stored in a throw-away media folder."""

import pytest

from regie.servicedesk.factories import TicketFactory


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REGIE_ATTACHMENT_SCANNER = ""
    return settings.MEDIA_ROOT


@pytest.fixture
def agent(provider, make_user):
    return make_user(provider, "first_line")


@pytest.fixture
def caller(venlo, make_user):
    return make_user(venlo, "employee")


@pytest.fixture
def ticket(caller):
    return TicketFactory(requester=caller)
