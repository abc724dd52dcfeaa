"""Fixtures of the change management tests; data from the factories."""

import datetime

import pytest
from django.utils import timezone

from regie.changes.factories import ChangeFactory, StandardChangeTemplateFactory
from regie.cmdb.factories import ConfigurationItemFactory, ItemTypeFactory


@pytest.fixture
def engineer(provider, make_user):
    """Provider change staff (keeps changes, not on the CAB)."""
    return make_user(provider, "engineer", username="chg.engineer")


@pytest.fixture
def lead(provider, make_user):
    """A CAB member (team lead)."""
    return make_user(provider, "team_lead", username="chg.lead", first_name="Bas", last_name="Coenen")


@pytest.fixture
def ict_manager(provider, make_user):
    """A CAB member (ICT manager)."""
    return make_user(provider, "ict_manager", username="chg.manager", first_name="Ingrid", last_name="Thijssen")


@pytest.fixture
def third_member(provider, make_user):
    return make_user(provider, "team_lead", username="chg.lead2")


@pytest.fixture
def venlo_reader(venlo, make_user):
    return make_user(venlo, "account_manager", username="chg.venlo.am")


@pytest.fixture
def roermond_reader(roermond, make_user):
    return make_user(roermond, "account_manager", username="chg.roermond.am")


@pytest.fixture
def storage(provider):
    return ConfigurationItemFactory(organisation=provider, ci_type=ItemTypeFactory(code="opslagsysteem"),
                                    name="SAN-VLO-01", asset_tag="NML-SAN-VLO-01")


@pytest.fixture
def venlo_server(venlo):
    return ConfigurationItemFactory(organisation=venlo, ci_type=ItemTypeFactory(code="virtuele-server"),
                                    name="VNL-APP-01", asset_tag="VNL-APP-01")


@pytest.fixture
def roermond_server(roermond):
    return ConfigurationItemFactory(organisation=roermond, ci_type=ItemTypeFactory(code="virtuele-server"),
                                    name="RMD-APP-01", asset_tag="RMD-APP-01")


@pytest.fixture
def window():
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=3)
    return start, start + datetime.timedelta(hours=3)


@pytest.fixture
def draft(provider, engineer, storage, window):
    """A draft normal change of the provider's storage, ready to submit."""
    return ChangeFactory(organisation=provider, requester=engineer, owner=engineer, items=[storage],
                         planned_start=window[0], planned_end=window[1], title="Firmware SAN")


@pytest.fixture
def template(db):
    return StandardChangeTemplateFactory(code="windows-patches")
