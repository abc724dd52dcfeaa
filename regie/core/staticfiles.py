"""Django's staticfiles app, configured for Regie. Its own module: a second AppConfig in
core/apps.py would stop Django from picking CoreConfig there by itself."""

from django.contrib.staticfiles.apps import StaticFilesConfig as BaseStaticFilesConfig


class StaticFilesConfig(BaseStaticFilesConfig):
    """collectstatic without the sidecar's Redoc bundle: Regie serves only Swagger UI, and that
    bundle fetches its logo from a CDN (municipal networks are closed, the CSP strict)."""

    ignore_patterns = [*BaseStaticFilesConfig.ignore_patterns, "drf_spectacular_sidecar/redoc/*"]
