"""Tenancy walker routes of the certificate register (merged by tenancy_routes.py).

A's object: a certificate requested by Venlo (A), with an endpoint and a recorded check,
carrying the canary in its notes and endpoint host. B's users get 404 on its pages and API."""

from tenancy_routes import A_AND_PROVIDER, DETAIL, LIST, Route


def _certificate_of_a(world):
    from regie.cmdb.certificates.factories import CertificateFactory, EndpointCheckFactory, EndpointFactory

    certificate = CertificateFactory(organisation=world.venlo, common_name=f"www.{world.canary.lower()}.nl",
                                     notes=f"Certificaat {world.canary}", days_left=20)
    # Port 9 on loopback: "check now" from the walker records a failed check quickly.
    endpoint = EndpointFactory(certificate=certificate, host="127.0.0.1", port=9)
    EndpointCheckFactory(endpoint=endpoint, subject_seen=f"CN={world.canary}")
    return certificate


def _certificate(world):
    return {"pk": world.once("certificate", _certificate_of_a).pk}


ROUTES = {
    "cmdb:certificate-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "cmdb:certificate-upload": Route(LIST, note="provider CMDB keepers only; others 404"),
    "cmdb:certificate-detail": Route(DETAIL, kwargs=_certificate, seen_by=A_AND_PROVIDER),
    "cmdb:certificate-edit": Route(DETAIL, kwargs=_certificate, note="provider CMDB keepers only"),
    "cmdb:certificate-check": Route(DETAIL, kwargs=_certificate, method="POST",
                                    note="connects to the endpoint (loopback port 9: refused)"),
    "api:certificate-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "api:certificate-detail": Route(DETAIL, kwargs=_certificate, seen_by=A_AND_PROVIDER),
    "api:certificate-checks": Route(DETAIL, kwargs=_certificate, seen_by=A_AND_PROVIDER),
}
