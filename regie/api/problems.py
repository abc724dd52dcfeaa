"""RFC 9457 problem details for every API error, with field-level messages."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_response(status_code, title, detail="", **extra):
    body = {"type": "about:blank", "title": str(title), "status": status_code, "detail": str(detail), **extra}
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _flatten(errors, prefix=""):
    """DRF's nested error structure → [{"name": "field.sub", "code": ..., "reason": ...}]."""
    flat = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.extend(_flatten(value, name))
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list):
                flat.extend(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
            else:
                flat.extend(_flatten(value, prefix))
    else:
        code = getattr(errors, "code", "invalid")
        flat.append({"name": prefix or "non_field_errors", "code": code, "reason": str(errors)})
    return flat


def problem_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found, or you may not see it."))
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    body = {"type": "about:blank", "status": response.status_code}
    if isinstance(exc, exceptions.ValidationError):
        body["title"] = _("Invalid input")
        body["detail"] = _("One or more fields are invalid; see invalidParams.")
        body["invalidParams"] = _flatten(exc.detail)
        if response.status_code == status.HTTP_400_BAD_REQUEST:
            body["status"] = 400
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body["title"] = str(getattr(exc, "default_detail", _("Error")))
        body["detail"] = str(detail)
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            body["retryAfterSeconds"] = int(exc.wait)
    request = context.get("request")
    if request is not None:
        body["instance"] = request.path
    problem = Response(body, status=response.status_code, headers=dict(response.items()))
    problem.content_type = PROBLEM_CONTENT_TYPE
    if response.status_code in (401, 403, 404):
        from regie.core.audit import write_record

        if response.status_code == 403:
            write_record("access_denied", result="failure", object_repr=body.get("instance", "")[:300], message="api 403")
    return problem
