"""The change rules of regie/changes/services.py: every step and every refusal."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from regie.changes import services
from regie.changes.choices import ChangeKind, ChangeStatus, Decision
from regie.changes.factories import ChangeFactory
from regie.changes.models import Change, ChangeApproval, ChangeItem
from regie.cmdb.choices import RelationKind
from regie.cmdb.factories import ConfigurationItemFactory, ItemTypeFactory, RelationFactory
from regie.core.models import AuditRecord

pytestmark = pytest.mark.django_db


def refused(exc_info, field):
    errors = exc_info.value.message_dict
    assert field in errors, errors
    return " ".join(errors[field])


def submitted(change, actor):
    return services.submit(actor, change)


# --- create and edit -------------------------------------------------------------------------

def test_create_gives_a_yearly_reference_and_links_items(engineer, provider, storage, window):
    first = services.save_change(engineer, None, {"title": "A", "organisation": provider, "planned_start": window[0],
                                                  "planned_end": window[1]}, items=[storage])
    second = services.save_change(engineer, None, {"title": "B", "organisation": provider}, items=[storage])
    year = timezone.localdate().year
    assert first.reference == f"WZG-{year}-0001"
    assert second.reference == f"WZG-{year}-0002"
    assert first.owner == engineer and first.requester == engineer
    assert list(ChangeItem.objects.filter(change=first).values_list("item_id", flat=True)) == [storage.pk]
    assert AuditRecord.objects.unrestricted().filter(object_repr__contains=first.reference).exists()


def test_window_ending_before_it_starts_is_refused(engineer, provider, storage, window):
    with pytest.raises(ValidationError) as exc:
        services.save_change(engineer, None, {"title": "A", "organisation": provider, "planned_start": window[1],
                                              "planned_end": window[0]}, items=[storage])
    assert "end after it starts" in refused(exc, "planned_end")
    assert not Change.objects.unrestricted().exists()


def test_participants_may_not_create_changes(venlo_reader, venlo, venlo_server):
    with pytest.raises(PermissionDenied):
        services.save_change(venlo_reader, None, {"title": "A", "organisation": venlo}, items=[venlo_server])


def test_items_of_another_municipality_are_refused(engineer, venlo, roermond_server):
    with pytest.raises(ValidationError) as exc:
        services.save_change(engineer, None, {"title": "A", "organisation": venlo}, items=[roermond_server])
    assert "RMD-APP-01" in refused(exc, "items")


def test_shared_infrastructure_may_be_touched_by_a_participants_change(engineer, venlo, venlo_server, storage):
    change = services.save_change(engineer, None, {"title": "A", "organisation": venlo},
                                  items=[venlo_server, storage])
    assert change.change_items.count() == 2


def test_a_change_touches_at_least_one_item(engineer, provider):
    with pytest.raises(ValidationError) as exc:
        services.save_change(engineer, None, {"title": "A", "organisation": provider}, items=[])
    assert refused(exc, "items")


def test_owner_is_provider_staff(engineer, provider, storage, venlo_reader):
    with pytest.raises(ValidationError) as exc:
        services.save_change(engineer, None, {"title": "A", "organisation": provider, "owner": venlo_reader},
                             items=[storage])
    assert refused(exc, "owner")


def test_standard_change_needs_a_template_and_takes_its_rollback_plan(engineer, provider, storage, template):
    with pytest.raises(ValidationError) as exc:
        services.save_change(engineer, None, {"title": "A", "organisation": provider, "kind": ChangeKind.STANDARD},
                             items=[storage])
    assert refused(exc, "template")
    change = services.save_change(engineer, None, {"title": "A", "organisation": provider,
                                                   "kind": ChangeKind.STANDARD, "template": template},
                                  items=[storage])
    assert change.rollback_plan == template.rollback_plan


def test_only_drafts_are_edited(draft, engineer):
    services.submit(engineer, draft)
    with pytest.raises(ValidationError):
        services.save_change(engineer, draft, {"title": "Later"})


# --- submission --------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["test_result", "rollback_plan", "test_plan", "risk_assessment"])
@pytest.mark.parametrize("kind", [ChangeKind.NORMAL, ChangeKind.EMERGENCY])
def test_submission_needs_test_result_and_rollback_plan(draft, engineer, field, kind):
    Change.all_objects.filter(pk=draft.pk).update(**{field: "", "kind": kind})
    with pytest.raises(ValidationError) as exc:
        services.submit(engineer, draft)
    assert refused(exc, field)
    draft.refresh_from_db()
    assert draft.status == ChangeStatus.DRAFT and draft.impact_snapshot is None


def test_submission_needs_a_window(draft, engineer):
    Change.all_objects.filter(pk=draft.pk).update(planned_start=None, planned_end=None)
    with pytest.raises(ValidationError) as exc:
        services.submit(engineer, draft)
    assert refused(exc, "planned_start")


def test_submission_stores_the_impact_snapshot(draft, engineer, storage, venlo, provider):
    service_type = ItemTypeFactory(code="bedrijfsdienst")
    app = ConfigurationItemFactory(organisation=venlo, name="BRP-server")
    service = ConfigurationItemFactory(organisation=venlo, ci_type=service_type, name="BRP Venlo")
    RelationFactory(source=app, kind=RelationKind.RUNS_ON, target=storage)
    RelationFactory(source=service, kind=RelationKind.DEPENDS_ON, target=app)
    change = services.submit(engineer, draft)
    assert change.status == ChangeStatus.SUBMITTED and change.submitted_at
    snapshot = change.impact_snapshot
    assert [row["name"] for row in snapshot["business_services"]] == ["BRP Venlo"]
    assert {row["name"] for row in snapshot["participants"]} == {venlo.name}
    # The snapshot stays what it was, whatever the CMDB does later.
    RelationFactory(source=ConfigurationItemFactory(organisation=venlo, ci_type=service_type, name="Later"),
                    kind=RelationKind.DEPENDS_ON, target=storage)
    change.refresh_from_db()
    assert [row["name"] for row in change.impact_snapshot["business_services"]] == ["BRP Venlo"]


def test_scoped_snapshot_hides_other_organisations(venlo_reader, roermond_reader):
    snapshot = {"item_count": 3, "business_services": [
        {"id": 1, "name": "BRP Venlo", "organisation": venlo_reader.organisation_id},
        {"id": 2, "name": "BRP Roermond", "organisation": roermond_reader.organisation_id}],
        "participants": [{"id": venlo_reader.organisation_id, "name": "Venlo", "items": 2},
                         {"id": roermond_reader.organisation_id, "name": "Roermond", "items": 1}]}
    seen = services.scoped_snapshot(snapshot, venlo_reader)
    assert [row["name"] for row in seen["business_services"]] == ["BRP Venlo"]
    assert [row["name"] for row in seen["participants"]] == ["Venlo"]
    assert seen["hidden"] == 2


def test_standard_change_is_approved_on_submission(engineer, provider, storage, template, window):
    change = services.save_change(engineer, None, {
        "title": "Patches", "organisation": provider, "kind": ChangeKind.STANDARD, "template": template,
        "planned_start": window[0], "planned_end": window[1]}, items=[storage])
    change = services.submit(engineer, change)
    assert change.status == ChangeStatus.APPROVED and change.approval == Decision.APPROVED


def test_only_a_draft_is_submitted(draft, engineer):
    services.submit(engineer, draft)
    with pytest.raises(ValidationError):
        services.submit(engineer, draft)


# --- the CAB -------------------------------------------------------------------------------------

def test_normal_change_is_approved_after_two_cab_approvals(draft, engineer, lead, ict_manager):
    services.submit(engineer, draft)
    change = services.decide(lead, draft, True, "ok")
    assert change.status == ChangeStatus.SUBMITTED
    change = services.decide(ict_manager, draft, True, "")
    assert change.status == ChangeStatus.APPROVED and change.approval == Decision.APPROVED


def test_required_approvals_is_configurable(draft, engineer, lead, settings):
    settings.REGIE_CHANGE_APPROVALS_REQUIRED = 1
    services.submit(engineer, draft)
    assert services.decide(lead, draft, True).status == ChangeStatus.APPROVED


def test_one_rejection_rejects(draft, engineer, lead, ict_manager):
    services.submit(engineer, draft)
    services.decide(lead, draft, True)
    change = services.decide(ict_manager, draft, False, "Te veel risico in de maandafsluiting.")
    assert change.status == ChangeStatus.REJECTED and change.approval == Decision.REJECTED


def test_rejection_needs_a_reason(draft, engineer, lead):
    services.submit(engineer, draft)
    with pytest.raises(ValidationError) as exc:
        services.decide(lead, draft, False, " ")
    assert refused(exc, "comment")
    assert not ChangeApproval.objects.exists()


def test_non_member_may_not_approve(draft, engineer):
    services.submit(engineer, draft)
    with pytest.raises(ValidationError) as exc:
        services.decide(engineer, draft, True)
    assert "change advisory board" in refused(exc, "approver")
    assert not ChangeApproval.objects.exists()


def test_participant_may_not_approve(draft, engineer, venlo_reader):
    services.submit(engineer, draft)
    with pytest.raises(ValidationError):
        services.decide(venlo_reader, draft, True)


def test_approving_twice_is_refused(draft, engineer, lead):
    services.submit(engineer, draft)
    services.decide(lead, draft, True)
    with pytest.raises(ValidationError) as exc:
        services.decide(lead, draft, True)
    assert "already decided" in refused(exc, "approver")
    assert ChangeApproval.objects.count() == 1


def test_approving_a_change_not_submitted_is_refused(draft, lead):
    with pytest.raises(ValidationError) as exc:
        services.decide(lead, draft, True)
    assert "submitted" in refused(exc, "status")


def test_approving_after_approval_is_refused(draft, engineer, lead, ict_manager, third_member):
    services.submit(engineer, draft)
    services.decide(lead, draft, True)
    services.decide(ict_manager, draft, True)
    with pytest.raises(ValidationError):
        services.decide(third_member, draft, True)


def test_standard_change_gets_no_cab_decision(engineer, lead, provider, storage, template, window):
    change = services.save_change(engineer, None, {
        "title": "Patches", "organisation": provider, "kind": ChangeKind.STANDARD, "template": template,
        "planned_start": window[0], "planned_end": window[1]}, items=[storage])
    services.submit(engineer, change)
    with pytest.raises(ValidationError):
        services.decide(lead, change, True)


def test_emergency_change_starts_before_approval_and_closes_only_after_decision(draft, engineer, lead):
    Change.all_objects.filter(pk=draft.pk).update(kind=ChangeKind.EMERGENCY)
    draft.refresh_from_db()
    services.submit(engineer, draft)
    change = services.start(engineer, draft)
    assert change.status == ChangeStatus.IN_PROGRESS
    change = services.complete(engineer, change, True, "Voeding vervangen.")
    with pytest.raises(ValidationError) as exc:
        services.close(engineer, change, "Goed verlopen.")
    assert "not yet decided" in refused(exc, "status")
    change = services.decide(lead, change, True, "Achteraf akkoord.")
    assert change.status == ChangeStatus.IMPLEMENTED and change.approval == Decision.APPROVED
    with pytest.raises(ValidationError) as exc:
        services.close(engineer, change, "")
    assert refused(exc, "review")
    assert services.close(engineer, change, "Goed verlopen.").status == ChangeStatus.CLOSED


def test_emergency_change_one_approval_suffices(draft, engineer, lead, ict_manager):
    Change.all_objects.filter(pk=draft.pk).update(kind=ChangeKind.EMERGENCY)
    draft.refresh_from_db()
    services.submit(engineer, draft)
    assert services.decide(lead, draft, True).status == ChangeStatus.APPROVED
    with pytest.raises(ValidationError):
        services.decide(ict_manager, draft, True)


# --- the rest of the flow ---------------------------------------------------------------------

def approved(draft, engineer, lead, ict_manager):
    services.submit(engineer, draft)
    services.decide(lead, draft, True)
    return services.decide(ict_manager, draft, True)


def test_full_flow_to_closed(draft, engineer, lead, ict_manager):
    change = approved(draft, engineer, lead, ict_manager)
    change = services.schedule(engineer, change)
    assert change.status == ChangeStatus.SCHEDULED
    change = services.start(engineer, change)
    assert change.actual_start and change.status == ChangeStatus.IN_PROGRESS
    change = services.complete(engineer, change, False, "Teruggedraaid: firmware gaf fouten.")
    assert change.status == ChangeStatus.FAILED and change.actual_end
    change = services.close(engineer, change, "Leverancier onderzoekt de fout.")
    assert change.status == ChangeStatus.CLOSED


def test_schedule_refuses_unapproved_and_bad_windows(draft, engineer, lead, ict_manager, window):
    with pytest.raises(ValidationError):
        services.schedule(engineer, draft)
    change = approved(draft, engineer, lead, ict_manager)
    with pytest.raises(ValidationError) as exc:
        services.schedule(engineer, change, window[1], window[0])
    assert refused(exc, "planned_end")
    moved = services.schedule(engineer, change, window[0] + datetime.timedelta(days=1),
                              window[1] + datetime.timedelta(days=1))
    assert moved.planned_start == window[0] + datetime.timedelta(days=1)


def test_start_needs_schedule_and_completion_needs_a_result(draft, engineer, lead, ict_manager):
    change = approved(draft, engineer, lead, ict_manager)
    with pytest.raises(ValidationError):
        services.start(engineer, change)
    change = services.start(engineer, services.schedule(engineer, change))
    with pytest.raises(ValidationError) as exc:
        services.complete(engineer, change, True, "")
    assert refused(exc, "implementation_result")
    with pytest.raises(ValidationError):
        services.close(engineer, change, "Te vroeg.")


def test_cancel_from_open_states_only(draft, engineer, lead, ict_manager):
    change = services.cancel(engineer, draft, "Niet meer nodig.")
    assert change.status == ChangeStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.cancel(engineer, change)
    other = ChangeFactory(organisation=draft.organisation, owner=engineer)
    Change.all_objects.filter(pk=other.pk).update(status=ChangeStatus.IN_PROGRESS)
    other.refresh_from_db()
    with pytest.raises(ValidationError):
        services.cancel(engineer, other)


def test_transition_to_an_unknown_status_is_refused(draft, engineer):
    with pytest.raises(ValidationError):
        services.transition(engineer, draft, ChangeStatus.APPROVED)


def test_participant_may_not_move_a_change(draft, venlo_reader):
    with pytest.raises(PermissionDenied):
        services.transition(venlo_reader, draft, ChangeStatus.SUBMITTED)


# --- conflicts and calendar -------------------------------------------------------------------

def test_overlapping_windows_on_the_same_item_conflict(draft, provider, engineer, storage, window, venlo_server):
    overlapping = ChangeFactory(organisation=provider, owner=engineer, items=[storage],
                                planned_start=window[0] + datetime.timedelta(hours=2),
                                planned_end=window[1] + datetime.timedelta(hours=2))
    ChangeFactory(organisation=provider, owner=engineer, items=[storage], planned_start=window[1],
                  planned_end=window[1] + datetime.timedelta(hours=1))  # touching, not overlapping
    ChangeFactory(organisation=draft.organisation, owner=engineer, items=[venlo_server],
                  planned_start=window[0], planned_end=window[1])  # other item
    cancelled = ChangeFactory(organisation=provider, owner=engineer, items=[storage], planned_start=window[0],
                              planned_end=window[1], status=ChangeStatus.CANCELLED)
    assert list(services.conflicts_of(draft)) == [overlapping]
    assert cancelled not in services.conflicts_of(overlapping)


def test_visible_conflicts_count_what_the_user_may_not_see(draft, venlo, engineer, storage, window, venlo_reader,
                                                           roermond_reader):
    venlo_change = ChangeFactory(organisation=venlo, owner=engineer, items=[storage], planned_start=window[0],
                                 planned_end=window[1])
    shown, hidden = services.visible_conflicts(roermond_reader, services.conflicts_of(draft))
    assert shown == [] and hidden == 1
    shown, hidden = services.visible_conflicts(venlo_reader, services.conflicts_of(draft))
    assert shown == [venlo_change] and hidden == 0


def test_month_grid_and_conflict_pairs(draft, provider, engineer, storage, window):
    other = ChangeFactory(organisation=provider, owner=engineer, items=[storage], planned_start=window[0],
                          planned_end=window[1])
    start, end = services.month_bounds(window[0].year, window[0].month)
    changes = services.window_changes(Change.objects.unrestricted(), start, end)
    assert {c.pk for c in changes} == {draft.pk, other.pk}
    pairs = services.conflict_pairs(changes)
    assert len(pairs) == 1 and pairs[0][2] == {storage.pk}
    grid = services.month_grid(window[0].year, window[0].month, changes)
    day = timezone.localtime(window[0]).date()
    cells = [cell for week in grid for cell in week if cell.date == day]
    assert {c.pk for c in cells[0].changes} == {draft.pk, other.pk}
