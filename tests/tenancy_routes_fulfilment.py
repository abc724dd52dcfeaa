"""Tenancy walker routes of request fulfilment (merged by tenancy_routes.py).

A's objects: a service request of Venlo (A) whose values and call carry the canary, with a
pending approval (by A's account manager) and an open fulfilment task. Request types are
shared reference data; the signed approval link is public (the token is the credential)."""

from tenancy_routes import A_AND_PROVIDER, DETAIL, LIST, PUBLIC, Route


def _request_of_a(world):
    from regie.fulfilment.factories import (
        ApprovalFactory,
        FulfilmentTaskFactory,
        RequestTypeFactory,
        ServiceRequestFactory,
    )

    request_type = RequestTypeFactory(code="walker-type", name="Walker type")
    request = ServiceRequestFactory(request_type=request_type, requester=world.a_person,
                                    values={"note": f"Toelichting {world.canary}"}, status="approval")
    ApprovalFactory(request=request, approver=world.a_account_manager)
    FulfilmentTaskFactory(request=request, title=f"Taak {world.canary}")
    return request


def _request(world):
    return world.once("service-request", _request_of_a)


def _pk(world):
    return {"pk": _request(world).pk}


def _approval(world):
    from regie.fulfilment.models import Approval

    request = _request(world)
    return {"pk": request.pk, "approval_pk": Approval.all_objects.filter(request=request).first().pk}


def _approval_pk(world):
    return {"pk": _approval(world)["approval_pk"]}


def _task_pk(world):
    from regie.fulfilment.models import FulfilmentTask

    return {"pk": FulfilmentTask.all_objects.filter(request=_request(world)).first().pk}


def _type_code(world):
    from regie.fulfilment.factories import RequestTypeFactory

    return {"code": world.once("request-type", lambda w: RequestTypeFactory(code="walker-shared")).code}


def _type_pk(world):
    from regie.fulfilment.factories import RequestTypeFactory

    return {"pk": world.once("request-type", lambda w: RequestTypeFactory(code="walker-shared")).pk}


ROUTES = {
    "fulfilment:catalogue": Route(LIST, note="shared request catalogue"),
    "fulfilment:request-new": Route(LIST, kwargs=_type_code, note="form of a shared request type"),
    "fulfilment:request-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "fulfilment:waiting": Route(LIST, note="the signed-in person's own approvals"),
    "fulfilment:task-list": Route(LIST, note="provider agents only; others 404"),
    "fulfilment:task-done": Route(DETAIL, kwargs=_task_pk, method="POST", note="provider agents only"),
    "fulfilment:approval-link": Route(PUBLIC, kwargs=lambda w: {"token": "not-a-valid-token"},
                                      note="signed one-time link; a bad token shows a refusal"),
    "fulfilment:request-detail": Route(DETAIL, kwargs=_pk, seen_by=A_AND_PROVIDER),
    "fulfilment:approval-decide": Route(DETAIL, kwargs=_approval, method="POST", seen_by=A_AND_PROVIDER),
    "fulfilment:cost-decide": Route(DETAIL, kwargs=_pk, method="POST", seen_by=A_AND_PROVIDER),
    "api:request-type-list": Route(LIST),
    "api:request-type-detail": Route(LIST, kwargs=_type_pk, note="shared reference data"),
    "api:service-request-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "api:service-request-detail": Route(DETAIL, kwargs=_pk, seen_by=A_AND_PROVIDER),
    "api:service-request-approvals": Route(DETAIL, kwargs=_pk, method="POST", seen_by=A_AND_PROVIDER),
    "api:service-request-rejections": Route(DETAIL, kwargs=_pk, method="POST", seen_by=A_AND_PROVIDER),
    "api:service-request-cost-acceptances": Route(DETAIL, kwargs=_pk, method="POST", seen_by=A_AND_PROVIDER),
    "api:approval-list": Route(LIST),
    "api:approval-detail": Route(DETAIL, kwargs=_approval_pk, seen_by=A_AND_PROVIDER),
    "api:fulfilment-task-list": Route(LIST, provider_sees_canary=True),
    "api:fulfilment-task-detail": Route(DETAIL, kwargs=_task_pk),
    "api:fulfilment-task-completions": Route(DETAIL, kwargs=_task_pk, method="POST"),
}
