"""SharedFormFilterSet builds its form class once, and each form still offers only the
requesting user's own choices (the call list's organisation and team filters)."""

import pytest
from django.http import QueryDict

from regie.core.factories import TeamFactory
from regie.core.filtersets import SharedFormFilterSet
from regie.servicedesk.filtersets import TicketFilterSet
from regie.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db


def bound(user, **params):
    data = QueryDict(mutable=True)
    data.update(params)
    return TicketFilterSet(data, queryset=Ticket.objects.for_user(user), user=user)


def organisation_choices(filterset):
    return {choice.value for choice, _label in list(filterset.form.fields["organisation"].choices)[1:]}


def test_the_form_class_is_made_once_and_holds_no_queryset(provider, venlo, make_user):
    assert issubclass(TicketFilterSet, SharedFormFilterSet)
    first = bound(make_user(provider, "engineer")).form
    second = bound(make_user(venlo, "employee")).form
    assert type(first) is type(second)
    assert type(first).base_fields["organisation"].queryset is None
    assert type(first).base_fields["team"].queryset is None
    assert first.fields["organisation"] is not second.fields["organisation"]


@pytest.mark.parametrize("first_in", ["provider", "municipality"])
def test_each_form_offers_only_its_own_users_organisations(provider, venlo, roermond, make_user, first_in):
    staff = make_user(provider, "engineer")
    employee = make_user(venlo, "employee")
    order = [staff, employee] if first_in == "provider" else [employee, staff]
    forms = {user.pk: bound(user, organisation=str(roermond.pk)) for user in order}
    for user in order:  # interleaved: each form made and validated in turn
        forms[user.pk].is_valid()
    assert organisation_choices(forms[staff.pk]) >= {provider.pk, venlo.pk, roermond.pk}
    assert organisation_choices(forms[employee.pk]) == {venlo.pk, provider.pk}  # own and the provider
    assert forms[staff.pk].is_valid()
    assert not forms[employee.pk].is_valid()
    assert "organisation" in forms[employee.pk].errors


def test_team_choices_follow_the_user_too(provider, venlo, make_user):
    team = TeamFactory(organisation=provider)
    staff = make_user(provider, "engineer")
    employee = make_user(venlo, "employee")
    assert bound(staff, team=str(team.pk)).is_valid()
    refused = bound(employee, team=str(team.pk))
    assert not refused.is_valid() and "team" in refused.errors
    assert bound(staff, team=str(team.pk)).is_valid()  # the refusal changed nothing shared


def test_method_filters_run_for_their_own_filterset_user(provider, venlo, make_user):
    """The queue filter is a method that reads the filterset's user: with shared copies of
    the declared filters it must still run for the filterset it belongs to."""
    from regie.servicedesk.factories import TicketFactory

    first, second = make_user(provider, "engineer"), make_user(provider, "engineer")
    caller = make_user(venlo, "employee")
    mine = {user.pk: TicketFactory(requester=caller, assignee=user) for user in (first, second)}
    filtersets = [bound(first, queue="mine"), bound(second, queue="mine"), bound(first, queue="mine")]
    results = [list(filterset.qs) for filterset in reversed(filtersets)]  # evaluated newest first
    assert results == [[mine[first.pk]], [mine[second.pk]], [mine[first.pk]]]
    declared = TicketFilterSet.base_filters["queue"]
    assert all(filterset.filters["queue"].filter.f is filterset.filters["queue"] for filterset in filtersets)
    assert all(filterset.filters["queue"] is not declared for filterset in filtersets)
    assert not hasattr(declared, "parent")


def test_a_requests_queryset_stays_on_its_own_filters(provider, venlo, roermond, make_user):
    staff, employee = make_user(provider, "engineer"), make_user(venlo, "employee")
    declared = TicketFilterSet.base_filters["organisation"]
    before = (declared.queryset, dict(declared.extra))
    staff_filters, employee_filters = bound(staff), bound(employee)
    staff_filters.is_valid(), employee_filters.is_valid()
    visible = {name: filters.filters["organisation"].queryset.count()
               for name, filters in (("staff", staff_filters), ("employee", employee_filters))}
    assert visible["staff"] > visible["employee"]
    assert (declared.queryset, declared.extra) == before
