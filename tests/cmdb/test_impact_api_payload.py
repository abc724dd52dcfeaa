"""The impact API's lean path (impact.impact_payload) against the reference representation
(analyse().for_user().as_dict()), and the API's fixed statement count."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regie.api.models import ApiToken
from regie.cmdb import impact
from regie.cmdb.choices import CIStatus, RelationKind
from regie.cmdb.factories import ConfigurationItemFactory, ItemTypeFactory, RelationFactory
from regie.cmdb.models import ConfigurationItem

pytestmark = pytest.mark.django_db

K = RelationKind


def rel(source, kind, target):
    return RelationFactory(source=source, kind=kind, target=target)


@pytest.fixture
def estate(venlo, roermond, provider):
    """Two datacenters' storage with failover, shared servers, both municipalities'
    applications and business services, a cycle, a retired item, ties in names."""
    svc = ItemTypeFactory(code=impact.BUSINESS_SERVICE_TYPE)
    items = {}

    def item(key, organisation, name, **extra):
        items[key] = ConfigurationItemFactory(organisation=organisation, name=name, **extra)
        return items[key]

    san = item("san", provider, "SAN-A")
    san_b = item("san_b", provider, "SAN-B")
    host = item("host", provider, "host-1")
    host_b = item("host_b", provider, "host-2")
    vm1 = item("vm1", provider, "vm")
    vm2 = item("vm2", provider, "VM")  # same name, other case: order by id
    app_v = item("app_v", venlo, "Zaaksysteem")
    app_r = item("app_r", roermond, "Zaaksysteem")
    old = item("old", venlo, "Oud", status=CIStatus.RETIRED)
    svc_v = item("svc_v", venlo, "Burgerzaken", ci_type=svc)
    svc_r = item("svc_r", roermond, "Belastingen", ci_type=svc)
    rel(host, K.RUNS_ON, san)
    rel(host_b, K.RUNS_ON, san_b)
    rel(host, K.FAILS_OVER_TO, host_b)  # covered while host-2 is up and not hit
    rel(vm1, K.RUNS_ON, host)
    rel(vm2, K.RUNS_ON, san)
    rel(vm1, K.CONNECTED_TO, vm2)
    rel(vm2, K.CONNECTED_TO, vm1)  # a cycle
    rel(app_v, K.RUNS_ON, vm2)
    rel(app_r, K.RUNS_ON, vm2)
    rel(old, K.RUNS_ON, vm2)
    rel(svc_v, K.DEPENDS_ON, app_v)
    rel(svc_r, K.DEPENDS_ON, app_r)
    rel(app_v, K.BACKED_UP_BY, san)
    return items


def users(venlo, roermond, provider, make_user):
    return [make_user(provider, "engineer"), make_user(venlo, "account_manager"),
            make_user(roermond, "account_manager")]


def test_payload_equals_the_reference_for_every_user_and_start(estate, venlo, roermond, provider, make_user):
    for user in users(venlo, roermond, provider, make_user):
        for starts in ([estate["san"].pk], [estate["vm2"].pk], [estate["san"].pk, estate["san_b"].pk],
                       [estate["host"].pk], [estate["svc_v"].pk], []):
            expected = impact.analyse(starts).for_user(user).as_dict()
            got = impact.impact_payload(starts, user)
            # Same keys in the same order, same values: the same JSON.
            assert json.dumps(got) == json.dumps(expected), (user, starts)


def test_payload_names_a_failover_partner_only_to_who_may_see_it(estate, venlo, provider, make_user):
    # Venlo's app fails over to Venlo's own spare: named to Venlo; to provider staff too.
    spare = ConfigurationItemFactory(organisation=venlo, name="Reserve")
    rel(estate["app_v"], K.FAILS_OVER_TO, spare)
    staff = impact.impact_payload([estate["san"].pk], make_user(provider, "engineer"))
    assert {row["name"]: row["failedOverTo"] for row in staff["failedOver"]} == {
        "host-1": estate["host_b"].pk, "Zaaksysteem": spare.pk}
    assert staff["counts"]["failedOver"] == 2
    venlo_view = impact.impact_payload([estate["san"].pk], make_user(venlo, "account_manager"))
    assert [row["failedOverTo"] for row in venlo_view["failedOver"]] == [spare.pk]
    # Retired items are neither hit nor listed.
    assert estate["old"].pk not in {row["id"] for row in staff["items"]}
    # The failing SAN and the cycle: depths are shortest paths.
    depths = {row["id"]: row["depth"] for row in staff["items"]}
    assert depths[estate["san"].pk] == 0 and depths[estate["vm2"].pk] == 1 and depths[estate["vm1"].pk] == 2


def test_api_statements_are_fixed_whatever_the_impact_size(venlo, provider, make_user):
    """Token, roles, the item in the caller's scope, the walk: 4 statements for 3 or 300 items."""
    agent = make_user(provider, "first_line")
    _token, raw = ApiToken.issue(agent)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    root = ConfigurationItemFactory(organisation=provider)
    url = reverse("api:configuration-item-impact-detail", args=[root.pk])
    client.get(url)  # the token's last use is written once a minute at most

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), len(response.json()["items"])

    ConfigurationItem.all_objects.bulk_create(
        [ConfigurationItem(organisation=venlo, ci_type=root.ci_type, name=f"S{n}") for n in range(2)])
    small = list(ConfigurationItem.all_objects.filter(name__startswith="S"))
    for item in small:
        rel(item, K.RUNS_ON, root)
    few = count()
    layer = small
    for depth in range(3):
        made = ConfigurationItem.all_objects.bulk_create(
            [ConfigurationItem(organisation=venlo, ci_type=root.ci_type, name=f"L{depth}-{n}") for n in range(100)])
        for index, item in enumerate(made):
            rel(item, K.DEPENDS_ON, layer[index % len(layer)])
        layer = made
    many = count()
    assert few[1] == 3 and many[1] == 303
    assert few[0] == many[0] == 3  # token with user and roles, the item in scope, the walk
