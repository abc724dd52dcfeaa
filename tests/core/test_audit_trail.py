"""What gets recorded: one record per change with who, what, when, from where and result;
sign-ins that fail and access that is refused; every row of a bulk change."""

from datetime import UTC, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from regie.core.audit import audit_context, audited_bulk_update, audited_delete
from regie.core.audit_chain import seal_pending, verify_chain
from regie.core.choices import LocationKind
from regie.core.factories import LocationFactory, OrganisationFactory
from regie.core.models import AuditRecord, Location, Organisation


def records_for(obj, **filters):
    return AuditRecord.all_objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk), **filters
    ).order_by("id")


def test_one_record_per_change_with_who_what_when_where(db, provider, make_user):
    actor = make_user(provider, "administrator", username="beheerder")
    before = timezone.now()
    with audit_context(actor=actor, remote_addr="198.51.100.7", user_agent="pytest"):
        org = OrganisationFactory(name="Gemeente Weert", code="WRT")
        org.phone = "0495 575 000"
        org.save()
        org.save()  # no change: no record
        pk = org.pk
        org.delete()
    created, updated, deleted = AuditRecord.all_objects.filter(
        content_type=ContentType.objects.get_for_model(Organisation), object_id=str(pk)
    ).order_by("id")
    assert [created.action, updated.action, deleted.action] == ["create", "update", "delete"]
    for rec in (created, updated, deleted):
        assert rec.actor_id == actor.pk and rec.actor_label == "beheerder"
        assert rec.remote_addr == "198.51.100.7" and rec.user_agent == "pytest"
        assert rec.result == "success"
        assert before <= rec.timestamp <= timezone.now()
        assert rec.timestamp.utcoffset() == timedelta(0)  # stored and read as UTC
        assert rec.object_repr == "Gemeente Weert"
    assert updated.changes == {"phone": ["", "0495 575 000"]}
    assert deleted.changes["code"] == ["WRT", None]
    assert created.organisation_id == pk


def test_a_failed_sign_in_is_recorded(db, venlo, make_user):
    make_user(venlo, "employee", username="venlo.medewerker")
    response = Client(REMOTE_ADDR="203.0.113.9").post(
        "/account/login/", {"username": "venlo.medewerker", "password": "wrong password"}
    )
    assert response.status_code in (200, 400)
    rec = AuditRecord.all_objects.get(action="login_failed")
    assert rec.result == "failure"
    assert rec.object_repr == "venlo.medewerker"
    assert rec.remote_addr == "203.0.113.9"
    assert rec.actor_id is None


def test_a_successful_sign_in_is_recorded(db, venlo, make_user):
    user = make_user(venlo, "employee", username="venlo.medewerker")
    Client(REMOTE_ADDR="203.0.113.10").post(
        "/account/login/", {"username": "venlo.medewerker", "password": "correct-horse-battery"}
    )
    rec = AuditRecord.all_objects.get(action="login")
    assert (rec.actor_id, rec.result, rec.remote_addr, rec.organisation_id) == (
        user.pk, "success", "203.0.113.10", venlo.pk
    )


def test_refused_access_is_recorded(client_for, make_user):
    firm = OrganisationFactory(name="Leverancier BV", code="LEV", kind="supplier")
    supplier = make_user(firm, "supplier", username="leverancier")
    response = client_for(supplier).get("/calls/new/", REMOTE_ADDR="203.0.113.11")
    assert response.status_code == 403
    rec = AuditRecord.all_objects.get(action="access_denied")
    assert (rec.actor_id, rec.result, rec.object_repr, rec.remote_addr) == (
        supplier.pk, "failure", "/calls/new/", "203.0.113.11"
    )


def test_bulk_helpers_record_every_row(db, venlo):
    locations = [LocationFactory(organisation=venlo) for _ in range(3)]
    queryset = Location.objects.unrestricted().filter(organisation=venlo)
    with audit_context(actor_label="bulk-job"):
        assert audited_bulk_update(queryset, kind=LocationKind.TOWN_HALL) == 3
        assert audited_delete(queryset) == 3
    for location in locations:
        update, delete = records_for(location, actor_label="bulk-job")
        assert (update.action, update.changes) == ("update", {"kind": ["site", "town_hall"]})
        assert delete.action == "delete"


def test_records_are_hashed_so_the_chain_can_seal_them(db, venlo):
    with audit_context(actor_label="x", remote_addr="2001:db8::7"):
        venlo.phone = "1"
        venlo.save()
    assert seal_pending(delay_seconds=0) >= 1
    assert verify_chain().ok


def test_timestamps_are_utc_in_the_hash(db, venlo):
    rec = records_for(venlo).last()
    assert rec.timestamp.astimezone(UTC).isoformat().endswith("+00:00")


@pytest.mark.parametrize("method", ["save", "delete"])
def test_records_cannot_be_changed_through_the_orm(db, venlo, method):
    rec = records_for(venlo).last()
    with pytest.raises(TypeError):
        getattr(rec, method)()
