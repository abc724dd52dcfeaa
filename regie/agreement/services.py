"""Rules of the agreement (DVO §1, §7.1). Plain functions taking the actor, used by the pages
and the API alike; a refusal is a ValidationError with a clear reason and writes nothing.

Proposal status flow:

    draft → open (for consent) → effective | rejected;   withdrawn from draft or open.

- Provider staff holding agreement.add_changeproposal, and the representative of a
  participant, may propose a change; the proposer (or provider staff with that permission)
  opens it for consent or withdraws it.
- A proposal can be opened only when every active participant has a representative
  (otherwise it could never take effect). Opening tells the representatives.
- Only the representative of an active participant (Organisation.representative) consents
  or declines, once per participant, and only while the proposal is open. Declining needs a
  reason and rejects the proposal.
- When EVERY active participant's representative has consented, the proposal takes effect:
  a new version (number + 1, effective today, the proposed text or the current text) becomes
  current, signed for each participant by its consenting representative; the provider's
  signature is recorded separately.
"""

import io
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from regie.core.choices import OrganisationKind
from regie.core.models import Organisation
from regie.core.tenancy import is_provider_staff

from .choices import ConsentDecision, ProposalStatus
from .models import VIEW_PERMISSION, Agreement, AgreementVersion, ChangeProposal, Consent, Signatory

PROPOSE_PERMISSION = "agreement.add_changeproposal"
MANAGE_PERMISSION = "agreement.change_agreement"
OPENED_EVENT = "agreement.proposal_opened"
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024


def may_view(user):
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(VIEW_PERMISSION))


def represented_organisation(user):
    """The active participant `user` represents, or None."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    organisation = getattr(user, "organisation", None)
    if (organisation is not None and organisation.kind == OrganisationKind.PARTICIPANT and organisation.is_active
            and organisation.representative_id == user.pk):
        return organisation
    return None


def is_provider_proposer(user):
    return is_provider_staff(user) and user.has_perm(PROPOSE_PERMISSION)


def may_propose(user):
    return may_view(user) and (is_provider_proposer(user) or represented_organisation(user) is not None)


def may_manage(user):
    return is_provider_staff(user) and user.has_perm(MANAGE_PERMISSION)


def may_steer(user, proposal):
    """Open or withdraw: the proposer, or provider staff who may propose."""
    return may_view(user) and (proposal.proposer_id == user.pk or is_provider_proposer(user))


def sees_all_parties(user):
    """Provider staff and auditors see every party by name. A participant's people see their own
    organisation and the provider by name, the other participants only as "another participant"
    (tenancy: a municipality does not see another's organisation or people, as elsewhere)."""
    return is_provider_staff(user) or (user.is_authenticated and user.has_role("auditor"))


def party_visible(user, organisation_id, kind=None):
    if sees_all_parties(user) or organisation_id == getattr(user, "organisation_id", None):
        return True
    return kind == OrganisationKind.PROVIDER


def party_label(user, organisation):
    if party_visible(user, organisation.pk, organisation.kind):
        return organisation.name
    return _("another participant")


def person_label(user, organisation, person):
    if person is None:
        return ""
    if not party_visible(user, organisation.pk, organisation.kind):
        return ""
    return person.get_full_name() or person.username


def current_agreement():
    return Agreement.objects.unrestricted().select_related("provider").order_by("pk").first()


def current_version(agreement):
    if agreement is None:
        return None
    return AgreementVersion.objects.unrestricted().filter(agreement=agreement).order_by("-number").first()


def required_organisations():
    """The participants whose representative must consent: every active participant."""
    return list(Organisation.objects.unrestricted().filter(kind=OrganisationKind.PARTICIPANT, is_active=True)
                .select_related("representative").order_by("name"))


class ConsentProgress:
    """Who has consented, who declined and who still has to, for one proposal."""

    def __init__(self, proposal, organisations=None, consents=None):
        organisations = required_organisations() if organisations is None else organisations
        if consents is None:
            consents = list(proposal.consents.select_related("person", "organisation"))
        by_org = {consent.organisation_id: consent for consent in consents}
        self.rows = [(organisation, by_org.get(organisation.pk)) for organisation in organisations]
        self.required = len(organisations)
        self.consented = sum(1 for _org, c in self.rows if c and c.decision == ConsentDecision.CONSENTED)
        self.declined = [c for _org, c in self.rows if c and c.decision == ConsentDecision.DECLINED]
        self.pending = [organisation for organisation, consent in self.rows if consent is None]

    @property
    def complete(self):
        return self.required > 0 and self.consented == self.required

    @property
    def percent(self):
        return round(100 * self.consented / self.required) if self.required else 0

    def pending_names(self, user):
        """Who still has to consent, as `user` may see them: other participants are counted, not named."""
        names, hidden = [], 0
        for org in self.pending:
            if not party_visible(user, org.pk, org.kind):
                hidden += 1
                continue
            person = person_label(user, org, org.representative)
            names.append(f"{person} ({org.name})" if person else org.name)
        if hidden:
            names.append(ngettext("%(count)d other participant", "%(count)d other participants", hidden)
                         % {"count": hidden})
        return names

    def display_rows(self, user):
        """(label, representative's name, consent, is own organisation) per participant."""
        own = getattr(user, "organisation_id", None)
        rows = sorted(self.rows, key=lambda row: not party_visible(user, row[0].pk, row[0].kind))
        return [
            (party_label(user, org), person_label(user, org, consent.person if consent else org.representative),
             consent, org.pk == own, consent_reason(user, consent) if consent else "")
            for org, consent in rows
        ]


def for_viewer(progress, user):
    """Attach what `user` may see of a ConsentProgress (used by the templates and the API)."""
    progress.pending_display = progress.pending_names(user)
    progress.display = progress.display_rows(user)
    return progress


def signatory_rows(user, signatories):
    """(organisation label, signer's name, signatory) as `user` may see them."""
    signatories = sorted(signatories, key=lambda s: not party_visible(user, s.organisation_id, s.organisation.kind))
    return [(party_label(user, s.organisation), person_label(user, s.organisation, s.person) and s.name, s)
            for s in signatories]


def party_labels(user, parties):
    """The names of the parties `user` may see, and how many other participants there are."""
    shown = [party.name for party in parties if party_visible(user, party.pk, party.kind)]
    return shown, len(parties) - len(shown)


def progress_for(proposals):
    """ConsentProgress per proposal id for a list of proposals, in two queries."""
    organisations = required_organisations()
    consents = {}
    for consent in Consent.objects.unrestricted().filter(proposal__in=proposals).select_related("person"):
        consents.setdefault(consent.proposal_id, []).append(consent)
    return {p.pk: ConsentProgress(p, organisations, consents.get(p.pk, [])) for p in proposals}


def _locked(proposal):
    return ChangeProposal.objects.unrestricted().select_for_update().get(pk=proposal.pk)


def _text_errors(values, names):
    errors = {}
    labels = {"title": _("Give the proposal a title."), "changes": _("Describe what changes."),
              "reason": _("Explain why the agreement should change.")}
    for name in names:
        if not str(values.get(name) or "").strip():
            errors[name] = [labels[name]]
    return errors


# --- proposals --------------------------------------------------------------------------------

@transaction.atomic
def propose(actor, agreement, values):
    """A new draft proposal (title, changes, reason, optional proposed_text)."""
    if not may_propose(actor):
        raise PermissionDenied(_("Only provider staff and the representatives of participants may propose a change."))
    if agreement is None:
        raise ValidationError(_("There is no agreement to change yet."))
    errors = _text_errors(values, ("title", "changes", "reason"))
    if errors:
        raise ValidationError(errors)
    return ChangeProposal.objects.create(
        agreement=agreement, proposer=actor, title=values["title"].strip(), changes=values["changes"].strip(),
        reason=values["reason"].strip(), proposed_text=(values.get("proposed_text") or "").strip(),
    )


@transaction.atomic
def open_for_consent(actor, proposal):
    proposal = _locked(proposal)
    if not may_steer(actor, proposal):
        raise PermissionDenied(_("Only the proposer or the provider's staff may open this proposal."))
    if proposal.status != ProposalStatus.DRAFT:
        raise ValidationError(_("Only a draft proposal can be opened for consent."))
    organisations = required_organisations()
    if not organisations:
        raise ValidationError(_("There are no active participants to consent."))
    without = [org.name for org in organisations if not (org.representative_id and org.representative.is_active)]
    if without:
        raise ValidationError(_("These participants have no (active) representative to consent: %(names)s.")
                              % {"names": ", ".join(without)})
    proposal.status = ProposalStatus.OPEN
    proposal.opened_at = timezone.now()
    proposal.base_version = current_version(proposal.agreement)
    proposal.save()
    _notify_opened(proposal, [org.representative for org in organisations])
    return proposal


def _notify_opened(proposal, representatives):
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy

    from regie.integrations.services import notify

    notify(OPENED_EVENT, proposal, representatives, {
        "title": format_lazy(gettext_lazy("Your consent is asked for a change of the agreement: {title}"),
                             title=proposal.title),
        "body": proposal.changes,
    })


@transaction.atomic
def withdraw(actor, proposal):
    proposal = _locked(proposal)
    if not may_steer(actor, proposal):
        raise PermissionDenied(_("Only the proposer or the provider's staff may withdraw this proposal."))
    if proposal.status not in (ProposalStatus.DRAFT, ProposalStatus.OPEN):
        raise ValidationError(_("Only a draft or open proposal can be withdrawn."))
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.closed_at = timezone.now()
    proposal.save()
    return proposal


def check_may_decide(actor, proposal):
    """Refuse (ValidationError) unless `actor` may still consent to or decline `proposal`."""
    return _decider_checks(actor, proposal)


def _decider_checks(actor, proposal):
    """The organisation `actor` decides for; refusals as ValidationErrors."""
    organisation = represented_organisation(actor)
    if organisation is None:
        raise ValidationError(_("Only the representative of a participating organisation can consent to or "
                                "decline a change of the agreement."))
    if proposal.status != ProposalStatus.OPEN:
        raise ValidationError(_("This proposal is not open for consent (it is %(status)s).")
                              % {"status": proposal.get_status_display()})
    earlier = Consent.objects.unrestricted().filter(proposal=proposal, organisation=organisation).first()
    if earlier is not None:
        raise ValidationError(_("%(organisation)s has already %(decision)s on %(date)s.") % {
            "organisation": organisation.name, "decision": earlier.get_decision_display(),
            "date": timezone.localtime(earlier.decided_at).strftime("%d-%m-%Y")})
    return organisation


@transaction.atomic
def consent(actor, proposal):
    """The representative consents; on the last consent the proposal takes effect."""
    proposal = _locked(proposal)
    organisation = _decider_checks(actor, proposal)
    Consent.objects.create(proposal=proposal, organisation=organisation, person=actor,
                           decision=ConsentDecision.CONSENTED)
    if ConsentProgress(proposal).complete:
        _take_effect(proposal)
    return proposal


@transaction.atomic
def decline(actor, proposal, reason):
    proposal = _locked(proposal)
    organisation = _decider_checks(actor, proposal)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for declining.")]})
    Consent.objects.create(proposal=proposal, organisation=organisation, person=actor,
                           decision=ConsentDecision.DECLINED, reason=reason)
    proposal.status = ProposalStatus.REJECTED
    proposal.closed_at = timezone.now()
    proposal.save()
    return proposal


def _take_effect(proposal):
    agreement = proposal.agreement
    base = current_version(agreement)
    today = timezone.localdate()
    version = AgreementVersion.objects.create(
        agreement=agreement, number=(base.number + 1) if base else 1, effective_date=today,
        summary=f"{proposal.title}\n\n{proposal.changes}",
        text=proposal.proposed_text or (base.text if base else ""),
        source_proposal=proposal,
    )
    consents = Consent.objects.unrestricted().filter(proposal=proposal).select_related("person")
    for consent_ in consents:
        Signatory.objects.create(
            version=version, organisation_id=consent_.organisation_id, person=consent_.person,
            name=consent_.person.get_full_name() or consent_.person.username, signed=True,
            signed_on=timezone.localdate(consent_.decided_at),
        )
    Signatory.objects.create(version=version, organisation=agreement.provider, signed=False)
    proposal.status = ProposalStatus.EFFECTIVE
    proposal.closed_at = timezone.now()
    proposal.save()
    return version


# --- signatures and documents ----------------------------------------------------------------

@transaction.atomic
def record_signature(actor, signatory, person=None, signed_on=None):
    """Provider staff who manage the agreement record a party's signature."""
    if not may_manage(actor):
        raise PermissionDenied(_("Only the provider's agreement managers may record signatures."))
    signatory = Signatory.objects.unrestricted().select_for_update().get(pk=signatory.pk)
    if signatory.signed:
        raise ValidationError(_("This signature has already been recorded."))
    signed_on = signed_on or timezone.localdate()
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": [_("A signature cannot be dated in the future.")]})
    person = person or (actor if signatory.organisation_id == actor.organisation_id else signatory.person)
    if person is not None and person.organisation_id != signatory.organisation_id:
        raise ValidationError({"person": [_("The person signs for their own organisation.")]})
    signatory.person = person
    signatory.name = (person.get_full_name() or person.username) if person else signatory.name
    signatory.signed = True
    signatory.signed_on = signed_on
    signatory.save()
    return signatory


def check_pdf(upload):
    """A real PDF (by its content, not its name or claimed type), within the size limit."""
    from regie.servicedesk.conversation import clean_filename

    name = clean_filename(getattr(upload, "name", ""))
    content = upload.read(DOCUMENT_MAX_BYTES + 1)
    if len(content) > DOCUMENT_MAX_BYTES:
        raise ValidationError({"document": [_("“%(name)s” is too large: at most %(limit)s MB.") % {
            "name": name, "limit": DOCUMENT_MAX_BYTES // (1024 * 1024)}]})
    if not name.lower().endswith(".pdf") or not content.startswith(b"%PDF-"):
        raise ValidationError({"document": [_("“%(name)s” is not accepted: only a PDF document may be uploaded.")
                                            % {"name": name}]})
    return name, content


@transaction.atomic
def attach_document(actor, version, upload):
    if not may_manage(actor):
        raise PermissionDenied(_("Only the provider's agreement managers may upload the document."))
    name, content = check_pdf(upload)
    version = AgreementVersion.objects.unrestricted().select_for_update().get(pk=version.pk)
    path = default_storage.save(f"agreement/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf", io.BytesIO(content))
    version.document_storage_name = path
    version.document_name = name
    version.document_size = len(content)
    version.save()
    return version


def document_response(version):
    """The PDF as a download, never rendered inline; the caller did the access check."""
    from django.http import FileResponse, Http404

    if not version.document_storage_name:
        raise Http404
    try:
        handle = default_storage.open(version.document_storage_name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=version.document_name or "agreement.pdf",
                            content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- history export -------------------------------------------------------------------------

def history_header():
    return [_("Record"), _("Version"), _("Proposal"), _("Title"), _("Status or decision"), _("Organisation"),
            _("Person"), _("Date"), _("Summary, changes or reason")]


def proposer_label(user, proposal):
    proposer = proposal.proposer
    if proposer.organisation_id is None or party_visible(user, proposer.organisation_id, proposer.organisation.kind):
        return proposer.get_full_name() or proposer.username
    return _("the representative of another participant")


def consent_reason(user, consent_):
    """Another participant's reason is theirs: shown to provider staff, auditors and themselves."""
    return consent_.reason if party_visible(user, consent_.organisation_id, consent_.organisation.kind) else ""


def consent_rows(user, proposal):
    """(organisation label, person label, consent, reason) of a proposal's consents, as `user` may see them."""
    return [(party_label(user, c.organisation), person_label(user, c.organisation, c.person), c,
             consent_reason(user, c)) for c in proposal.consents.all()]


def history_proposals():
    return ChangeProposal.objects.unrestricted().select_related(
        "proposer__organisation", "base_version", "resulting_version").prefetch_related(
        "consents__person", "consents__organisation")


def history_rows(user):
    """Every version and every proposal with its consents, oldest first (the audit trail)."""
    versions = AgreementVersion.objects.unrestricted().select_related("source_proposal").order_by("number")
    for version in versions.iterator():
        source = version.source_proposal.reference if version.source_proposal_id else ""
        yield [_("Version"), version.number, source, "", _("effective"), "", "", version.effective_date,
               version.summary]
    for proposal in history_proposals().order_by("created_at", "id"):
        yield [_("Proposal"), proposal.base_version.number if proposal.base_version_id else "", proposal.reference,
               proposal.title, proposal.get_status_display(), "", proposer_label(user, proposal),
               proposal.created_at, f"{proposal.changes}\n{_('Why')}: {proposal.reason}"]
        for label, person, consent_, reason in consent_rows(user, proposal):
            yield [_("Decision"), "", proposal.reference, proposal.title, consent_.get_decision_display(),
                   label, person, consent_.decided_at, reason]
