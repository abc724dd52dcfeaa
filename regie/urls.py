from django.contrib.auth import views as auth_views
from django.urls import include, path

from regie.api import views as api_views
from regie.core import accounts_views, health
from regie.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("account/login/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/security/", accounts_views.mfa_manage, name="mfa-manage"),
    path("account/mfa/setup/", accounts_views.mfa_manage, name="mfa-setup"),
    path("account/mfa/verify/", accounts_views.mfa_manage, name="mfa-verify"),
    path("account/password-reset/", accounts_views.mfa_manage, name="password_reset"),
    path("audit/", include("regie.core.audit_urls")),
    path("i18n/setlang/", core_views.set_language, name="set-language"),
    path("health/", health.health, name="health"),
    path("calls/", include("regie.servicedesk.urls")),
    path("", include("regie.core.urls")),
    path("api/v1", api_views.api_root),
    path("api/v1/", include("regie.api.urls")),
]

handler400 = "regie.core.errors.bad_request"
handler403 = "regie.core.errors.permission_denied"
handler404 = "regie.core.errors.page_not_found"
handler500 = "regie.core.errors.server_error"
