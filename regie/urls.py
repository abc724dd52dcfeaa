from django.urls import include, path, re_path

from regie.api import views as api_views
from regie.core import accounts_views, health
from regie.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("account/login/", accounts_views.sign_in, name="login"),
    path("account/logout/", accounts_views.sign_out, name="logout"),
    path("account/security/", accounts_views.mfa_manage, name="mfa-manage"),
    path("account/mfa/setup/", accounts_views.mfa_setup, name="mfa-setup"),
    path("account/mfa/verify/", accounts_views.mfa_verify, name="mfa-verify"),
    path("account/password-reset/", accounts_views.password_reset, name="password_reset"),
    path("account/password-reset/sent/", accounts_views.password_reset_done, name="password_reset_done"),
    path("account/password-reset/done/", accounts_views.password_reset_complete, name="password_reset_complete"),
    path(
        "account/password-reset/<uidb64>/<token>/", accounts_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("audit/", include("regie.core.audit_urls")),
    path("i18n/setlang/", core_views.set_language, name="set-language"),
    path("health/", health.health, name="health"),
    # Before "calls/": its "<reference>/" would otherwise take "canned-responses".
    path("calls/canned-responses/", include("regie.servicedesk.canned_urls")),
    path("calls/", include("regie.servicedesk.urls")),
    path("calamities/", include("regie.servicedesk.calamity_urls")),
    path("catalogue/", include("regie.catalogue.urls")),
    path("cmdb/", include("regie.cmdb.urls")),
    path("notifications/", include("regie.integrations.urls")),
    path("changes/", include("regie.changes.urls")),
    path("agreement/", include("regie.agreement.urls")),
    path("requests/", include("regie.fulfilment.urls")),
    path("", include("regie.core.urls")),
    path("api/v1", api_views.api_root, name="api-root"),
    path("api/v1/", include("regie.api.urls")),
    # Keep LAST: any other /api/ path is a problem+json 404, never the HTML error page.
    re_path(r"^api/", api_views.api_not_found, name="api-not-found"),
]

handler400 = "regie.core.errors.bad_request"
handler403 = "regie.core.errors.permission_denied"
handler404 = "regie.core.errors.page_not_found"
handler500 = "regie.core.errors.server_error"
