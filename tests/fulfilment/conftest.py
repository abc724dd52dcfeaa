"""Fixtures of the request-fulfilment tests: a Venlo employee with a manager, the
provider's team lead (the provider's approver) and an agent; the seeded request types."""

import pytest

from regie.fulfilment.factories import seeded_type


@pytest.fixture
def manager(venlo, make_user):
    return make_user(venlo, "manager", username="venlo.manager", first_name="Marieke", last_name="Hendriks")


@pytest.fixture
def employee(venlo, make_user, manager):
    return make_user(venlo, "employee", username="venlo.femke", first_name="Femke", last_name="Janssen",
                     manager=manager, email="femke.janssen@venlo.example.nl")


@pytest.fixture
def outsider(roermond, make_user):
    return make_user(roermond, "employee", username="roermond.ruud")


@pytest.fixture
def team_lead(provider, make_user):
    return make_user(provider, "team_lead", username="nml.teamlead")


@pytest.fixture
def agent(provider, make_user):
    return make_user(provider, "engineer", username="nml.engineer")


@pytest.fixture
def rtype(db):
    return seeded_type
