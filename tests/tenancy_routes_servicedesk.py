"""Tenancy-walker routes of the service desk's canned responses, attachments through the
API and the calamity API (merged into tenancy_routes.ROUTES; see its docstring)."""

from tenancy_routes import A_AND_PROVIDER, DETAIL, LIST, Route, _attachment_of_a, _calamity, _reference


def _canned(world, title):
    """Canned responses are provider business (not A's), but carry the canary so a leak shows."""
    from regie.servicedesk.models import CannedResponse

    return CannedResponse.objects.create(title=f"{title} {world.canary}", body=f"Goedemiddag, {world.canary}")


def _canned_pk(key):
    return lambda w: {"pk": w.once(key, lambda world: _canned(world, key)).pk}


def _attachment(world):
    return {"reference": world.ticket.reference, "attachment_id": world.once("attachment", _attachment_of_a).pk}


ROUTES = {
    # --- canned responses (team leads and administrators; everyone else 404) ---
    "canned:list": Route(LIST, provider_sees_canary=True, note="provider keepers only; others 404"),
    "canned:create": Route(LIST, note="form; provider keepers only"),
    "canned:update": Route(DETAIL, kwargs=_canned_pk("canned")),
    "canned:delete": Route(DETAIL, method="POST", kwargs=_canned_pk("canned-to-delete"),
                           note="its own object: the provider's POST deletes it"),
    "api:canned-response-list": Route(LIST, provider_sees_canary=True, note="service desk only; others empty"),
    # --- attachments of a call through the API ---
    "api:ticket-attachments": Route(DETAIL, kwargs=_reference, seen_by=A_AND_PROVIDER,
                                    note="GET lists; POST (multipart) uploads"),
    "api:ticket-attachment-download": Route(DETAIL, kwargs=_attachment, seen_by=A_AND_PROVIDER),
    # --- calamities through the API (provider staff; A's contacts read the ones affecting A) ---
    "api:calamity-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "api:calamity-detail": Route(DETAIL, kwargs=_calamity, seen_by=A_AND_PROVIDER),
    "api:calamity-decisions": Route(DETAIL, kwargs=_calamity, note="provider staff only; A's contacts 404 too"),
    "api:calamity-communications": Route(DETAIL, kwargs=_calamity, seen_by=A_AND_PROVIDER),
    "api:calamity-incidents": Route(DETAIL, kwargs=_calamity, note="provider staff only"),
    "api:calamity-status-changes": Route(DETAIL, kwargs=_calamity, method="POST"),
    "api:calamity-close": Route(DETAIL, kwargs=_calamity, method="POST", note="empty body: 400, stays open"),
}
