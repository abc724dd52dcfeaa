"""The demo hook: a few requests of Venlo's demo employee in various states; idempotent."""

import random

import pytest

from regie.fulfilment.demo import load_demo
from regie.fulfilment.models import ServiceRequest

pytestmark = pytest.mark.django_db


def test_demo_requests_in_various_states(venlo, provider, make_user):
    manager = make_user(venlo, "manager", username="venlo.leidinggevende")
    make_user(venlo, "employee", username="venlo.medewerker", manager=manager, email="sanne@venlo.example.nl")
    make_user(venlo, "account_manager", username="venlo.accountmanager")
    make_user(provider, "engineer", username="beheerder")
    load_demo(random.Random(2026))
    load_demo(random.Random(2026))
    statuses = sorted(ServiceRequest.objects.unrestricted().values_list("status", flat=True))
    assert statuses == ["approval", "cost_acceptance", "fulfilled", "fulfilment", "rejected"]
