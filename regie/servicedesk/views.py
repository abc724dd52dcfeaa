from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from regie.catalogue.services import out_of_scope_answer
from regie.core.forms import add_service_errors
from regie.core.generic import ScopedDetailView, ScopedListView, ScopedMixin
from regie.core.models import AuditRecord

from . import services
from .choices import TicketStatus
from .conversation_views import ReplyForm, conversation_context
from .filtersets import TicketFilterSet
from .forms import TicketCreateForm, TicketUpdateForm
from .handling_views import handling_context
from .models import Ticket


class TicketListView(ScopedListView):
    model = Ticket
    view_permission = "servicedesk.view_ticket"
    template_name = "servicedesk/ticket_list.html"
    filterset_class = TicketFilterSet
    select_related = ("organisation", "requester", "assignee", "team")
    orderings = {
        "newest": (gettext_lazy("Newest first"), ["-created_at", "-id"]),
        "oldest": (gettext_lazy("Oldest first"), ["created_at", "id"]),
        "status": (gettext_lazy("Status"), ["status", "-id"]),
        "title": (gettext_lazy("Title"), ["title", "-id"]),
        "due": (gettext_lazy("Resolve by (soonest first)"), ["resolution_due_at", "id"]),
        "priority": (gettext_lazy("Priority"), ["priority", "-id"]),
    }
    default_ordering = "newest"
    export_name = "calls"
    export_columns = [
        (gettext_lazy("Reference"), "reference"),
        (gettext_lazy("Title"), "title"),
        (gettext_lazy("Organisation"), "organisation.name"),
        (gettext_lazy("Requester"), lambda t: str(t.requester)),
        (gettext_lazy("Type"), "kind"),
        (gettext_lazy("Status"), "status"),
        (gettext_lazy("Priority"), "priority"),
        (gettext_lazy("Team"), lambda t: str(t.team) if t.team_id else ""),
        (gettext_lazy("Assignee"), lambda t: str(t.assignee) if t.assignee_id else ""),
        (gettext_lazy("Registered at"), lambda t: t.created_at.isoformat()),
        (gettext_lazy("Respond by"), lambda t: t.response_due_at.isoformat() if t.response_due_at else ""),
        (gettext_lazy("Resolve by"), lambda t: t.resolution_due_at.isoformat() if t.resolution_due_at else ""),
        (gettext_lazy("Resolved at"), lambda t: t.resolved_at.isoformat() if t.resolved_at else ""),
    ]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.GET.get("sort") == "due":
            # Keyset pagination needs a value to compare: the soonest-first list holds
            # the calls whose clock runs (open, not paused).
            queryset = queryset.filter(resolution_due_at__isnull=False, status__in=TicketStatus.open_values())
        return queryset


class TicketDetailView(ScopedDetailView):
    model = Ticket
    view_permission = "servicedesk.view_ticket"
    template_name = "servicedesk/ticket_detail.html"
    lookup_field = "reference"
    lookup_url_kwarg = "reference"

    def get_scoped_queryset(self):
        return super().get_scoped_queryset().select_related(
            "organisation", "requester", "created_by", "service", "team", "assignee"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ticket = context["object"]
        context["can_edit"] = bool(services.editable_fields(self.request.user, ticket))
        context["out_of_scope_answer"] = out_of_scope_answer(ticket.service)
        context.update(handling_context(self.request, ticket))
        context.update(conversation_context(self.request, ticket, kwargs.get("reply_form")))
        context["history"] = AuditRecord.objects.for_user(self.request.user).filter(
            content_type__app_label="servicedesk", content_type__model="ticket", object_id=str(ticket.pk)
        ).select_related("actor")[:50]
        return context


class TicketCreateView(ScopedMixin, FormView):
    model = Ticket
    template_name = "servicedesk/ticket_form.html"
    form_class = TicketCreateForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("servicedesk.add_ticket"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            ticket = services.create_ticket(self.request.user, **form.classification())
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Call %(reference)s has been registered.") % {"reference": ticket.reference})
        return redirect(ticket)


class TicketUpdateView(ScopedDetailView, FormView):
    model = Ticket
    view_permission = "servicedesk.view_ticket"
    template_name = "servicedesk/ticket_form.html"
    form_class = TicketUpdateForm
    lookup_field = "reference"
    lookup_url_kwarg = "reference"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.editable_fields(request.user, self.get_object()):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "ticket": self.get_object()}

    def get_initial(self):
        ticket = self.get_object()
        initial = {name: getattr(ticket, name) for name in services.AGENT_FIELDS}
        initial["version"] = ticket.version
        return initial

    def form_valid(self, form):
        version = form.cleaned_data["version"]
        try:
            ticket = services.update_ticket(
                self.request.user, self.get_object(), form.changes(), expected_version=version
            )
        except services.ConflictError as exc:
            form.add_error(None, str(exc))
            response = self.form_invalid(form)
            response.status_code = 409
            return response
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Call %(reference)s has been saved.") % {"reference": ticket.reference})
        return redirect(ticket)


class TicketReplyView(TicketDetailView):
    """POST a reply or internal note (with attachments) from the call page. Works without
    JavaScript: success redirects back to the timeline, errors re-render the page (400)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        from . import conversation

        ticket = self.get_object()
        form = ReplyForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                conversation.add_message(
                    request.user, ticket, form.message_body(), internal=form.cleaned_data.get("internal") or False,
                    files=request.FILES.getlist("files"),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not reply to this call."))
            else:
                messages.success(request, _("Your message has been added."))
                return redirect(f"{ticket.get_absolute_url()}#timeline")
        self._object = Ticket.objects.for_user(request.user).select_related(
            "organisation", "requester", "created_by", "service", "team", "assignee"
        ).get(pk=ticket.pk)
        return self.render_to_response(self.get_context_data(reply_form=form), status=400)
