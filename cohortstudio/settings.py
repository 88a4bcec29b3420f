"""CohortStudio settings.

Everything comes from the environment. With nothing set, the app runs on its
embedded default: SQLite, Celery tasks in-process, console email and the
built-in Zoom simulator, so `make run` works offline on a fresh machine.
"""

import base64
from pathlib import Path

import environ
from celery.schedules import crontab
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.exceptions import ImproperlyConfigured

from zoom_integration.tuning import WEBHOOK_SWEEP_EVERY

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = BASE_DIR / ".local"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="embedded-default-insecure-key-do-not-use-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "mailing",
    "accounts",
    "orgs",
    "courses",
    "attendance",
    "evidence",
    "certificates",
    "zoom_integration",
    "bookings",
]

MIDDLEWARE = [
    "cohortstudio.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Zoom's webhook (BARE_ENDPOINTS) goes straight to its view from here: it needs none of what follows.
    "cohortstudio.middleware.BareEndpointsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "orgs.middleware.CurrentOrganizationMiddleware",
    "cohortstudio.observability.OrganizationLogContextMiddleware",
    # Last: the 404 it answers still shows the signed-in user's navigation.
    "cohortstudio.middleware.RejectNulMiddleware",
]

ROOT_URLCONF = "cohortstudio.urls"
# Paths that skip the session, CSRF, auth, messages and organization middleware (BareEndpointsMiddleware):
# Zoom's webhook endpoint, which verifies Zoom's signature itself and answers no browser.
BARE_ENDPOINTS = ["/zoom/webhook/"]
WSGI_APPLICATION = "cohortstudio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orgs.context_processors.current_organization",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
SQLITE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
if not SQLITE:
    # Keep connections between requests: a new PostgreSQL connection costs more than the webhook's insert.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if SQLITE:
    # WAL lets the webhook write while a page reads; waits rather than fails when busy.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# django-allauth: email only, verified, with passwordless codes for students.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CohortStudio] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# The forms that email a typed address carry our limits (cohortstudio/ratelimits.py) and their clear message,
# in place of allauth's own.
ACCOUNT_FORMS = {
    "request_login_code": "accounts.forms.RequestLoginCodeForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "signup": "accounts.forms.SignupForm",
}
ACCOUNT_RATE_LIMITS = {"request_login_code": None, "reset_password": None, "signup": None}
# Behind a proxy (X-Forwarded-For), the number of proxies: rate limits count the client, not the proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: console in the embedded default, SMTP (or any backend) from EMAIL_URL.
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CohortStudio <no-reply@cohortstudio.io>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SUPPORT_EMAIL = "support@cohortstudio.io"

# Celery: Redis in production; tasks in-process in the embedded default.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# The worker logs through LOGGING above (context filter, redaction, JSON), not Celery's own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A Redis outage must not hold a web request for long: fail fast, the sweeper catches up.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 1, "socket_timeout": 2}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BEAT_SCHEDULE = {
    "evidence-refresh-course-outcomes": {
        "task": "evidence.tasks.course_outcomes_refresh_due_task",
        "schedule": crontab(minute="*/15"),
    },
    "courses-send-reminders": {
        "task": "courses.tasks.reminders_send_due_task",
        "schedule": crontab(minute="*/5"),
    },
    "zoom-refresh-expiring-tokens": {
        "task": "zoom_integration.tasks.tokens_refresh_expiring_task",
        "schedule": crontab(minute="*/5"),
    },
    "zoom-sweep-webhook-events": {
        "task": "zoom_integration.tasks.webhook_events_sweep_task",
        "schedule": WEBHOOK_SWEEP_EVERY,
    },
    "zoom-create-meetings-after-daily-limit": {
        "task": "zoom_integration.tasks.meetings_create_due_task",
        "schedule": crontab(minute="*/15"),
    },
    "zoom-prune-webhook-events": {
        "task": "zoom_integration.tasks.webhook_events_prune_task",
        "schedule": crontab(hour=3, minute=17),
    },
}

CACHES = {
    "default": (
        {"BACKEND": "cohortstudio.cache.ReusedClientRedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}


def _load_field_encryption_keys():
    """Fernet keys for secrets at rest; the first encrypts, all decrypt."""
    raw = env.str("FIELD_ENCRYPTION_KEYS", default="")
    if not raw and DEBUG:
        key_file = LOCAL_DIR / "field-encryption.key"
        if not key_file.exists():
            LOCAL_DIR.mkdir(exist_ok=True)
            key_file.write_text(Fernet.generate_key().decode())
        raw = key_file.read_text().strip()
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is not set. Set it to one or more comma-separated Fernet keys "
            '(make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key number {position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from None
    return keys


FIELD_ENCRYPTION_KEYS = _load_field_encryption_keys()


def _load_certificate_signing_keys():
    """Ed25519 private keys (base64 of the raw 32 bytes) that sign certificates; the first signs, all verify."""
    raw = env.str("CERTIFICATE_SIGNING_KEYS", default="")
    if not raw and DEBUG:
        key_file = LOCAL_DIR / "certificate-signing.key"
        if not key_file.exists():
            LOCAL_DIR.mkdir(exist_ok=True)
            private_bytes = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
            key_file.write_text(base64.b64encode(private_bytes).decode())
            key_file.chmod(0o600)
        raw = key_file.read_text().strip()
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "CERTIFICATE_SIGNING_KEYS is not set. Set it to one or more comma-separated Ed25519 private keys, "
            "each the base64 of its raw 32 bytes; any 32 random bytes are a key "
            '(make one with: python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())").'
        )
    for position, key in enumerate(keys, start=1):
        try:
            Ed25519PrivateKey.from_private_bytes(base64.b64decode(key, validate=True))
        except (ValueError, TypeError):  # binascii.Error is a ValueError
            raise ImproperlyConfigured(
                f"CERTIFICATE_SIGNING_KEYS: key number {position} is not a valid Ed25519 private key "
                "(the standard base64 of 32 raw bytes)."
            ) from None
    return keys


CERTIFICATE_SIGNING_KEYS = _load_certificate_signing_keys()

# Zoom
ZOOM_CLIENT_ID = env.str("ZOOM_CLIENT_ID", default="cohortstudio-simulator-client")
ZOOM_CLIENT_SECRET = env.str("ZOOM_CLIENT_SECRET", default="cohortstudio-simulator-secret")
ZOOM_WEBHOOK_SECRET_TOKEN = env.str("ZOOM_WEBHOOK_SECRET_TOKEN", default="cohortstudio-simulator-webhook-secret")
# The account-level (admin-managed) app: a Zoom account admin connects once; classes can be hosted by any user of the
# account. A separate Marketplace app, so its own credentials and webhook secret token. Empty: the option is hidden.
ZOOM_ACCOUNT_CLIENT_ID = env.str(
    "ZOOM_ACCOUNT_CLIENT_ID", default="cohortstudio-simulator-account-client" if DEBUG else ""
)
ZOOM_ACCOUNT_CLIENT_SECRET = env.str(
    "ZOOM_ACCOUNT_CLIENT_SECRET", default="cohortstudio-simulator-account-secret" if DEBUG else ""
)
ZOOM_ACCOUNT_WEBHOOK_SECRET_TOKEN = env.str(
    "ZOOM_ACCOUNT_WEBHOOK_SECRET_TOKEN", default="cohortstudio-simulator-account-webhook-secret" if DEBUG else ""
)
ZOOM_SIMULATOR = env.bool("ZOOM_SIMULATOR", default=DEBUG)
if ZOOM_SIMULATOR and not DEBUG and not env.bool("ZOOM_SIMULATOR_FORCE", default=False):
    raise ImproperlyConfigured(
        "ZOOM_SIMULATOR is on with DEBUG=0. The simulator is for demos and tests; "
        "set ZOOM_SIMULATOR=0 in production (or ZOOM_SIMULATOR_FORCE=1 if you really mean it)."
    )
if ZOOM_SIMULATOR:
    INSTALLED_APPS += ["zoom_simulator", "demo"]
    if SQLITE:
        DATABASES["zoom_simulator"] = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(DATABASES["default"]["NAME"]).with_name("zoom-simulator.sqlite3")),
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20},
        }
        DATABASE_ROUTERS = ["zoom_simulator.routers.SimulatorRouter"]
ZOOM_OAUTH_URL = env.str(
    "ZOOM_OAUTH_URL", default=f"{SITE_URL}/zoomsim" if ZOOM_SIMULATOR else "https://zoom.us"
).rstrip("/")
ZOOM_API_URL = env.str(
    "ZOOM_API_URL", default=f"{SITE_URL}/zoomsim/v2" if ZOOM_SIMULATOR else "https://api.zoom.us/v2"
).rstrip("/")

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "cohortstudio.observability.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s org=%(organization_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(organization_id)s %(zoom_meeting_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="plain" if DEBUG else "json"),
            "filters": ["context"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Zoom's revoke endpoint takes the token in the query string; urllib3 logs URLs at DEBUG.
        "urllib3": {"level": "WARNING"},
    },
}
