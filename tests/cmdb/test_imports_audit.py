"""bulk_write_records (regie.core.audit): the same records as write_record, sealable and verifiable."""

from regie.cmdb.factories import ConfigurationItemFactory
from regie.core.audit import audit_context, bulk_write_records, hashed_fields, record_hash, write_record
from regie.core.audit_chain import seal_pending, verify_chain
from regie.core.models import AuditRecord


def test_bulk_records_match_single_records_and_verify_in_the_chain(venlo, make_user, provider):
    actor = make_user(provider, "first_line")
    items = ConfigurationItemFactory.create_batch(3, organisation=venlo)
    start = AuditRecord.all_objects.order_by("-id").values_list("id", flat=True).first() or 0
    with audit_context(actor=actor, remote_addr="2001:db8::1", user_agent="pytest", request_id="req-1"):
        count = bulk_write_records(
            [("update", item, {"name": ["oud", item.name]}) for item in items], batch_size=2
        )
        single = write_record("update", instance=items[0], changes={"name": ["oud", items[0].name]})
    assert count == 3
    bulk = list(AuditRecord.all_objects.filter(id__gt=start).exclude(pk=single.pk).order_by("id"))
    assert len(bulk) == 3
    for record, item in zip(bulk, items, strict=True):
        assert record.actor == actor and record.organisation_id == venlo.pk
        assert record.object_id == str(item.pk) and record.object_repr == item.name
        assert record.remote_addr == single.remote_addr and record.request_id == "req-1"
        assert record.content_type_id == single.content_type_id
        assert record.record_hash == record_hash(hashed_fields(record))  # as read back from the database
    assert seal_pending(delay_seconds=0) >= 4
    report = verify_chain()
    assert report.ok and report.unsealed_records == 0


def test_bulk_records_without_entries_write_nothing(db):
    before = AuditRecord.all_objects.count()
    assert bulk_write_records([]) == 0
    assert AuditRecord.all_objects.count() == before
