"""Agreement pages: overview (current version, term, signatories, open proposals with their
consent progress), version detail with its document, proposal detail with the representative's
consent and decline buttons, the new proposal form and the history (CSV / Excel). The agreement
is common to all parties: whoever holds agreement.view_agreement reads it all; others get 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regie.core.forms import add_service_errors

from . import services
from .choices import ProposalStatus
from .forms import DeclineForm, DocumentForm, ProposalForm, SignatureForm
from .models import AgreementVersion, ChangeProposal, Signatory


def _viewer_or_404(request):
    if not services.may_view(request.user):
        raise Http404


def _error_messages(request, exc):
    for message in exc.messages:
        messages.error(request, message)


@login_required
def overview(request):
    _viewer_or_404(request)
    agreement = services.current_agreement()
    version = services.current_version(agreement)
    # Open proposals for everyone; drafts only for provider proposers and their own proposer.
    drafts = Q(status=ProposalStatus.DRAFT) if services.is_provider_proposer(request.user) else Q(
        status=ProposalStatus.DRAFT, proposer=request.user)
    proposals = list(ChangeProposal.objects.for_user(request.user).filter(Q(status=ProposalStatus.OPEN) | drafts)
                     .select_related("proposer").order_by("-created_at", "-id"))
    user = request.user
    progress = services.progress_for(proposals)
    parties, other_parties = services.party_labels(user, list(agreement.parties.order_by("-kind", "name"))
                                                   if agreement else [])
    signatories = list(version.signatories.select_related("organisation", "person")) if version else []
    return render(request, "agreement/overview.html", {
        "agreement": agreement,
        "parties": parties,
        "other_parties": other_parties,
        "version": version,
        "signatories": services.signatory_rows(user, signatories),
        "proposals": [(proposal, services.for_viewer(progress[proposal.pk], user)) for proposal in proposals],
        "may_propose": services.may_propose(request.user),
        "may_manage": services.may_manage(request.user),
        "signature_form": SignatureForm(),
    })


@login_required
def history(request):
    _viewer_or_404(request)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        from regie.core.audit import write_record
        from regie.core.exports import stream_csv, xlsx_response

        write_record("export", object_repr=f"agreement-history ({export})")
        header = [str(title) for title in services.history_header()]
        if export == "csv":
            return stream_csv("agreement-history", header, services.history_rows(request.user))
        return xlsx_response("agreement-history", header, services.history_rows(request.user))
    user = request.user
    versions = list(AgreementVersion.objects.for_user(user).select_related("source_proposal").order_by("-number"))
    proposals = [
        (proposal, services.proposer_label(user, proposal), services.consent_rows(user, proposal))
        for proposal in services.history_proposals().filter(
            pk__in=ChangeProposal.objects.for_user(user).values("pk")).order_by("-created_at", "-id")
    ]
    return render(request, "agreement/history.html", {"versions": versions, "proposals": proposals})


@login_required
def version_detail(request, pk):
    _viewer_or_404(request)
    version = get_object_or_404(AgreementVersion.objects.for_user(request.user).select_related(
        "agreement", "source_proposal"), pk=pk)
    return render(request, "agreement/version_detail.html", {
        "version": version,
        "current": services.current_version(version.agreement),
        "signatories": services.signatory_rows(
            request.user, list(version.signatories.select_related("organisation", "person"))),
        "may_manage": services.may_manage(request.user),
        "document_form": DocumentForm(),
        "signature_form": SignatureForm(),
    })


@login_required
def version_document(request, pk):
    _viewer_or_404(request)
    version = get_object_or_404(AgreementVersion.objects.for_user(request.user), pk=pk)
    return services.document_response(version)


@login_required
@require_POST
def version_upload(request, pk):
    _viewer_or_404(request)
    if not services.may_manage(request.user):
        raise Http404
    version = get_object_or_404(AgreementVersion.objects.for_user(request.user), pk=pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        _error_messages(request, ValidationError(_("Choose a PDF document to upload.")))
        return redirect(version)
    try:
        services.attach_document(request.user, version, form.cleaned_data["document"])
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("The document of version %(number)s is stored.") % {"number": version.number})
    return redirect(version)


@login_required
@require_POST
def signatory_sign(request, pk):
    _viewer_or_404(request)
    if not services.may_manage(request.user):
        raise Http404
    signatory = get_object_or_404(Signatory.objects.for_user(request.user).select_related("version"), pk=pk)
    form = SignatureForm(request.POST)
    form.is_valid()
    try:
        services.record_signature(request.user, signatory, signed_on=form.cleaned_data.get("signed_on"))
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("The signature of %(organisation)s is recorded.") % {
            "organisation": signatory.organisation})
    return redirect(signatory.version)


@login_required
def proposal_create(request):
    _viewer_or_404(request)
    if not services.may_propose(request.user):
        raise Http404
    agreement = services.current_agreement()
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.propose(request.user, agreement, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Proposal %(ref)s saved as a draft.") % {"ref": proposal.reference})
            return redirect(proposal)
    return render(request, "agreement/proposal_form.html", {"form": form, "agreement": agreement})


def _proposal(request, pk):
    _viewer_or_404(request)
    return get_object_or_404(ChangeProposal.objects.for_user(request.user).select_related(
        "agreement", "proposer__organisation", "base_version"), pk=pk)


@login_required
def proposal_detail(request, pk, decline_form=None, status=200):
    proposal = _proposal(request, pk)
    user = request.user
    organisation = services.represented_organisation(user)
    progress = services.for_viewer(services.ConsentProgress(proposal), user)
    own = next((consent for org, consent in progress.rows if organisation and org.pk == organisation.pk), None)
    return render(request, "agreement/proposal_detail.html", {
        "proposal": proposal,
        "proposer": services.proposer_label(user, proposal),
        "progress": progress,
        "resulting_version": AgreementVersion.objects.filter(source_proposal=proposal).first(),
        "represented": organisation,
        "may_decide": organisation is not None and proposal.status == ProposalStatus.OPEN and own is None,
        "may_steer": services.may_steer(user, proposal),
        "decline_form": decline_form or DeclineForm(),
    }, status=status)


def _run(request, proposal, action, success):
    try:
        action()
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, success)
    return redirect("agreement:proposal-detail", pk=proposal.pk)


@login_required
@require_POST
def proposal_open(request, pk):
    proposal = _proposal(request, pk)
    return _run(request, proposal, lambda: services.open_for_consent(request.user, proposal),
                _("The proposal is open for consent; the representatives have been told."))


@login_required
@require_POST
def proposal_withdraw(request, pk):
    proposal = _proposal(request, pk)
    return _run(request, proposal, lambda: services.withdraw(request.user, proposal),
                _("The proposal is withdrawn."))


@login_required
@require_POST
def proposal_consent(request, pk):
    proposal = _proposal(request, pk)
    return _run(request, proposal, lambda: services.consent(request.user, proposal),
                _("Your consent is recorded."))


@login_required
@require_POST
def proposal_decline(request, pk):
    proposal = _proposal(request, pk)
    form = DeclineForm(request.POST)
    form.is_valid()
    try:
        services.decline(request.user, proposal, form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            add_service_errors(form, exc)
            return proposal_detail(request, pk, decline_form=form, status=400)
        _error_messages(request, exc)
        return redirect(proposal)
    messages.success(request, _("You declined the proposal; it is rejected."))
    return redirect(proposal)
