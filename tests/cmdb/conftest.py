"""Shared fixtures of the CMDB tests (item register). Data comes from the factories; the
seeded item types (migration cmdb 0002) are reused by code through ItemTypeFactory."""

import pytest

from regie.cmdb.factories import ConfigurationItemFactory, ItemModelFactory, ItemTypeFactory


@pytest.fixture
def item_keeper(provider, make_user):
    """Provider staff who keep the CMDB (CMDB_KEEP): register and change items, propose models."""
    return make_user(provider, "engineer", username="items.engineer")


@pytest.fixture
def item_manager(provider, make_user):
    """Provider staff who manage the CMDB (CMDB_MANAGE): also approve models and edit types."""
    return make_user(provider, "ict_manager", username="items.manager")


@pytest.fixture
def venlo_reader(venlo, make_user):
    """A participant's CMDB reader (read-only by default)."""
    return make_user(venlo, "account_manager", username="items.venlo.am")


@pytest.fixture
def roermond_reader(roermond, make_user):
    return make_user(roermond, "account_manager", username="items.roermond.am")


@pytest.fixture
def server_type(db):
    """The seeded "virtuele-server" type: os (choice, required), cores (integer 1–256, required), ram_gb."""
    return ItemTypeFactory(code="virtuele-server")


@pytest.fixture
def venlo_laptop(venlo):
    laptop = ItemTypeFactory(code="laptop")
    model = ItemModelFactory(ci_type=laptop, manufacturer="HP", name="EliteBook 840 G11")
    return ConfigurationItemFactory(organisation=venlo, ci_type=laptop, model=model, name="VNL-LT-0001",
                                    attributes={"os": "Windows 11", "encrypted": True})


@pytest.fixture
def participant_keeper(venlo, make_user, monkeypatch):
    """A participant's user whose role gives the CMDB's keep permissions (no default role does)."""
    from django.contrib.auth.models import Group

    from regie.core import roles

    monkeypatch.setitem(roles.ROLES, "cmdb_keeper_test", ("CMDB keeper", roles.PARTICIPANT, roles.CMDB_KEEP))
    Group.objects.get_or_create(name="cmdb_keeper_test")
    return make_user(venlo, "cmdb_keeper_test")
