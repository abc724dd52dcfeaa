"""Error pages: plain, translated, no stack traces; API paths answer problem details."""

from django.shortcuts import render
from django.utils.translation import gettext as _


def _problem_or_page(request, status, title, detail):
    if request.path.startswith("/api/"):
        from regie.api.problems import problem_response

        return problem_response(status, title, detail)
    return render(request, "error.html", {"status": status, "title": title, "detail": detail}, status=status)


def bad_request(request, exception=None):
    return _problem_or_page(request, 400, _("Bad request"), _("The request could not be understood."))


def permission_denied(request, exception=None):
    from .audit import write_record

    write_record("access_denied", result="failure", object_repr=request.path[:300], message="403")
    return _problem_or_page(request, 403, _("Not allowed"), _("You do not have permission to do this."))


def page_not_found(request, exception=None):
    detail = _("The page or object does not exist, or you may not see it.")
    return _problem_or_page(request, 404, _("Not found"), detail)


def server_error(request):
    detail = _("The error has been logged. Please try again later.")
    return _problem_or_page(request, 500, _("Something went wrong"), detail)
