"""The notifications page: a person's own notifications, mark read, preferences.

Every lookup goes through `Notification.objects.for_user()`: another person's
notification is a 404, even for provider staff."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from regie.core.generic import ScopedListView

from . import services
from .events import EVENTS
from .models import Notification, NotificationPreference


class NotificationListView(ScopedListView):
    model = Notification
    template_name = "integrations/notification_list.html"
    orderings = {"newest": (_("Newest first"), ["-created_at", "-id"])}
    default_ordering = "newest"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.GET.get("unread") == "1":
            queryset = queryset.unread()
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["only_unread"] = self.request.GET.get("unread") == "1"
        context["unread_count"] = services.unread_count(self.request.user)
        return context


def _safe_next(request, fallback):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def mark_read(request, pk):
    """Marks one of the user's own notifications read; with open=1, follows its link."""
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    if request.POST.get("open") == "1" and notification.url:
        return HttpResponseRedirect(notification.url)
    return redirect(_safe_next(request, "notifications:list"))


@login_required
@require_POST
def mark_all_read(request):
    count = services.mark_read(request.user)
    if count:
        messages.success(request, _("All notifications marked as read."))
    return redirect(_safe_next(request, "notifications:list"))


@login_required
def preferences(request):
    """Per event: by e-mail and/or in Regie. An unticked box means off."""
    saved = {row.event: row for row in NotificationPreference.objects.filter(user=request.user)}
    if request.method == "POST":
        for event in EVENTS:
            NotificationPreference.objects.update_or_create(
                user=request.user, event=event,
                defaults={
                    "email": request.POST.get(f"{event}:email") == "on",
                    "in_app": request.POST.get(f"{event}:in_app") == "on",
                },
            )
        messages.success(request, _("Your notification preferences have been saved."))
        return redirect("notifications:preferences")
    rows = [
        {
            "event": event,
            "label": label,
            "email": saved[event].email if event in saved else True,
            "in_app": saved[event].in_app if event in saved else True,
        }
        for event, label in EVENTS.items()
    ]
    return render(request, "integrations/preferences.html", {"rows": rows})
