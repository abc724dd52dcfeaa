"""Portal pages of request fulfilment: the request catalogue (by group, with search), the
form of a type, "my requests", a request with its approvals and tasks, "waiting for me"
for approvers, the signed approval link, and the provider's task lists per team."""

import datetime
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regie.cmdb.models import ConfigurationItem
from regie.core.forms import add_service_errors
from regie.core.models import Team

from . import services
from .choices import RequestGroup, RequestStatus, TaskStatus
from .forms import DecisionForm, DelegationForm, RequestForm
from .models import Approval, Delegation, FulfilmentTask, RequestType, ServiceRequest

PAGE_SIZE = 50


def _require_view(user):
    if not services.may_view(user):
        raise Http404


def _messages_of(exc):
    return exc.messages if isinstance(exc, ValidationError) else [str(exc) or _("You may not do this.")]


@login_required
def catalogue(request):
    _require_view(request.user)
    query = request.GET.get("q", "").strip()[:100]
    types = RequestType.objects.for_user(request.user).filter(is_active=True).select_related("service")
    if query:
        types = types.filter(Q(name__icontains=query) | Q(description__icontains=query) | Q(code__icontains=query))
    grouped = defaultdict(list)
    for request_type in types:
        grouped[request_type.group].append(request_type)
    groups = [(label, grouped[value]) for value, label in RequestGroup.choices if grouped.get(value)]
    return render(request, "fulfilment/catalogue.html", {"groups": groups, "query": query})


@login_required
def request_new(request, code):
    _require_view(request.user)
    request_type = get_object_or_404(RequestType.objects.for_user(request.user).select_related("service"),
                                     code=code, is_active=True)
    if request_type.out_of_scope:
        return render(request, "fulfilment/out_of_scope.html", {"request_type": request_type})
    if request.method == "POST":
        form = RequestForm(request.user, request_type, request.POST, request.FILES)
        try:
            created = services.submit_request(request.user, request_type, form.raw_values())
        except ValidationError as exc:
            form.show_errors(exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Request %(reference)s has been submitted.") % {
                "reference": created.ticket.reference})
            return redirect(created.get_absolute_url())
        status = 400
    else:
        form = RequestForm(request.user, request_type)
        status = 200
    return render(request, "fulfilment/request_form.html", {"form": form, "request_type": request_type},
                  status=status)


@login_required
def request_list(request):
    _require_view(request.user)
    requests = (ServiceRequest.objects.for_user(request.user)
                .select_related("ticket", "request_type", "requester")
                .annotate(done_tasks=Count("tasks", filter=Q(tasks__status=TaskStatus.DONE), distinct=True),
                          all_tasks=Count("tasks", distinct=True))
                .order_by("-created_at", "-id"))
    status = request.GET.get("status")
    if status in RequestStatus.values:
        requests = requests.filter(status=status)
    return render(request, "fulfilment/request_list.html", {
        "requests": requests[:PAGE_SIZE], "statuses": RequestStatus.choices, "status": status})


def _visible_request(user, pk):
    _require_view(user)
    return get_object_or_404(
        ServiceRequest.objects.for_user(user).select_related("ticket", "request_type", "requester", "organisation",
                                                              "framework_contract", "cost_accepted_by")
        .prefetch_related(Prefetch("approvals", Approval.all_objects.select_related(
            "approver", "delegated_from", "decided_by")),
            Prefetch("tasks", FulfilmentTask.all_objects.select_related("team", "done_by")),
            Prefetch("items", ConfigurationItem.all_objects.all())),
        pk=pk)


def _parsed_date(value):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value


def _display_values(service_request):
    """(label, shown value, kind) per answered field; people, items and models by name."""
    from regie.cmdb.models import ConfigurationItemModel
    from regie.core.models import User

    from .choices import FieldKind

    specs = [spec for spec in service_request.request_type.fields if spec["name"] in service_request.values]
    wanted = defaultdict(set)
    for spec in specs:
        if spec.get("kind") in (FieldKind.PERSON, FieldKind.CI, FieldKind.MODEL):
            wanted[spec["kind"]].add(service_request.values[spec["name"]])
    managers = {FieldKind.PERSON: User.objects.unrestricted(), FieldKind.CI: ConfigurationItem.all_objects,
                FieldKind.MODEL: ConfigurationItemModel.objects.unrestricted()}
    names = {kind: {obj.pk: str(obj) for obj in managers[kind].filter(pk__in=pks)} for kind, pks in wanted.items()}
    rows = []
    for spec in specs:
        value = service_request.values[spec["name"]]
        if isinstance(value, dict):
            value = value.get("name", "")
        elif isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif spec.get("kind") in names:
            value = names[spec["kind"]].get(value, value)
        elif spec.get("kind") == FieldKind.DATE:
            value = _parsed_date(value)  # a date, so the page shows it the Dutch way
        elif spec.get("kind") == FieldKind.NUMBER and isinstance(value, float):
            value = formats.number_format(value)
        rows.append((spec.get("label") or spec["name"], value, spec.get("kind")))
    return rows


@login_required
def request_detail(request, pk):
    service_request = _visible_request(request.user, pk)
    approvals = list(service_request.approvals.all())
    waiting_ids = set(services.waiting_approvals(request.user).filter(request=service_request)
                      .values_list("pk", flat=True))
    return render(request, "fulfilment/request_detail.html", {
        "object": service_request, "values": _display_values(service_request), "approvals": approvals,
        "tasks": list(service_request.tasks.all()), "waiting_ids": waiting_ids, "decision_form": DecisionForm(),
        "may_accept_cost": (service_request.status == RequestStatus.COST_ACCEPTANCE
                            and services.may_accept_cost(request.user, service_request)),
        "may_fulfil": services.may_fulfil(request.user),
    })


@login_required
@require_POST
def approval_decide(request, pk, approval_pk):
    service_request = _visible_request(request.user, pk)
    approval = get_object_or_404(Approval.all_objects, pk=approval_pk, request=service_request)
    form = DecisionForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide(request.user, approval, approve, form.cleaned_data.get("comment", ""))
    except (ValidationError, PermissionDenied) as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Approved.") if approve else _("Rejected."))
    return redirect(service_request.get_absolute_url())


@login_required
@require_POST
def cost_decide(request, pk):
    service_request = _visible_request(request.user, pk)
    accept = request.POST.get("decision") == "accept"
    try:
        services.accept_cost(request.user, service_request, accept, request.POST.get("comment", ""))
    except (ValidationError, PermissionDenied) as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("The cost has been accepted.") if accept else _("The cost has been declined."))
    return redirect(service_request.get_absolute_url())


@login_required
def waiting(request):
    _require_view(request.user)
    approvals = (services.waiting_approvals(request.user)
                 .select_related("request__ticket", "request__request_type", "request__requester")
                 .order_by("requested_at", "id"))
    costs = services.waiting_cost_acceptances(request.user).select_related("ticket", "request_type", "requester")
    if request.method == "POST":
        form = DelegationForm(request.user, request.POST)
        if form.is_valid():
            try:
                services.save_delegation(request.user, form.cleaned_data["delegate"], form.cleaned_data["starts_on"],
                                         form.cleaned_data["ends_on"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your delegation has been recorded."))
                return redirect("fulfilment:waiting")
    else:
        form = DelegationForm(request.user)
    delegations = Delegation.objects.for_user(request.user).filter(approver=request.user).select_related("delegate")
    return render(request, "fulfilment/waiting.html", {
        "approvals": approvals[:PAGE_SIZE], "costs": costs[:PAGE_SIZE], "form": form, "delegations": delegations})


def _link_context(token):
    try:
        approval, user = services.read_token(token)
    except ValidationError as exc:
        return None, None, exc.messages[0]
    return approval, user, None


def approval_link(request, token):
    """The signed one-time link of the approval e-mail: GET shows what is decided, POST
    (with the CSRF token of that page) decides as the person the link was sent to."""
    approval, user, problem = _link_context(token)
    if problem is None and request.user.is_authenticated and request.user.pk != user.pk:
        problem = _("This link was sent to someone else.")
    done = None
    if problem is None and request.method == "POST":
        approve = request.POST.get("decision") == "approve"
        try:
            services.decide(user, approval, approve, request.POST.get("comment", ""))
        except (ValidationError, PermissionDenied) as exc:
            problem = " ".join(_messages_of(exc))
        else:
            done = _("Approved.") if approve else _("Rejected.")
    if problem is None and approval.decision != "pending" and done is None:
        problem = _("This approval has already been decided (%(decision)s).") % {
            "decision": approval.get_decision_display()}
    service_request = approval.request if approval else None
    return render(request, "fulfilment/approval_link.html", {
        "approval": approval, "object": service_request, "problem": problem, "done": done,
        "values": _display_values(service_request) if service_request and not problem else []},
        status=400 if problem and request.method == "POST" else 200)


@login_required
def task_list(request):
    if not services.may_fulfil(request.user):
        raise Http404
    teams = Team.objects.for_user(request.user).filter(organisation__kind="provider").order_by("name")
    team_id = request.GET.get("team", "")
    tasks = (FulfilmentTask.objects.for_user(request.user).filter(status=TaskStatus.OPEN,
                                                                  request__status=RequestStatus.FULFILMENT)
             .select_related("team", "request__ticket", "request__request_type", "request__organisation")
             .order_by("request__created_at", "position", "id"))
    if team_id.isdigit():
        tasks = tasks.filter(team_id=int(team_id))
    return render(request, "fulfilment/task_list.html", {"tasks": tasks[:PAGE_SIZE], "teams": teams,
                                                         "team_id": team_id})


@login_required
@require_POST
def task_done(request, pk):
    if not services.may_fulfil(request.user):
        raise Http404
    task = get_object_or_404(FulfilmentTask.objects.for_user(request.user).select_related("request"), pk=pk)
    try:
        services.complete_task(request.user, task, request.POST.get("note", ""))
    except (ValidationError, PermissionDenied) as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Task “%(task)s” is done.") % {"task": task.title})
    if request.POST.get("next") == "tasks":
        return redirect("fulfilment:task-list")
    return redirect(task.request.get_absolute_url())
