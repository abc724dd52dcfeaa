"""RFC 9457 problem details for every API error, with field-level messages.

`type` is "about:blank", so `title` is the (translated) phrase of the HTTP status and
`detail` says what went wrong this time; validation errors list each field in
`invalidParams` as [{name, code, reason}] (the NLGov problem-details extension).
Problems are always JSON, whatever renderer the view has (e.g. the HTML docs page).
"""

from http import HTTPStatus

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"

STATUS_TITLES = {
    400: gettext_lazy("Bad request"),
    401: gettext_lazy("Not signed in"),
    403: gettext_lazy("Not allowed"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Conflict"),
    413: gettext_lazy("Request too large"),
    415: gettext_lazy("Unsupported media type"),
    429: gettext_lazy("Too many requests"),
    500: gettext_lazy("Server error"),
}
# Response headers of an error worth keeping (the rest is set again by the middleware).
KEPT_HEADERS = ("WWW-Authenticate", "Allow", "Retry-After")


def status_title(status_code):
    title = STATUS_TITLES.get(status_code)
    if title is not None:
        return str(title)
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return _("Error")


def problem_response(status_code, title, detail="", headers=None, **extra):
    body = {"type": "about:blank", "title": str(title), "status": status_code, "detail": str(detail), **extra}
    response = JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE,
                            json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


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
    extra = {}
    if isinstance(exc, exceptions.ValidationError):
        title = _("Invalid input")
        detail = _("One or more fields are invalid; see invalidParams.")
        extra["invalidParams"] = _flatten(exc.detail)
        status_code = status.HTTP_400_BAD_REQUEST
    else:
        status_code = response.status_code
        title = status_title(status_code)
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            extra["retryAfterSeconds"] = int(exc.wait)
    request = context.get("request")
    if request is not None:
        extra["instance"] = request.path
    headers = {name: response[name] for name in KEPT_HEADERS if name in response}
    if status_code == 403:
        from regie.core.audit import write_record

        write_record("access_denied", result="failure", object_repr=extra.get("instance", "")[:300], message="api 403")
    return problem_response(status_code, title, detail, headers=headers, **extra)
