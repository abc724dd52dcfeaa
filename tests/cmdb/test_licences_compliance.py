"""Licence compliance: units per metric, entitled vs in use per product and participant,
over- and under-use, assignment refusals, expiry warnings once per threshold."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from regie.cmdb.choices import CIStatus
from regie.cmdb.factories import ConfigurationItemFactory
from regie.cmdb.licences import services
from regie.cmdb.licences.choices import ComplianceState, LicenceMetric
from regie.cmdb.licences.factories import AssignmentFactory, EntitlementFactory, LicenceProductFactory
from regie.cmdb.licences.models import Assignment, LicenceProduct
from regie.cmdb.licences.seed import PRODUCTS
from regie.core.factories import UserFactory
from regie.integrations.models import Notification

DAY = datetime.date(2026, 6, 1)


@pytest.fixture
def staff(provider):
    return UserFactory(organisation=provider, roles=["ict_manager"])


def _row(result, product, organisation):
    rows = [r for r in result.rows if r.product == product and r.organisation == organisation]
    assert len(rows) == 1, rows
    return rows[0]


def test_agreement_products_are_preloaded(db):
    codes = set(LicenceProduct.objects.unrestricted().values_list("code", flat=True))
    assert {code for code, *_rest in PRODUCTS} <= codes
    names = " ".join(LicenceProduct.objects.unrestricted().values_list("name", flat=True))
    for needle in ("Windows Server", "Windows VDA", "SQL Server", "Exchange", "VMware", "App-V", "CAL", "Back-up",
                   "Oracle Database", "Antivirus", "Antispam", "Office", "Netwerkmonitoring"):
        assert needle in names, needle
    cal = LicenceProduct.objects.unrestricted().get(code="exchange-cal")
    assert cal.metric == LicenceMetric.CAL and cal.cal_for.code == "exchange-server"


def test_units_per_metric():
    core = LicenceProduct(metric=LicenceMetric.PER_CORE, minimum_cores=16)
    assert services.units_for(core, {"cores": 32}) == 32
    assert services.units_for(core, {"cores": 8}) == 16  # the minimum per item
    assert services.units_for(core, {"cores": "veel"}) == 16
    assert services.units_for(core, None, is_item=False) == 0
    for metric in (LicenceMetric.PER_DEVICE, LicenceMetric.PER_USER, LicenceMetric.CAL, LicenceMetric.SUBSCRIPTION):
        assert services.units_for(LicenceProduct(metric=metric), {"cores": 64}) == 1


def test_compliance_arithmetic_per_device_user_core_and_cal(provider, venlo, roermond, staff):
    device = LicenceProductFactory(code="t-device", name="Office", metric=LicenceMetric.PER_DEVICE)
    user = LicenceProductFactory(code="t-user", name="VDA", metric=LicenceMetric.PER_USER)
    core = LicenceProductFactory(code="t-core", name="SQL", metric=LicenceMetric.PER_CORE, minimum_cores=4)
    cal = LicenceProductFactory(code="t-cal", name="CAL", metric=LicenceMetric.CAL)
    # Venlo: 3 Office licences (+2 more that ended, +5 not yet started), 4 workplaces (one retired).
    EntitlementFactory(product=device, organisation=venlo, quantity=3)
    EntitlementFactory(product=device, organisation=venlo, quantity=2, starts_on=datetime.date(2020, 1, 1),
                       ends_on=datetime.date(2021, 1, 1))
    EntitlementFactory(product=device, organisation=venlo, quantity=5, starts_on=datetime.date(2027, 1, 1))
    for index in range(4):
        item = ConfigurationItemFactory(organisation=venlo,
                                        status=CIStatus.RETIRED if index == 3 else CIStatus.IN_USE)
        AssignmentFactory(product=device, item=item)
    # Per user: two people, one deactivated.
    EntitlementFactory(product=user, organisation=venlo, quantity=10)
    AssignmentFactory(product=user, person=UserFactory(organisation=venlo))
    AssignmentFactory(product=user, person=UserFactory(organisation=venlo, is_active=False))
    # Per core: 8 cores counted as 8, 2 cores raised to the minimum of 4, unknown cores → 4.
    EntitlementFactory(product=core, organisation=roermond, quantity=16)
    for cores in (8, 2, None):
        attributes = {"cores": cores} if cores is not None else {}
        AssignmentFactory(product=core, item=ConfigurationItemFactory(organisation=roermond, attributes=attributes))
    # CALs: one to a person, one to a device.
    EntitlementFactory(product=cal, organisation=roermond, quantity=2)
    AssignmentFactory(product=cal, person=UserFactory(organisation=roermond))
    AssignmentFactory(product=cal, item=ConfigurationItemFactory(organisation=roermond))

    result = services.compliance(staff, DAY)
    office = _row(result, device, venlo)
    assert (office.entitled, office.in_use, office.balance) == (3, 3, 0)
    assert office.state == ComplianceState.OK
    vda = _row(result, user, venlo)
    assert (vda.entitled, vda.in_use) == (10, 1)
    assert vda.state == ComplianceState.UNDER
    sql = _row(result, core, roermond)
    assert (sql.entitled, sql.in_use) == (16, 16)
    cals = _row(result, cal, roermond)
    assert (cals.entitled, cals.in_use) == (2, 2)
    assert result.over == []


def test_over_use_and_use_without_entitlement(venlo, roermond, staff):
    office = LicenceProductFactory(code="t-office", name="Office", metric=LicenceMetric.PER_DEVICE)
    EntitlementFactory(product=office, organisation=venlo, quantity=1)
    for _index in range(3):
        AssignmentFactory(product=office, item=ConfigurationItemFactory(organisation=venlo))
    AssignmentFactory(product=office, item=ConfigurationItemFactory(organisation=roermond))
    result = services.compliance(staff, DAY)
    venlo_row, roermond_row = _row(result, office, venlo), _row(result, office, roermond)
    assert (venlo_row.entitled, venlo_row.in_use, venlo_row.balance) == (1, 3, -2)
    assert venlo_row.state == ComplianceState.OVER
    assert (roermond_row.entitled, roermond_row.in_use) == (0, 1)
    assert roermond_row.state == ComplianceState.OVER
    assert {(r.product, r.organisation) for r in result.over} == {(office, venlo), (office, roermond)}
    chart = result.chart()
    assert chart["labels"] == ["Office"]
    assert [serie["data"] for serie in chart["series"]] == [[1], [4]]


def test_under_use_threshold(venlo, staff):
    product = LicenceProductFactory(code="t-under", metric=LicenceMetric.PER_DEVICE)
    EntitlementFactory(product=product, organisation=venlo, quantity=10)
    for _index in range(8):
        AssignmentFactory(product=product, item=ConfigurationItemFactory(organisation=venlo))
    assert _row(services.compliance(staff, DAY), product, venlo).state == ComplianceState.OK  # 80 %
    Assignment.objects.unrestricted().filter(product=product).first().delete()
    assert _row(services.compliance(staff, DAY), product, venlo).state == ComplianceState.UNDER  # 70 %


def test_participant_sees_only_its_own_compliance(venlo, roermond):
    product = LicenceProductFactory(code="t-own", metric=LicenceMetric.PER_DEVICE)
    EntitlementFactory(product=product, organisation=venlo, quantity=1)
    EntitlementFactory(product=product, organisation=roermond, quantity=1)
    venlo_manager = UserFactory(organisation=venlo, roles=["account_manager"])
    assert {row.organisation for row in services.compliance(venlo_manager, DAY).rows} == {venlo}


def test_compliance_query_count_does_not_grow(venlo, roermond, staff, django_assert_max_num_queries):
    core = LicenceProductFactory(code="t-qcore", metric=LicenceMetric.PER_CORE)
    device = LicenceProductFactory(code="t-qdevice", metric=LicenceMetric.PER_DEVICE)
    for org in (venlo, roermond):
        EntitlementFactory(product=core, organisation=org, quantity=64)
        EntitlementFactory(product=device, organisation=org, quantity=64)
        for _index in range(15):
            AssignmentFactory(product=core, item=ConfigurationItemFactory(organisation=org, attributes={"cores": 8}))
            AssignmentFactory(product=device, item=ConfigurationItemFactory(organisation=org))
    with django_assert_max_num_queries(7):
        result = services.compliance(staff, DAY)
        assert len(result.rows) == 4


# --- assignment rules -------------------------------------------------------------------------

def test_assign_refusals(provider, venlo, roermond, staff):
    core = LicenceProductFactory(code="t-rcore", metric=LicenceMetric.PER_CORE)
    per_user = LicenceProductFactory(code="t-ruser", metric=LicenceMetric.PER_USER)
    device = LicenceProductFactory(code="t-rdevice", metric=LicenceMetric.PER_DEVICE)
    person = UserFactory(organisation=venlo)
    item = ConfigurationItemFactory(organisation=venlo)

    def refused(**kwargs):
        with pytest.raises(ValidationError) as excinfo:
            services.assign(staff, **kwargs)
        return " ".join(" ".join(m) for m in excinfo.value.message_dict.values())

    assert "either a configuration item or a person" in refused(product=device)
    assert "assigned to a server, not to a person" in refused(product=core, person=person)
    assert "assigned to a person, not to an item" in refused(product=per_user, item=item)
    assert "assigned to an item, not to a person" in refused(product=device, person=person)
    retired = ConfigurationItemFactory(organisation=venlo, status=CIStatus.DISPOSED)
    assert "is retired" in refused(product=device, item=retired)
    other = EntitlementFactory(product=device, organisation=roermond)
    assert "belongs to another participant" in refused(product=device, item=item, entitlement=other)
    wrong = EntitlementFactory(product=core, organisation=venlo)
    assert "for another product" in refused(product=device, item=item, entitlement=wrong)
    assert not Assignment.objects.unrestricted().exists()

    assignment = services.assign(staff, product=device, item=item)
    assert assignment.organisation == venlo
    assert "already assigned" in refused(product=device, item=item)
    user_assignment = services.assign(staff, product=per_user, person=person)
    assert user_assignment.organisation == venlo


def test_only_provider_keepers_assign_and_entitle(venlo):
    device = LicenceProductFactory(code="t-pdevice", metric=LicenceMetric.PER_DEVICE)
    account_manager = UserFactory(organisation=venlo, roles=["account_manager"])
    with pytest.raises(PermissionDenied):
        services.assign(account_manager, product=device, item=ConfigurationItemFactory(organisation=venlo))
    with pytest.raises(PermissionDenied):
        services.save_entitlement(account_manager, None, {"product": device, "organisation": venlo})


def test_save_entitlement_refuses_bad_input(venlo, staff):
    device = LicenceProductFactory(code="t-edevice", metric=LicenceMetric.PER_DEVICE)
    with pytest.raises(ValidationError) as excinfo:
        services.save_entitlement(staff, None, {
            "product": device, "organisation": venlo, "quantity": 0, "starts_on": DAY,
            "ends_on": DAY - datetime.timedelta(days=1),
        })
    assert {"quantity", "ends_on"} <= set(excinfo.value.message_dict)
    entitlement = services.save_entitlement(staff, None, {
        "product": device, "organisation": venlo, "quantity": 5, "starts_on": DAY,
    })
    assert entitlement.pk and entitlement.ends_on is None


# --- expiry -----------------------------------------------------------------------------------

def test_entitlement_expiry_warnings_once_per_threshold(provider, venlo):
    lead = UserFactory(organisation=provider, roles=["team_lead"])
    account_manager = UserFactory(organisation=venlo, roles=["account_manager"])
    venlo.account_manager = account_manager
    venlo.save()
    entitlement = EntitlementFactory(organisation=venlo, ends_on=DAY + datetime.timedelta(days=60))
    EntitlementFactory(organisation=venlo, ends_on=DAY + datetime.timedelta(days=200))  # not yet
    EntitlementFactory(organisation=venlo, ends_on=None)  # perpetual
    assert services.send_expiry_warnings(DAY) == 1
    assert services.send_expiry_warnings(DAY) == 1
    notes = Notification.all_objects.filter(event="licence.expiring")
    assert sorted(notes.values_list("user_id", flat=True)) == sorted([lead.pk, account_manager.pk])
    assert entitlement.product.name in notes.first().title
    services.send_expiry_warnings(DAY + datetime.timedelta(days=5))  # still the 90-day threshold
    assert notes.count() == 2
    seven_days_before = entitlement.ends_on - datetime.timedelta(days=7)
    services.send_expiry_warnings(seven_days_before)
    services.send_expiry_warnings(seven_days_before)
    assert notes.count() == 4
    # The celery task runs the same reconcile.
    from regie.cmdb.licences.tasks import licence_expiry_warnings

    assert licence_expiry_warnings.name == "regie.cmdb.licence_expiry_warnings"


def test_demo_has_over_use(db):
    import random

    from regie.cmdb import contract_demo
    from regie.cmdb.licences import demo
    from regie.core.demo import MUNICIPALITIES
    from regie.core.factories import OrganisationFactory, ProviderFactory

    provider = ProviderFactory()
    for name, code, *_rest in MUNICIPALITIES:
        organisation = OrganisationFactory(name=name, code=code)
        for index in range(5):
            UserFactory(organisation=organisation, username=f"{code.lower()}.demo{index}")
    contract_demo.load_demo(random.Random(1))
    demo.load_demo(random.Random(1))
    counts = (LicenceProduct.objects.unrestricted().count(), Assignment.objects.unrestricted().count())
    contract_demo.load_demo(random.Random(1))
    demo.load_demo(random.Random(1))  # idempotent
    assert (LicenceProduct.objects.unrestricted().count(), Assignment.objects.unrestricted().count()) == counts
    staff = UserFactory(organisation=provider, roles=["ict_manager"])
    over = {(row.product.code, row.organisation.code) for row in services.compliance(staff).over}
    assert ("microsoft-office", "VNL") in over
    assert ("exchange-cal", "RMD") in over
    under = {(row.product.code, row.organisation.code) for row in services.compliance(staff).under}
    assert ("windows-enterprise", "WRT") in under
