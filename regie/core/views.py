from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from regie.servicedesk.choices import TicketStatus
from regie.servicedesk.models import Ticket
from regie.servicedesk.stats import weekly_intake

from .generic import ScopedDetailView, ScopedListView
from .models import Location, Organisation, Team, User
from .roles import role_label


@login_required
def home(request):
    """Dashboard: open calls by status and, for provider staff, per municipality."""
    tickets = Ticket.objects.for_user(request.user)
    open_tickets = tickets.filter(status__in=TicketStatus.open_values())
    by_status = {row["status"]: row["n"] for row in open_tickets.values("status").annotate(n=Count("id"))}
    status_rows = [
        (label, by_status.get(value, 0), value)
        for value, label in TicketStatus.choices
        if value in TicketStatus.open_values()
    ]
    per_organisation = []
    if request.user.is_provider_staff:
        per_organisation = list(
            open_tickets.values("organisation__name").annotate(n=Count("id")).order_by("-n", "organisation__name")
        )
    recent = tickets.select_related("organisation", "requester").order_by("-created_at", "-id")[:8]
    sees_organisation = request.user.is_provider_staff or request.user.has_perm("servicedesk.view_organisation_tickets")
    intake = weekly_intake(tickets) if sees_organisation else None
    return render(
        request,
        "core/home.html",
        {
            "open_count": sum(by_status.values()),
            "status_rows": status_rows,
            "per_organisation": per_organisation,
            "recent": recent,
            "intake": intake,
            "roles": [role_label(code) for code in sorted(request.user.role_codes)],
        },
    )


class OrganisationListView(ScopedListView):
    model = Organisation
    template_name = "core/organisation_list.html"
    orderings = {"name": (_("Name"), ["name", "id"])}
    default_ordering = "name"


class OrganisationDetailView(ScopedDetailView):
    model = Organisation
    template_name = "core/organisation_detail.html"

    def get_scoped_queryset(self):
        return super().get_scoped_queryset().select_related("account_manager", "representative", "information_advisor")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = context["object"]
        user = self.request.user
        context["locations"] = Location.objects.for_user(user).filter(organisation=organisation)
        context["teams"] = Team.objects.for_user(user).filter(organisation=organisation).select_related("lead")
        return context


class PersonListView(ScopedListView):
    model = User
    template_name = "core/person_list.html"
    select_related = ("organisation",)
    orderings = {"name": (_("Name"), ["last_name", "first_name", "id"])}
    default_ordering = "name"

    def get_scoped_queryset(self):
        user = self.request.user
        queryset = User.objects.for_user(user)
        if not user.is_provider_staff and not user.has_perm("core.view_organisation_people"):
            queryset = queryset.filter(Q(pk=user.pk) | Q(manager=user))
        return queryset


class PersonDetailView(ScopedDetailView):
    model = User
    template_name = "core/person_detail.html"

    def get_scoped_queryset(self):
        return PersonListView(request=self.request).get_scoped_queryset().select_related("organisation", "manager")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = context["object"]
        context["roles"] = [role_label(code) for code in sorted(person.role_codes)]
        context["teams"] = person.teams.all()
        return context


@login_required
def search(request):
    """Global search over organisations, people and calls, within the user's scope."""
    query = request.GET.get("q", "").strip()[:100]
    results = {"organisations": [], "people": [], "tickets": []}
    if len(query) >= 2:
        user = request.user
        results["organisations"] = list(
            Organisation.objects.for_user(user).filter(Q(name__icontains=query) | Q(code__iexact=query))[:10]
        )
        results["people"] = list(
            PersonListView(request=request).get_scoped_queryset().filter(
                Q(username__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
                | Q(email__icontains=query)
            ).select_related("organisation")[:10]
        )
        results["tickets"] = list(
            Ticket.objects.for_user(user).filter(Q(reference__iexact=query) | Q(title__icontains=query))
            .select_related("organisation").order_by("-created_at", "-id")[:20]
        )
    return render(request, "core/search.html", {"query": query, "results": results,
                                                "total": sum(len(v) for v in results.values())})


@require_POST
def set_language(request):
    """Switch the UI language; a signed-in user's choice is saved on their profile."""
    language = request.POST.get("language", settings.LANGUAGE_CODE)
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    next_url = request.POST.get("next") or "/"
    allowed = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not allowed:
        next_url = "/"
    if request.user.is_authenticated and request.user.preferred_language != language:
        request.user.preferred_language = language
        request.user.save(update_fields=["preferred_language"])
    request.session["regie_language"] = language
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=True,
    )
    return response
