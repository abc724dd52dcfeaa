"""Regie settings.

Configuration comes only from environment variables (12-factor); every variable is
documented in docs/configuration.md. `REGIE_ENV` picks the profile:
development (default), test, or production (behind HTTPS, strict).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


REGIE_ENV = env("REGIE_ENV", "development")
PRODUCTION = REGIE_ENV == "production"
TESTING = REGIE_ENV == "test"

DATA_DIR = Path(env("REGIE_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key():
    """Production must set REGIE_SECRET_KEY; elsewhere a key is kept in the data dir."""
    configured = env("REGIE_SECRET_KEY")
    if configured:
        return configured
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("REGIE_SECRET_KEY must be set when REGIE_ENV=production")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("REGIE_DEBUG", False)
ALLOWED_HOSTS = env_list("REGIE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("REGIE_CSRF_TRUSTED_ORIGINS")
# Demo mode: demo users may skip MFA enrolment. Never on in production.
DEMO_MODE = env_bool("REGIE_DEMO_MODE", False) and not PRODUCTION

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "regie.core.staticfiles.StaticFilesConfig",  # django.contrib.staticfiles without the Redoc bundle
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "regie.core",
    "regie.catalogue",
    "regie.servicedesk",
    "regie.api",
    "regie.integrations",
    "regie.cmdb",
    "regie.cmdb.licences",
    "regie.cmdb.certificates",
    "regie.cmdb.imports",
    "regie.changes",
    "regie.agreement",
    "regie.fulfilment",
]

MIDDLEWARE = [
    # Outermost, so even responses cut short by later middleware (413, ended session) carry it.
    "regie.api.middleware.ApiVersionHeaderMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "regie.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "regie.core.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "regie.core.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "regie.core.middleware.SessionPolicyMiddleware",
    "regie.core.middleware.AuditContextMiddleware",
    "regie.core.middleware.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "regie.urls"
WSGI_APPLICATION = "regie.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "regie.core.context_processors.shell",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
_default_db = f"sqlite:///{DATA_DIR / 'regie.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and the writer work side by side; IMMEDIATE avoids
        # "database is locked" on lock upgrades when web and worker write at once.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": env("REGIE_TEST_SQLITE_NAME") or None}
else:
    DATABASES["default"]["TEST"] = {"NAME": env("REGIE_TEST_DB_NAME", "test_regie")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

# --- authentication ---------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["regie.core.backends.RoleBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# MFA policy: provider staff always; participants' local accounts when this is on (BIO2).
REGIE_MFA_FOR_PARTICIPANTS = env_bool("REGIE_MFA_FOR_PARTICIPANTS", True)
OTP_TOTP_ISSUER = env("REGIE_OTP_ISSUER", "Regie")
# Failed sign-ins: after this many within the window, further tries wait (no lock-out).
REGIE_LOGIN_FAILURE_LIMIT = env_int("REGIE_LOGIN_FAILURE_LIMIT", 5)
REGIE_LOGIN_FAILURE_WINDOW = env_int("REGIE_LOGIN_FAILURE_WINDOW", 900)

# Sessions: idle timeout (sliding) and absolute lifetime, in seconds.
SESSION_IDLE_TIMEOUT = env_int("REGIE_SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("REGIE_SESSION_ABSOLUTE_TIMEOUT", 10 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
API_TOKEN_LIFETIME = env_int("REGIE_API_TOKEN_LIFETIME", 30 * 24 * 60 * 60)

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Amsterdam"
USE_THOUSAND_SEPARATOR = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("REGIE_STATIC_ROOT", str(DATA_DIR / "static")))
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
]
STATICFILES_DIRS = [
    entry for entry in STATICFILES_DIRS if Path(entry[1] if isinstance(entry, tuple) else entry).exists()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = TESTING or DEBUG
MEDIA_ROOT = DATA_DIR / "files"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REGIE_MAX_REQUEST_BYTES", 10 * 1024 * 1024)
REGIE_MAX_REQUEST_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- mail (always through the outbox; see integrations later) ------------------------------
EMAIL_HOST = env("REGIE_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("REGIE_SMTP_PORT", 25)
EMAIL_HOST_USER = env("REGIE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env("REGIE_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("REGIE_SMTP_STARTTLS", False)
EMAIL_BACKEND = env(
    "REGIE_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("REGIE_FROM_EMAIL", "servicedesk@regie.invalid")
EMAIL_TIMEOUT = env_int("REGIE_SMTP_TIMEOUT", 30)
# Outbox (regie.integrations): Message-ID domain, retries with back-off, the lease a
# worker holds while sending (must be well above the SMTP timeout), reconcile batch size.
REGIE_PUBLIC_URL = env("REGIE_PUBLIC_URL", "http://localhost:8000").rstrip("/")
REGIE_MAIL_DOMAIN = env("REGIE_MAIL_DOMAIN", "regie.invalid")
REGIE_OUTBOX_MAX_ATTEMPTS = env_int("REGIE_OUTBOX_MAX_ATTEMPTS", 8)
REGIE_OUTBOX_RETRY_BASE_SECONDS = env_int("REGIE_OUTBOX_RETRY_BASE_SECONDS", 60)
REGIE_OUTBOX_RETRY_MAX_SECONDS = env_int("REGIE_OUTBOX_RETRY_MAX_SECONDS", 6 * 60 * 60)
REGIE_OUTBOX_LEASE_SECONDS = env_int("REGIE_OUTBOX_LEASE_SECONDS", 300)
REGIE_OUTBOX_BATCH_SIZE = env_int("REGIE_OUTBOX_BATCH_SIZE", 100)

# --- background work ---------------------------------------------------------------------
CELERY_BROKER_URL = env("BROKER_URL", f"sqlalchemy+sqlite:///{DATA_DIR / 'broker.sqlite3'}")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("REGIE_TASKS_EAGER", TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
# Redis re-delivers an unacknowledged task after this long (acks_late + a dead worker).
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": env_int("REGIE_BROKER_VISIBILITY_TIMEOUT", 3600)}
    if CELERY_BROKER_URL.startswith("redis")
    else {}
)
# The heartbeat task runs this often; /health/ calls the worker down after 3 misses.
REGIE_HEARTBEAT_SECONDS = env_int("REGIE_HEARTBEAT_SECONDS", 30)
# Audit records older than this many days are removed once sealed (itself audited); 0 = keep forever.
REGIE_AUDIT_RETENTION_DAYS = env_int("REGIE_AUDIT_RETENTION_DAYS", 0)

# --- service desk ---------------------------------------------------------------------------
# Share of the resolution term after which the assignee and team lead are warned (§5.1).
REGIE_SLA_WARN_SHARE = float(env("REGIE_SLA_WARN_SHARE", "0.75"))
# Attachments on calls: largest file, files per message, and an optional malware scanner
# (dotted path to a callable(path) -> (clean, detail); empty = files are marked "not scanned").
REGIE_ATTACHMENT_MAX_BYTES = env_int("REGIE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
REGIE_ATTACHMENT_MAX_COUNT = env_int("REGIE_ATTACHMENT_MAX_COUNT", 5)
REGIE_ATTACHMENT_SCANNER = env("REGIE_ATTACHMENT_SCANNER", "")
# Days after resolution in which the caller (or their manager) may reopen a call from the portal.
REGIE_REOPEN_DAYS = env_int("REGIE_REOPEN_DAYS", 5)

# --- API ------------------------------------------------------------------------------------
API_VERSION = "1.0.0"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "regie.api.authentication.BearerTokenAuthentication",
        "regie.api.authentication.MfaSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "regie.api.pagination.KeysetCursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "regie.api.problems.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["regie.api.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_RATES": {"token": "10/min"},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Regie API",
    "DESCRIPTION": "Service management for the shared-service ICT organisation and its participants. "
    "Follows the NLGov REST API Design Rules 2.0.",
    "VERSION": API_VERSION,
    "CONTACT": {"name": "Regie servicedesk", "email": "servicedesk@regie.invalid", "url": "https://regie.invalid"},
    "SERVERS": [{"url": env("REGIE_PUBLIC_URL", "http://localhost:8000") + "/api/v1", "description": "Regie"}],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SCHEMA_PATH_PREFIX_TRIM": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Impact and urgency share one scale: one enum in the schema, not two names for it.
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "regie.catalogue.choices.Level",
        # Calls and calamities both have a kind, a status and a channel: name them apart.
        "TicketKindEnum": "regie.servicedesk.choices.TicketKind",
        "TicketStatusEnum": "regie.servicedesk.choices.TicketStatus",
        "TicketChannelEnum": "regie.servicedesk.choices.TicketChannel",
        "CalamityKindEnum": "regie.servicedesk.calamity_models.CalamityKind",
        "CalamityStatusEnum": "regie.servicedesk.calamity_models.CalamityStatus",
        "CalamityOpenStatusEnum": "regie.api.calamity_api.OPEN_STATUS_CHOICES",
        "CommunicationChannelEnum": "regie.servicedesk.calamity_models.CommunicationChannel",
    },
    "OAS_VERSION": "3.0.3",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "regie.api.schema.nlgov_postprocess",
    ],
}

# --- security headers ------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Trust X-Forwarded-Proto only when a proxy in front is declared.
if env_bool("REGIE_BEHIND_PROXY", PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Peers whose X-Forwarded-For is believed when recording where a request came from.
REGIE_TRUSTED_PROXIES = env_list("REGIE_TRUSTED_PROXIES")

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("REGIE_SSL_REDIRECT", True)
    # Load balancers probe /health/ over plain HTTP on the internal network.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = env_int("REGIE_HSTS_SECONDS", 63072000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies: secure, no Domain, path / (cannot be planted by a sibling host).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_NAME = "__Host-language"

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("REGIE_LOG_LEVEL", "WARNING" if TESTING else "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
