from django.conf import settings

from .roles import role_label


def shell(request):
    """What the page shell needs: navigation by role, the language switch."""
    user = getattr(request, "user", None)
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "LANGUAGES": settings.LANGUAGES,
        "role_label": role_label,
        "is_provider_staff": bool(user is not None and user.is_authenticated and user.is_provider_staff),
        "can_view_audit": bool(user is not None and user.is_authenticated and user.has_perm("core.view_auditrecord")),
    }
