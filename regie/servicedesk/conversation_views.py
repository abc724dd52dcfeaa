"""The conversation on the call page: reply form, timeline, attachment download, merge,
parent/child links and the satisfaction rating. The reply itself is posted to
`views.TicketReplyView` (so a failed reply re-renders the call page with the errors)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from regie.core.forms import AccessibleFormMixin
from regie.core.models import AuditRecord

from . import conversation, services
from .choices import TicketStatus
from .models import Attachment, CannedResponse, SatisfactionRating, Ticket, TicketMerge, TicketMessage
from .page_actions import apply_form_action, rerender_call_page


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Renders a multi-file control; the files are checked by conversation.check_file."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        return [item for item in (data if isinstance(data, list | tuple) else [data]) if item]


class CannedSelect(forms.Select):
    """Each option carries its text (data-body), which regie/canned.js puts into the message."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-body"] = instance.body
        return option


class ReplyForm(AccessibleFormMixin, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"), required=False, max_length=conversation.BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Plain text; simple formatting (bold, lists, links) is kept."),
    )
    canned = forms.ModelChoiceField(
        label=gettext_lazy("Canned response"), queryset=CannedResponse.objects.none(), required=False,
        help_text=gettext_lazy("Its text is added to the message."), widget=CannedSelect,
    )
    internal = forms.BooleanField(label=gettext_lazy("Internal note (not visible to the caller)"), required=False)
    # The files themselves come from request.FILES; the field only renders the control.
    files = MultipleFileField(label=gettext_lazy("Attachments"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if services.is_agent(user):
            self.fields["canned"].queryset = conversation.canned_responses_for(user)
            self.fields["canned"].widget.attrs.update({"data-canned-target": "id_body"})
        else:
            del self.fields["canned"]
            del self.fields["internal"]
        self.fields["files"].help_text = _("At most %(count)s files of %(size)s MB each: %(types)s.") % {
            "count": conversation.attachment_max_count(),
            "size": conversation._megabytes(conversation.attachment_max_bytes()),
            "types": ", ".join(sorted(conversation.ALLOWED_TYPES)),
        }
        self.decorate_widgets()

    def message_body(self):
        body = self.cleaned_data.get("body") or ""
        canned = self.cleaned_data.get("canned")
        if canned is not None:
            body = f"{body}\n\n{canned.body}".strip() if body.strip() else canned.body
        return body


class MergeForm(AccessibleFormMixin, forms.Form):
    into = forms.CharField(label=gettext_lazy("Merge into call (reference)"), max_length=20)


class LinkChildForm(AccessibleFormMixin, forms.Form):
    child = forms.CharField(label=gettext_lazy("Add child call (reference)"), max_length=20)


class RatingForm(AccessibleFormMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you with how this call was handled?"), coerce=int,
        choices=[(n, str(n)) for n in range(1, 6)], widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


# --- the call page --------------------------------------------------------------------------


def _status_label(value):
    try:
        return TicketStatus(value).label
    except ValueError:
        return value or "—"


def timeline(user, ticket):
    """Messages, attachments, status changes and hand-overs of a call, oldest first.
    A fixed number of queries whatever the length; internal notes only for provider staff."""
    entries = []
    message_list = (
        TicketMessage.objects.for_user(user)
        .filter(ticket=ticket)
        .select_related("author__organisation")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.unrestricted().order_by("id")))
    )
    for message in message_list:
        entries.append({"type": "message", "at": message.created_at, "message": message})
    loose = Attachment.objects.for_user(user).filter(ticket=ticket, message__isnull=True).select_related(
        "uploaded_by"
    )
    for attachment in loose:
        entries.append({"type": "attachment", "at": attachment.created_at, "attachment": attachment})
    records = AuditRecord.objects.unrestricted().filter(
        content_type=ContentType.objects.get_for_model(Ticket), object_id=str(ticket.pk), changes__has_key="status"
    ).select_related("actor").only(
        "timestamp", "actor_label", "changes", "action", "actor__first_name", "actor__last_name", "actor__username"
    )
    for record in records:
        old, new = (record.changes.get("status") or [None, None])[:2]
        entries.append({
            "type": "status", "at": record.timestamp,
            "actor": str(record.actor) if record.actor_id and record.actor else record.actor_label,
            "old": _status_label(old) if old else None, "new": _status_label(new),
        })
    for transfer in ticket.transfers.select_related("from_team", "to_team", "transferred_by"):
        entries.append({"type": "transfer", "at": transfer.transferred_at, "transfer": transfer})
    for escalation in ticket.escalations.select_related("raised_by", "closed_by"):
        entries.append({"type": "escalation", "at": escalation.raised_at, "escalation": escalation})
        if escalation.closed_at:
            entries.append({"type": "escalation_outcome", "at": escalation.closed_at, "escalation": escalation})
    entries.sort(key=lambda entry: entry["at"])
    return entries


def conversation_context(request, ticket, reply_form=None):
    user = request.user
    agent = services.is_agent(user)
    can_reply = conversation.may_reply(user, ticket)
    merge = TicketMerge.objects.filter(duplicate=ticket).select_related("into").first()
    visible = Ticket.objects.for_user(user)
    rating = SatisfactionRating.objects.filter(ticket=ticket).first()
    open_call = ticket.status != TicketStatus.CLOSED and merge is None
    return {
        "timeline": timeline(user, ticket),
        "show_internal": user.is_provider_staff,
        # A failed post keeps its form (with the reason) even where a new one is not offered.
        "reply_form": reply_form if reply_form is not None else (
            ReplyForm(user=user) if can_reply and merge is None else None
        ),
        "merge": merge,
        "merge_into_visible": merge is not None and visible.filter(pk=merge.into_id).exists(),
        "parent_call": visible.filter(pk=ticket.parent_id).first() if ticket.parent_id else None,
        "child_calls": list(visible.filter(parent=ticket).only("reference", "title", "status")),
        "merge_form": MergeForm() if agent and open_call else None,
        "link_child_form": LinkChildForm() if agent else None,
        "rating": rating,
        "can_manage_canned": agent and conversation.may_manage_canned(user),
        "rating_form": RatingForm() if rating is None and conversation.may_rate(user, ticket) else None,
    }


def _visible_ticket(request, reference):
    return get_object_or_404(Ticket.objects.for_user(request.user), reference=reference)


# --- attachment download --------------------------------------------------------------------


@login_required
@require_GET
def attachment_download(request, reference, pk):
    """Only after the same scope check as the call; always a download, never rendered."""
    ticket = _visible_ticket(request, reference)
    attachment = get_object_or_404(conversation.attachments_for(request.user, ticket), pk=pk)
    return conversation.download_response(attachment)


# --- merge, parent/child, rating ------------------------------------------------------------


@login_required
@require_POST
def merge_view(request, reference):
    ticket = _visible_ticket(request, reference)
    if not services.is_agent(request.user):
        raise PermissionDenied

    def act(data):
        into = Ticket.objects.for_user(request.user).filter(reference=data["into"].strip().upper()).first()
        if into is None:
            raise ValidationError(_("There is no call %(reference)s.") % {"reference": data["into"]})
        try:
            conversation.merge_tickets(request.user, ticket, into)
        except Ticket.DoesNotExist as exc:
            raise Http404 from exc

    if apply_form_action(request, MergeForm(request.POST), act, _("The call has been merged.")):
        return redirect(ticket)
    return rerender_call_page(request, reference)


@login_required
@require_POST
def link_child_view(request, reference):
    ticket = _visible_ticket(request, reference)
    if not services.is_agent(request.user):
        raise PermissionDenied

    def act(data):
        child = Ticket.objects.for_user(request.user).filter(reference=data["child"].strip().upper()).first()
        if child is None:
            raise ValidationError(_("There is no call %(reference)s.") % {"reference": data["child"]})
        conversation.link_child(request.user, ticket, child)

    if apply_form_action(request, LinkChildForm(request.POST), act, _("The child call has been linked.")):
        return redirect(ticket)
    return rerender_call_page(request, reference)


@login_required
@require_POST
def unlink_child_view(request, reference, child):
    ticket = _visible_ticket(request, reference)
    if not services.is_agent(request.user):
        raise PermissionDenied
    child_ticket = get_object_or_404(Ticket.objects.for_user(request.user), reference=child, parent=ticket)
    conversation.unlink_child(request.user, child_ticket)
    messages.success(request, _("The child call has been unlinked."))
    return redirect(ticket)


@login_required
@require_POST
def rating_view(request, reference):
    ticket = _visible_ticket(request, reference)

    def act(data):
        conversation.rate_ticket(request.user, ticket, data["score"], data.get("comment", ""))

    if apply_form_action(request, RatingForm(request.POST), act, _("Thank you for your rating.")):
        return redirect(ticket)
    return rerender_call_page(request, reference)
