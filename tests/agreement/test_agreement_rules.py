"""The rules of the agreement (§7.1): a change takes effect only when EVERY participant's
representative consented; each refusal is refused with its reason and writes nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from regie.agreement import services
from regie.agreement.choices import ConsentDecision, ProposalStatus
from regie.agreement.models import AgreementVersion, ChangeProposal, Consent, Signatory
from regie.core.models import AuditRecord
from regie.integrations.models import Notification

pytestmark = pytest.mark.django_db


def _counts():
    return (Consent.objects.unrestricted().count(), AgreementVersion.objects.unrestricted().count(),
            AuditRecord.all_objects.count())


def test_the_change_takes_effect_only_after_the_fourth_consent(open_proposal, representatives, version1):
    for representative in representatives[:3]:
        services.consent(representative, open_proposal)
    open_proposal.refresh_from_db()
    assert open_proposal.status == ProposalStatus.OPEN
    assert services.current_version(version1.agreement) == version1
    progress = services.ConsentProgress(open_proposal)
    assert (progress.consented, progress.required) == (3, 4)
    assert [org.name for org in progress.pending] == ["Gemeente Nederweert"]

    services.consent(representatives[3], open_proposal)
    open_proposal.refresh_from_db()
    assert open_proposal.status == ProposalStatus.EFFECTIVE
    current = services.current_version(version1.agreement)
    assert current.number == 2 and current.source_proposal == open_proposal
    assert current.text == "Tekst versie 2" and current.effective_date == timezone.localdate()
    assert "Certificaatbeheer" in current.summary
    signed = Signatory.objects.unrestricted().filter(version=current)
    assert sorted(s.person_id for s in signed if s.signed) == sorted(r.pk for r in representatives)
    assert signed.filter(organisation=version1.agreement.provider, signed=False).exists()
    # The history is kept: version 1 is still there, with its signatories.
    assert AgreementVersion.objects.unrestricted().filter(agreement=version1.agreement).count() == 2
    assert version1.signatories.count() == 4


def test_without_a_proposed_text_the_new_version_keeps_the_current_text(version1, lead, representatives):
    proposal = services.propose(lead, version1.agreement, {"title": "T", "changes": "C", "reason": "R"})
    services.open_for_consent(lead, proposal)
    for representative in representatives:
        services.consent(representative, proposal)
    assert services.current_version(version1.agreement).text == "Tekst versie 1"


def test_an_inactive_participant_need_not_consent(open_proposal, participants, representatives):
    participants[3].is_active = False
    participants[3].save()
    for representative in representatives[:3]:
        services.consent(representative, open_proposal)
    open_proposal.refresh_from_db()
    assert open_proposal.status == ProposalStatus.EFFECTIVE


@pytest.mark.parametrize("who", ["employee", "account_manager", "provider", "role_only"])
def test_consent_by_someone_who_is_not_a_representative_is_refused(who, open_proposal, participants, make_user,
                                                                  lead):
    actor = {
        "employee": lambda: make_user(participants[0], "employee"),
        "account_manager": lambda: make_user(participants[0], "account_manager"),
        "provider": lambda: lead,
        # Holding the role is not enough: the organisation names its representative.
        "role_only": lambda: make_user(participants[0], "representative"),
    }[who]()
    before = _counts()
    with pytest.raises(ValidationError, match="Only the representative of a participating organisation"):
        services.consent(actor, open_proposal)
    with pytest.raises(ValidationError, match="Only the representative"):
        services.decline(actor, open_proposal, "Nee")
    assert _counts() == before


def test_consenting_twice_is_refused(open_proposal, representatives):
    services.consent(representatives[0], open_proposal)
    before = _counts()
    with pytest.raises(ValidationError, match="Gemeente Venlo has already consented"):
        services.consent(representatives[0], open_proposal)
    with pytest.raises(ValidationError, match="already consented"):
        services.decline(representatives[0], open_proposal, "Toch niet")
    assert _counts() == before


@pytest.mark.parametrize("status", [ProposalStatus.DRAFT, ProposalStatus.REJECTED, ProposalStatus.WITHDRAWN,
                                    ProposalStatus.EFFECTIVE])
def test_consent_on_a_proposal_that_is_not_open_is_refused(status, open_proposal, representatives):
    ChangeProposal.objects.unrestricted().filter(pk=open_proposal.pk).update(status=status)
    before = _counts()
    with pytest.raises(ValidationError, match="not open for consent"):
        services.consent(representatives[0], open_proposal)
    assert _counts() == before


def test_declining_needs_a_reason_and_rejects_the_proposal(open_proposal, representatives):
    services.consent(representatives[0], open_proposal)
    before = _counts()
    for empty in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            services.decline(representatives[1], open_proposal, empty)
        assert refused.value.message_dict == {"reason": ["Give the reason for declining."]}
    assert _counts() == before
    services.decline(representatives[1], open_proposal, "Eerst bespreken in het college.")
    open_proposal.refresh_from_db()
    assert open_proposal.status == ProposalStatus.REJECTED and open_proposal.closed_at
    consent = Consent.objects.unrestricted().get(proposal=open_proposal, organisation=representatives[1].organisation)
    assert consent.decision == ConsentDecision.DECLINED and consent.reason == "Eerst bespreken in het college."
    with pytest.raises(ValidationError, match="not open"):
        services.consent(representatives[2], open_proposal)
    assert AgreementVersion.objects.unrestricted().count() == 1


def test_opening_tells_the_representatives(version1, lead, representatives):
    proposal = services.propose(lead, version1.agreement, {"title": "T", "changes": "C", "reason": "R"})
    assert Notification.all_objects.count() == 0
    services.open_for_consent(lead, proposal)
    told = set(Notification.all_objects.filter(event=services.OPENED_EVENT).values_list("user_id", flat=True))
    assert told == {r.pk for r in representatives}
    proposal.refresh_from_db()
    assert proposal.base_version == version1 and proposal.opened_at


def test_opening_is_refused_while_a_participant_has_no_representative(version1, lead, participants):
    proposal = services.propose(lead, version1.agreement, {"title": "T", "changes": "C", "reason": "R"})
    participants[2].representative = None
    participants[2].save()
    with pytest.raises(ValidationError, match="no \\(active\\) representative to consent: Gemeente Weert"):
        services.open_for_consent(lead, proposal)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DRAFT


def test_only_the_proposer_or_provider_proposers_open_and_withdraw(version1, lead, representatives, make_user,
                                                                  participants):
    proposal = services.propose(representatives[0], version1.agreement, {"title": "T", "changes": "C",
                                                                         "reason": "R"})
    with pytest.raises(PermissionDenied):
        services.open_for_consent(representatives[1], proposal)
    services.open_for_consent(representatives[0], proposal)
    with pytest.raises(ValidationError, match="Only a draft"):
        services.open_for_consent(lead, proposal)
    with pytest.raises(PermissionDenied):
        services.withdraw(make_user(participants[0], "account_manager"), proposal)
    services.withdraw(lead, proposal)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.WITHDRAWN
    with pytest.raises(ValidationError, match="Only a draft or open"):
        services.withdraw(lead, proposal)


def test_who_may_propose_and_what_a_proposal_needs(version1, lead, representatives, make_user, participants,
                                                   provider):
    with pytest.raises(PermissionDenied):
        services.propose(make_user(participants[0], "employee"), version1.agreement,
                         {"title": "T", "changes": "C", "reason": "R"})
    with pytest.raises(PermissionDenied):
        services.propose(make_user(provider, "engineer"), version1.agreement,
                         {"title": "T", "changes": "C", "reason": "R"})
    with pytest.raises(ValidationError) as refused:
        services.propose(lead, version1.agreement, {"title": " ", "changes": "", "reason": ""})
    assert set(refused.value.message_dict) == {"title", "changes", "reason"}
    assert ChangeProposal.objects.unrestricted().count() == 0
    assert services.propose(representatives[0], version1.agreement,
                            {"title": "T", "changes": "C", "reason": "R"}).status == ProposalStatus.DRAFT


def test_recording_the_providers_signature(open_proposal, representatives, ict_manager, lead):
    for representative in representatives:
        services.consent(representative, open_proposal)
    signatory = Signatory.objects.unrestricted().get(version__number=2, signed=False)
    with pytest.raises(PermissionDenied):
        services.record_signature(lead, signatory)
    with pytest.raises(ValidationError):
        services.record_signature(ict_manager, signatory, signed_on=timezone.localdate() + timezone.timedelta(days=1))
    services.record_signature(ict_manager, signatory)
    signatory.refresh_from_db()
    assert signatory.signed and signatory.person == ict_manager and signatory.signed_on == timezone.localdate()
    with pytest.raises(ValidationError, match="already been recorded"):
        services.record_signature(ict_manager, signatory)


def test_only_a_real_pdf_is_stored_as_the_document(version1, ict_manager, lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("dvo.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf")
    with pytest.raises(ValidationError, match="only a PDF document"):
        services.attach_document(ict_manager, version1, fake)
    word = SimpleUploadedFile("dvo.docx", b"%PDF-1.4 but named docx")
    with pytest.raises(ValidationError, match="only a PDF document"):
        services.attach_document(ict_manager, version1, word)
    with pytest.raises(PermissionDenied):
        services.attach_document(lead, version1, SimpleUploadedFile("dvo.pdf", b"%PDF-1.4\n"))
    version1.refresh_from_db()
    assert version1.document_storage_name == ""
    services.attach_document(ict_manager, version1, SimpleUploadedFile("DVO v1.pdf", b"%PDF-1.4\n%%EOF\n"))
    version1.refresh_from_db()
    assert version1.document_name == "DVO v1.pdf" and version1.document_size == 15


def test_history_rows_hold_versions_proposals_and_consents(open_proposal, representatives, lead):
    services.consent(representatives[0], open_proposal)
    services.decline(representatives[1], open_proposal, "Nee, want")
    rows = list(services.history_rows(lead))
    kinds = [row[0] for row in rows]
    assert kinds == ["Version", "Proposal", "Decision", "Decision"]
    assert rows[2][5] == "Gemeente Venlo" and rows[3][8] == "Nee, want"


def test_participants_see_other_participants_only_as_another_participant(open_proposal, representatives, lead):
    services.consent(representatives[1], open_proposal)
    services.decline(representatives[2], open_proposal, "Geheim van Weert")
    venlo_view = list(services.history_rows(representatives[0]))
    assert {row[5] for row in venlo_view if row[0] == "Decision"} == {"another participant"}
    assert "Geheim van Weert" not in str(venlo_view)
    roermond_view = list(services.history_rows(representatives[1]))
    assert "Gemeente Roermond" in str(roermond_view) and "Gemeente Weert" not in str(roermond_view)
    assert "Geheim van Weert" in str(list(services.history_rows(lead)))
