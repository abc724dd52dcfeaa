"""Keeping the canned responses of the reply form: list, create, change (or switch off) and
delete. For team leads and Regie's administrators (conversation.may_manage_canned); anyone
else gets a 404, as for the other provider-only pages. The rules live in conversation.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regie.core.forms import AccessibleFormMixin
from regie.core.generic import ScopedListView

from . import conversation
from .models import CannedResponse


def _require_manager(request):
    if not conversation.may_manage_canned(request.user):
        raise Http404


class CannedResponseForm(AccessibleFormMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=conversation.CANNED_TITLE_MAX_CHARS)
    body = forms.CharField(
        label=gettext_lazy("Text"), max_length=conversation.CANNED_BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("Plain text; simple formatting (bold, lists, links) is kept, anything else removed."),
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), queryset=CannedResponse.objects.none(), required=False,
        empty_label=gettext_lazy("Every team"),
        help_text=gettext_lazy("Offered only to the members of this team; leave empty for everyone."),
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("Active (offered in the reply form)"), required=False, initial=True,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = conversation.canned_team_choices()
        self.decorate_widgets()


class CannedResponseListView(ScopedListView):
    model = CannedResponse
    template_name = "servicedesk/canned_list.html"
    orderings = {
        "title": (gettext_lazy("Title"), ["title", "id"]),
        "team": (gettext_lazy("Team"), ["team__name", "title", "id"]),
    }
    default_ordering = "title"
    select_related = ("team",)

    def get(self, request, *args, **kwargs):
        _require_manager(request)
        return super().get(request, *args, **kwargs)

    def get_scoped_queryset(self):
        # Not tenant data: provider business, for those who keep it (checked in get()).
        if not conversation.may_manage_canned(self.request.user):
            return CannedResponse.objects.none()
        return CannedResponse.objects.all()

    def get_queryset(self):
        queryset = super().get_queryset()
        params = self.request.GET
        query = (params.get("q") or "").strip()
        if query:
            queryset = queryset.filter(Q(title__icontains=query) | Q(body__icontains=query))
        team = params.get("team")
        if team == "none":
            queryset = queryset.filter(team__isnull=True)
        elif team and team.isdigit():
            queryset = queryset.filter(team_id=int(team))
        if params.get("active") == "1":
            queryset = queryset.filter(is_active=True)
        elif params.get("active") == "0":
            queryset = queryset.filter(is_active=False)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["teams"] = conversation.canned_team_choices()
        context["filters"] = {key: self.request.GET.get(key, "") for key in ("q", "team", "active")}
        return context


def _save(request, canned, heading):
    initial = {"is_active": True} if canned is None else {
        "title": canned.title, "body": canned.body, "team": canned.team, "is_active": canned.is_active,
    }
    form = CannedResponseForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = conversation.save_canned_response(request.user, canned, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The canned response “%(title)s” has been saved.") % {"title": saved.title})
                return redirect("canned:list")
        status = 400
    return render(request, "servicedesk/canned_form.html", {
        "form": form, "canned": canned, "heading": heading,
    }, status=status)


@login_required
def canned_create(request):
    _require_manager(request)
    return _save(request, None, _("New canned response"))


@login_required
def canned_update(request, pk):
    _require_manager(request)
    canned = get_object_or_404(CannedResponse, pk=pk)
    return _save(request, canned, _("Edit canned response"))


@login_required
@require_POST
def canned_delete(request, pk):
    _require_manager(request)
    canned = get_object_or_404(CannedResponse, pk=pk)
    title = canned.title
    conversation.delete_canned_response(request.user, canned)
    messages.success(request, _("The canned response “%(title)s” has been deleted.") % {"title": title})
    return redirect("canned:list")
