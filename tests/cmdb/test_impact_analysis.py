"""Impact analysis (regie/cmdb/impact.py): the recursive walk against a plain Python oracle,
the failover rule, cycles, tenancy of what is shown, the pages and the API."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regie.cmdb import impact
from regie.cmdb.choices import CIStatus, RelationKind
from regie.cmdb.factories import ConfigurationItemFactory, ItemTypeFactory, RelationFactory
from regie.cmdb.models import ConfigurationItem, Relation

pytestmark = pytest.mark.django_db

K = RelationKind


def service_type():
    return ItemTypeFactory(code=impact.BUSINESS_SERVICE_TYPE)


def rel(source, kind, target):
    return RelationFactory(source=source, kind=kind, target=target)


# --- the oracle: the rules of impact.py, computed naively over every relation -------------


def oracle(start, relations, statuses):
    """Bellman-Ford style relaxation (no queue, no CTE) of the documented rules."""
    start = set(start)
    active = {pk for pk, status in statuses.items() if status not in (CIStatus.RETIRED, CIStatus.DISPOSED)}
    carrying = [(s, t) for s, k, t in relations if k not in impact.NON_PROPAGATING and s in active]
    plain = set(start)
    changed = True
    while changed:
        changed = False
        for source, target in carrying:
            if target in plain and source not in plain:
                plain.add(source)
                changed = True
    covered = {
        s for s, k, t in relations
        if k == K.FAILS_OVER_TO and s in plain and t not in plain and statuses[t] == CIStatus.IN_USE
    }
    distance = dict.fromkeys(start, 0)
    changed = True
    while changed:
        changed = False
        for source, target in carrying:
            if target in distance and target not in covered:
                candidate = distance[target] + 1
                if candidate < distance.get(source, 10**9):
                    distance[source] = candidate
                    changed = True
    down = {pk: d for pk, d in distance.items() if pk in start or pk not in covered}
    failed_over = {pk for pk in distance if pk in covered}
    return down, failed_over


def test_chain_depths_and_business_services(venlo, roermond, provider):
    svc = service_type()
    storage = ConfigurationItemFactory(organisation=provider, name="SAN-01")
    host = ConfigurationItemFactory(organisation=provider, name="ESX-01")
    vm = ConfigurationItemFactory(organisation=provider, name="VM-BRP")
    brp_venlo = ConfigurationItemFactory(organisation=venlo, ci_type=svc, name="BRP Venlo")
    brp_roermond = ConfigurationItemFactory(organisation=roermond, ci_type=svc, name="BRP Roermond")
    unrelated = ConfigurationItemFactory(organisation=venlo, name="Printer")
    rel(host, K.RUNS_ON, storage)
    rel(vm, K.RUNS_ON, host)
    rel(brp_venlo, K.DEPENDS_ON, vm)
    rel(brp_roermond, K.DEPENDS_ON, vm)
    rel(unrelated, K.CONNECTED_TO, brp_venlo)
    result = impact.analyse([storage.pk])
    depths = {item.name: item.depth for item in result.items}
    assert depths == {"SAN-01": 0, "ESX-01": 1, "VM-BRP": 2, "BRP Venlo": 3, "BRP Roermond": 3, "Printer": 4}
    assert {s.name for s in result.business_services} == {"BRP Venlo", "BRP Roermond"}
    assert {name for _pk, name, _n in result.participants()} == {"Gemeente Venlo", "Gemeente Roermond"}
    assert result.max_depth == 4


def test_cycles_end_and_keep_the_shortest_depth(venlo):
    a, b, c = (ConfigurationItemFactory(organisation=venlo, name=n) for n in "ABC")
    rel(a, K.DEPENDS_ON, b)
    rel(b, K.DEPENDS_ON, c)
    rel(c, K.DEPENDS_ON, a)
    rel(c, K.CONNECTED_TO, b)  # a second, shorter cycle
    result = impact.analyse([a.pk])
    assert {item.name: item.depth for item in result.items} == {"A": 0, "C": 1, "B": 2}


def test_backup_and_failover_relations_carry_no_failure(venlo):
    server, backup, partner = (ConfigurationItemFactory(organisation=venlo, name=n) for n in ("S", "Backup", "P"))
    rel(server, K.BACKED_UP_BY, backup)
    rel(server, K.FAILS_OVER_TO, partner)
    assert [item.name for item in impact.analyse([backup.pk]).items] == ["Backup"]
    assert [item.name for item in impact.analyse([partner.pk]).items] == ["P"]


def test_failover_to_a_partner_that_is_up_covers_the_dependants(venlo, provider):
    storage_a = ConfigurationItemFactory(organisation=provider, name="SAN-A")
    storage_b = ConfigurationItemFactory(organisation=provider, name="SAN-B")
    vm_a = ConfigurationItemFactory(organisation=provider, name="VM-A")
    vm_b = ConfigurationItemFactory(organisation=provider, name="VM-B")
    app = ConfigurationItemFactory(organisation=venlo, name="Zaaksysteem")
    rel(vm_a, K.RUNS_ON, storage_a)
    rel(vm_b, K.RUNS_ON, storage_b)
    rel(vm_a, K.FAILS_OVER_TO, vm_b)
    rel(app, K.RUNS_ON, vm_a)
    result = impact.analyse([storage_a.pk])
    assert [item.name for item in result.items] == ["SAN-A"]
    assert [(item.name, item.failed_over_to) for item in result.failed_over] == [("VM-A", vm_b.pk)]
    # The partner hit by the same failure (both on SAN-A) is no cover.
    Relation.all_objects.filter(source=vm_b).exclude(kind=K.FAILS_OVER_TO).update(target=storage_a)
    result = impact.analyse([storage_a.pk])
    assert {item.name for item in result.items} == {"SAN-A", "VM-A", "VM-B", "Zaaksysteem"}
    assert result.failed_over == []
    # A partner in repair is no cover either.
    Relation.all_objects.filter(source=vm_b).exclude(kind=K.FAILS_OVER_TO).update(target=storage_b)
    ConfigurationItem.all_objects.filter(pk=vm_b.pk).update(status=CIStatus.IN_REPAIR)
    assert "Zaaksysteem" in {item.name for item in impact.analyse([storage_a.pk]).items}


def test_without_failover_the_covered_dependants_are_named_as_the_risk(venlo, provider, make_user, client_for):
    san_a = ConfigurationItemFactory(organisation=provider, name="SAN-A")
    san_b = ConfigurationItemFactory(organisation=provider, name="SAN-B")
    zaak = ConfigurationItemFactory(organisation=venlo, name="Zaaksysteem Venlo")
    service = ConfigurationItemFactory(organisation=venlo, name="Vergunningen Venlo", ci_type=service_type())
    rel(san_a, K.FAILS_OVER_TO, san_b)
    rel(zaak, K.RUNS_ON, san_a)
    rel(service, K.DEPENDS_ON, zaak)
    engineer = make_user(provider, "engineer")
    scoped = impact.scoped_impact(engineer, [san_a.pk])
    assert [item.name for item in scoped.items] == ["SAN-A"]
    risk = scoped.if_failover_fails
    assert [item.name for item in risk.business_services] == ["Vergunningen Venlo"]
    assert [name for _pk, name, _count in risk.participants] == [venlo.name]
    # Nothing failed over: no second analysis.
    assert impact.scoped_impact(engineer, [zaak.pk]).if_failover_fails is None
    page = client_for(engineer).get(reverse("cmdb:item-impact", args=[san_a.pk])).content.decode()
    assert 'data-testid="if-failover-fails"' in page and "Vergunningen Venlo" in page


def test_failing_item_with_a_partner_is_down_but_covers_its_dependants(venlo):
    primary, secondary, app = (ConfigurationItemFactory(organisation=venlo, name=n) for n in ("DC1", "DC2", "App"))
    rel(primary, K.FAILS_OVER_TO, secondary)
    rel(app, K.DEPENDS_ON, primary)
    result = impact.analyse([primary.pk])
    assert [item.name for item in result.items] == ["DC1"]
    assert [(item.name, item.failed_over_to) for item in result.failed_over] == [("DC1", secondary.pk)]


def test_retired_items_are_not_hit(venlo):
    server = ConfigurationItemFactory(organisation=venlo, name="Server")
    old = ConfigurationItemFactory(organisation=venlo, name="Old", status=CIStatus.RETIRED)
    beyond = ConfigurationItemFactory(organisation=venlo, name="Beyond")
    rel(old, K.RUNS_ON, server)
    rel(beyond, K.RUNS_ON, old)
    assert [item.name for item in impact.analyse([server.pk]).items] == ["Server"]


RELATION_KINDS = st.sampled_from([K.RUNS_ON, K.DEPENDS_ON, K.CONNECTED_TO, K.BACKED_UP_BY, K.FAILS_OVER_TO])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(
    size=st.integers(min_value=2, max_value=14),
    edges=st.lists(st.tuples(st.integers(0, 13), RELATION_KINDS, st.integers(0, 13)), max_size=40),
    statuses=st.lists(st.sampled_from([CIStatus.IN_USE, CIStatus.IN_USE, CIStatus.IN_USE, CIStatus.IN_REPAIR,
                                       CIStatus.RETIRED]), min_size=14, max_size=14),
    starts=st.lists(st.integers(0, 13), min_size=1, max_size=3),
)
def test_walk_matches_the_oracle_on_random_graphs(venlo, size, edges, statuses, starts):
    """Random graphs with cycles, self-loops refused, failover and backup edges."""
    with transaction.atomic():  # each example in its own savepoint: one failure stays one failure
        _compare_with_oracle(venlo, size, edges, statuses, starts)
        transaction.set_rollback(True)


def _compare_with_oracle(venlo, size, edges, statuses, starts):
    Relation.all_objects.all().delete()
    ConfigurationItem.all_objects.filter(organisation=venlo).delete()
    items = ConfigurationItem.all_objects.bulk_create(
        [ConfigurationItem(organisation=venlo, ci_type=ItemTypeFactory(code="hypothesis"), name=f"N{n}",
                           status=statuses[n]) for n in range(size)]
    )
    pks = [item.pk for item in items]
    triples = {(pks[s], k, pks[t]) for s, k, t in edges if s < size and t < size and s != t}
    Relation.all_objects.bulk_create([Relation(source_id=s, kind=k, target_id=t) for s, k, t in triples])
    start = {pks[n] for n in starts if n < size} or {pks[0]}
    down, failed_over = impact.walk(start)
    expected_down, expected_over = oracle(start, triples, {pk: statuses[i] for i, pk in enumerate(pks)})
    assert down == expected_down
    assert set(failed_over) == expected_over


def test_statements_do_not_grow_with_the_impact(venlo, provider):
    def build(width):
        root = ConfigurationItemFactory(organisation=provider)
        layer = [root]
        for _depth in range(3):
            nxt = ConfigurationItemFactory.create_batch(width, organisation=venlo)
            for index, item in enumerate(nxt):
                rel(item, K.RUNS_ON, layer[index % len(layer)])
            layer = nxt
        return root

    small, large = build(2), build(12)
    # A failover partner anywhere in the reach costs the second statement, whatever the size.
    for root in (small, large):
        partner = ConfigurationItemFactory(organisation=provider)
        rel(root, K.FAILS_OVER_TO, partner)
        Relation.all_objects.filter(source=root, kind=K.FAILS_OVER_TO).update(target=partner)
        ConfigurationItem.all_objects.filter(pk=partner.pk).update(status=CIStatus.IN_REPAIR)
    counts = []
    for root in (small, large):
        with CaptureQueriesContext(connection) as queries:
            result = impact.analyse([root.pk])
        counts.append(len(queries))
        assert len(result.items) > 1
    assert counts[0] == counts[1] == 2


# --- what a user is shown -----------------------------------------------------------------


@pytest.fixture
def estate(venlo, roermond, provider):
    svc = service_type()
    storage = ConfigurationItemFactory(organisation=provider, name="SAN-DC-VENLO")
    vm = ConfigurationItemFactory(organisation=provider, name="VM-SHARED")
    venlo_app = ConfigurationItemFactory(organisation=venlo, name="Zaaksysteem Venlo")
    venlo_service = ConfigurationItemFactory(organisation=venlo, ci_type=svc, name="Burgerzaken Venlo")
    roermond_service = ConfigurationItemFactory(organisation=roermond, ci_type=svc, name="GeheimeDienstRoermond")
    rel(vm, K.RUNS_ON, storage)
    rel(venlo_app, K.RUNS_ON, vm)
    rel(venlo_service, K.DEPENDS_ON, venlo_app)
    rel(roermond_service, K.DEPENDS_ON, vm)
    return {"storage": storage, "vm": vm, "venlo_app": venlo_app, "venlo_service": venlo_service,
            "roermond_service": roermond_service}


def test_participant_sees_own_items_named_and_others_counted(estate, venlo, make_user):
    user = make_user(venlo, "account_manager")
    scoped = impact.analyse([estate["storage"].pk]).for_user(user)
    assert {item.name for item in scoped.items} == {"Zaaksysteem Venlo", "Burgerzaken Venlo"}
    assert scoped.hidden_count == 3  # storage, VM, Roermond's service
    assert [s.name for s in scoped.business_services] == ["Burgerzaken Venlo"]
    assert scoped.hidden_business_service_count == 1
    assert [name for _pk, name, _n in scoped.participants] == ["Gemeente Venlo"]
    assert scoped.hidden_participant_count == 1
    assert "GeheimeDienstRoermond" not in str(scoped.as_dict())


def test_impact_page_for_a_participant_does_not_name_other_municipalities_items(estate, venlo, make_user,
                                                                               client_for):
    client = client_for(make_user(venlo, "account_manager"))
    response = client.get(reverse("cmdb:item-impact", args=[estate["venlo_app"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Burgerzaken Venlo" in body
    assert "GeheimeDienstRoermond" not in body and "VM-SHARED" not in body
    # Another municipality's item, and the provider's, are not found at all.
    assert client.get(reverse("cmdb:item-impact", args=[estate["roermond_service"].pk])).status_code == 404
    assert client.get(reverse("cmdb:item-impact", args=[estate["storage"].pk])).status_code == 404


def test_impact_page_for_staff_draws_an_accessible_graph(estate, provider, make_user, client_for):
    client = client_for(make_user(provider, "engineer"))
    response = client.get(reverse("cmdb:item-impact", args=[estate["vm"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="group"' in body and '" tabindex="-1"><g>' not in body and "<title id=" in body and "<desc id=" in body
    assert "GeheimeDienstRoermond" in body and "SAN-DC-VENLO" in body
    assert "runs on" in body
    assert "<script" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert " style=" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_impact_page_statements_do_not_grow(venlo, provider, make_user, client_for):
    client = client_for(make_user(provider, "engineer"))
    centre = ConfigurationItemFactory(organisation=provider)
    client.get(reverse("cmdb:item-impact", args=[centre.pk]))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cmdb:item-impact", args=[centre.pk])).status_code == 200
        return len(queries)

    def grow(n):
        dependant = ConfigurationItemFactory(organisation=venlo)
        rel(dependant, K.RUNS_ON, centre)
        rel(ConfigurationItemFactory(organisation=venlo, name=f"Up{n}"), K.DEPENDS_ON, dependant)
        rel(centre, K.DEPENDS_ON, ConfigurationItemFactory(organisation=provider))

    grow(0)
    first = count()
    for n in range(1, 9):
        grow(n)
    assert count() == first


def test_impact_api(estate, venlo, roermond, provider, make_user, client_for):
    url = reverse("api:configuration-item-impact-detail", args=[estate["storage"].pk])
    staff = client_for(make_user(provider, "engineer"))
    data = staff.get(url).json()
    assert data["item"] == {"id": estate["storage"].pk, "name": "SAN-DC-VENLO"}
    assert {s["name"] for s in data["businessServices"]} == {"Burgerzaken Venlo", "GeheimeDienstRoermond"}
    assert {p["name"] for p in data["participants"]} == {"Gemeente Venlo", "Gemeente Roermond"}
    assert {i["name"]: i["depth"] for i in data["items"]}["Burgerzaken Venlo"] == 3
    assert data["maxDepth"] == 3
    # A participant: the provider's storage is not theirs to see.
    venlo_user = client_for(make_user(venlo, "account_manager"))
    response = venlo_user.get(url)
    assert response.status_code == 404 and response["Content-Type"].startswith("application/problem+json")
    data = venlo_user.get(reverse("api:configuration-item-impact-detail", args=[estate["venlo_app"].pk])).json()
    assert [s["name"] for s in data["businessServices"]] == ["Burgerzaken Venlo"]
    assert client_for(make_user(roermond, "account_manager")).get(
        reverse("api:configuration-item-impact-detail", args=[estate["venlo_app"].pk])).status_code == 404


# --- calls and calamities -------------------------------------------------------------------


def test_call_page_links_items_and_shows_their_impact(estate, venlo, roermond, provider, make_user, client_for):
    from regie.cmdb.models import AffectedItem
    from regie.core.models import AuditRecord
    from regie.servicedesk.factories import TicketFactory

    requester = make_user(venlo, "employee")
    ticket = TicketFactory(requester=requester, title="Zaaksysteem traag")
    agent = client_for(make_user(provider, "first_line"))
    url = reverse("cmdb:ticket-affected", args=[ticket.reference])
    response = agent.post(reverse("cmdb:ticket-affected-add", args=[ticket.reference]),
                          {"item": estate["storage"].asset_tag})
    assert response.status_code == 302
    assert AffectedItem.all_objects.filter(ticket=ticket, item=estate["storage"]).exists()
    assert AuditRecord.objects.unrestricted().filter(object_repr__contains="SAN-DC-VENLO",
                                                     action="create").exists()
    # Twice is refused with a field message; another municipality's item too.
    again = agent.post(reverse("cmdb:ticket-affected-add", args=[ticket.reference]),
                       {"item": estate["storage"].asset_tag})
    assert again.status_code == 400 and "already linked" in again.content.decode()
    other = agent.post(reverse("cmdb:ticket-affected-add", args=[ticket.reference]),
                       {"item": estate["roermond_service"].asset_tag})
    assert other.status_code == 400 and "another organisation" in other.content.decode()
    body = agent.get(url).content.decode()
    assert "Burgerzaken Venlo" in body and "GeheimeDienstRoermond" in body
    panel = agent.get(reverse("cmdb:ticket-affected-panel", args=[ticket.reference])).content.decode()
    assert "SAN-DC-VENLO" in panel and "<html" not in panel
    # The call page includes the panel (loaded with htmx).
    page = agent.get(reverse("servicedesk:ticket-detail", args=[ticket.reference])).content.decode()
    assert reverse("cmdb:ticket-affected-panel", args=[ticket.reference]) in page
    # Venlo's account manager sees the call's impact in Venlo's terms only.
    manager = client_for(make_user(venlo, "account_manager"))
    body = manager.get(url).content.decode()
    assert "Burgerzaken Venlo" in body and "GeheimeDienstRoermond" not in body and "SAN-DC-VENLO" not in body
    assert client_for(make_user(roermond, "account_manager")).get(url).status_code == 404
    # Unlinking.
    link = AffectedItem.all_objects.get(ticket=ticket, item=estate["storage"])
    assert agent.post(reverse("cmdb:affected-item-delete", args=[link.pk])).status_code == 302
    assert not AffectedItem.all_objects.filter(pk=link.pk).exists()


def test_calamity_page_shows_impact_of_its_calls_items(estate, venlo, provider, make_user, client_for):
    from regie.cmdb.models import AffectedItem
    from regie.servicedesk import calamity as rules
    from regie.servicedesk.factories import TicketFactory

    staff_user = make_user(provider, "incident_manager")
    ticket = TicketFactory(requester=make_user(venlo, "employee"))
    AffectedItem.all_objects.create(ticket=ticket, item=estate["storage"], added_by=staff_user)
    calamity = rules.declare(staff_user, title="Storing opslag", affected_participants=[venlo],
                             update_interval_minutes=60)
    calamity.incidents.add(ticket)
    client = client_for(staff_user)
    body = client.get(reverse("cmdb:calamity-impact", args=[calamity.pk])).content.decode()
    assert "Burgerzaken Venlo" in body and "GeheimeDienstRoermond" in body
    panel = client.get(reverse("cmdb:calamity-impact-panel", args=[calamity.pk])).content.decode()
    assert "Gemeente Roermond" in panel
    page = client.get(reverse("calamity:detail", args=[calamity.pk])).content.decode()
    assert reverse("cmdb:calamity-impact-panel", args=[calamity.pk]) in page
    # Venlo's representative (an affected participant's contact) sees Venlo's share only.
    rep = client_for(make_user(venlo, "representative"))
    body = rep.get(reverse("cmdb:calamity-impact", args=[calamity.pk])).content.decode()
    assert "Burgerzaken Venlo" in body and "GeheimeDienstRoermond" not in body


def test_rto_is_a_duration():
    # The datacenter page reads ConfigurationItem.recovery_time_objective in hours.
    from regie.cmdb.network import Placement

    item = ConfigurationItem(recovery_time_objective=datetime.timedelta(hours=4))
    assert Placement(item, True).rto_hours == 4
    assert Placement(ConfigurationItem(), True).warnings == ["no recovery time objective", "no failover partner"]
