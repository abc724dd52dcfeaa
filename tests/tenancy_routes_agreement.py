"""Tenancy walker routes of the agreement (DVO) (merged by tenancy_routes.py).

The agreement, its versions and change proposals are shared by all parties (like suppliers):
whoever holds agreement.view_agreement reads them, so they are LIST routes with kwargs, and
nothing in them carries the canary. What the walk proves: municipality B never sees A's name
(Venlo's name carries the canary) nor A's people there; other participants show as "another
participant". Actions that only the proposer / provider staff (open, withdraw) or the
agreement managers (upload, signatures) may take are 404 for B. Consent and decline depend on
the caller being a participant's representative (400 / a message with the reason otherwise),
so they are OWN routes: never a 500, never the canary."""

from tenancy_routes import DETAIL, LIST, OWN, Route


def _agreement(world):
    from regie.agreement.factories import AgreementFactory, AgreementVersionFactory, SignatoryFactory

    # Venlo (A) is a party, with A's account manager as its representative who signed version 1.
    world.venlo.representative = world.a_account_manager
    world.venlo.save()
    agreement = AgreementFactory(provider=world.provider, parties=[world.venlo, world.roermond])
    version = AgreementVersionFactory(agreement=agreement, number=1)
    SignatoryFactory(version=version, organisation=world.provider, person=world.provider_staff)
    SignatoryFactory(version=version, organisation=world.venlo, person=world.a_account_manager,
                     name=f"{world.a_account_manager.get_full_name()} {world.canary}")
    return agreement


def _version(world):
    import io

    from django.core.files.storage import default_storage

    from regie.agreement.models import AgreementVersion

    agreement = world.once("agreement", _agreement)
    version = AgreementVersion.objects.get(agreement=agreement, number=1)
    if not version.document_storage_name:
        version.document_storage_name = default_storage.save("agreement/walker.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n"))
        version.document_name = "dvo-v1.pdf"
        version.save()
    return version


def _proposal(world, key, status):
    from regie.agreement.factories import ChangeProposalFactory, ConsentFactory

    def build(w):
        proposal = ChangeProposalFactory(agreement=w.once("agreement", _agreement), status=status,
                                         proposer=w.provider_staff, title=f"Voorstel {key}")
        if key == "proposal":
            ConsentFactory(proposal=proposal, person=w.a_account_manager, organisation=w.venlo,
                           reason=f"Akkoord {w.canary}")
        return proposal

    return {"pk": world.once(f"agreement-{key}", build).pk}


def _open(world):
    return _proposal(world, "proposal", "open")


def _signatory(world):
    from regie.agreement.factories import SignatoryFactory

    version = world.once("agreement-version", _version)
    signatory = world.once("agreement-signatory", lambda w: SignatoryFactory(
        version=version, organisation=w.roermond, person=None, name="", signed=False, signed_on=None))
    return {"pk": signatory.pk}


def _version_kwargs(world):
    return {"pk": world.once("agreement-version", _version).pk}


ROUTES = {
    "agreement:overview": Route(LIST, note="shared; other participants unnamed for B"),
    "agreement:history": Route(LIST, note="shared; ?export=csv|xlsx; other participants unnamed for B"),
    "agreement:version-detail": Route(LIST, kwargs=_version_kwargs, note="shared reference data"),
    "agreement:version-document": Route(LIST, kwargs=_version_kwargs, note="shared; PDF download, nosniff"),
    "agreement:version-upload": Route(DETAIL, kwargs=_version_kwargs, method="POST",
                                      note="agreement managers (provider) only; others 404"),
    "agreement:signatory-sign": Route(DETAIL, kwargs=_signatory, method="POST",
                                      note="agreement managers (provider) only; others 404"),
    "agreement:proposal-create": Route(LIST, note="provider proposers and representatives; others 404"),
    "agreement:proposal-detail": Route(LIST, kwargs=_open, note="shared; consent rows of others unnamed for B"),
    "agreement:proposal-open": Route(DETAIL, kwargs=lambda w: _proposal(w, "draft-to-open", "draft"),
                                     method="POST", note="the proposer or provider proposers; others 404"),
    "agreement:proposal-withdraw": Route(DETAIL, kwargs=lambda w: _proposal(w, "draft-to-withdraw", "draft"),
                                         method="POST", note="the proposer or provider proposers; others 404"),
    "agreement:proposal-consent": Route(OWN, kwargs=_open, method="POST",
                                        note="the caller's own decision: refused with the reason unless a "
                                             "participant's representative"),
    "agreement:proposal-decline": Route(OWN, kwargs=_open, method="POST",
                                        note="the caller's own decision (reason required)"),
    "api:agreement-version-list": Route(LIST),
    "api:agreement-version-detail": Route(LIST, kwargs=_version_kwargs, note="shared reference data"),
    "api:agreement-proposal-list": Route(LIST),
    "api:agreement-proposal-detail": Route(LIST, kwargs=_open, note="shared; others' consents unnamed for B"),
    "api:agreement-proposal-status-changes": Route(
        DETAIL, kwargs=lambda w: _proposal(w, "api-draft", "draft"), method="POST",
        note="the proposer or provider proposers; others 404",
    ),
    "api:agreement-proposal-consents": Route(OWN, kwargs=_open, method="POST",
                                             note="400 with the reason unless a participant's representative"),
    "api:agreement-proposal-refusals": Route(OWN, kwargs=_open, method="POST",
                                             note="400 with the reason unless a participant's representative"),
}
