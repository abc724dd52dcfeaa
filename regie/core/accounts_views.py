"""Sign-in, second factor and password pages (completed by the authentication work)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def mfa_manage(request):
    return render(request, "core/mfa_manage.html", {})
