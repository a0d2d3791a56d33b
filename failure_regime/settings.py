"""Settings for the single failure regime service.

Everything that differs between a laptop and production comes from the environment. With no
configuration at all the service runs on embedded defaults (a SQLite file, a file-system message
broker, e-mail printed to the console, uploads on local disk) so that one command starts it; in
production the same code runs on PostgreSQL and Redis (see README.md).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY in the environment (or DEBUG=true for local use).")
    SECRET_KEY = "local-development-only-not-secret"  # noqa: S105 - only ever used with DEBUG on

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Official name of the service, used on staff pages, in e-mails to staff and in the OpenAPI schema.
SERVICE_NAME = "Single failure regime"
# The name the public sees on the public pages: plain words for what the service is about.
PUBLIC_SERVICE_NAME = "When care fails"
# Who runs the service (the data controller on the privacy notice), and where people write about the service's
# accessibility and about their personal data. Set real addresses in production: the defaults are examples.
SERVICE_OPERATOR = os.environ.get("SERVICE_OPERATOR", "NHS England")
ACCESSIBILITY_CONTACT_EMAIL = os.environ.get("ACCESSIBILITY_CONTACT_EMAIL", "accessibility@example.org")
DATA_PROTECTION_OFFICER_EMAIL = os.environ.get("DATA_PROTECTION_OFFICER_EMAIL", "data-protection@example.org")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    # API tokens, kept as a digest with an expiry (accounts.services.api_token_issue).
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    # The project's own apps, ground floor first (imports only go down).
    "accounts",
    "failure_regime",
    "reviews",
    "communications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accounts.middleware.RequestIdMiddleware",
    # Refuses a query string or form holding a NUL or bytes that are not UTF-8 with a 400, before any cache or view.
    "failure_regime.middleware.RefuseUnreadableInputMiddleware",
    # While the database is out of reach, serves a public page's last good copy instead of the 503 page.
    "communications.public_cache.LastGoodCopyMiddleware",
    # Serves public pages from the shared cache before any session, user or database work (see the module).
    "communications.public_cache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Inside the session layer, so pages served from the public cache above never reach it.
    "failure_regime.middleware.NoStoreMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must come last: it turns a lockout raised during authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "failure_regime.urls"
WSGI_APPLICATION = "failure_regime.wsgi.application"
ASGI_APPLICATION = "failure_regime.asgi.application"

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
                "failure_regime.context_processors.service",
                "failure_regime.context_processors.notifications",
                "failure_regime.context_processors.staff_menu",
                "failure_regime.context_processors.session_seconds_left",
            ],
            "builtins": ["accounts.templatetags.sfr"],
        },
    },
]
FORM_RENDERER = "accounts.nhsuk.NHSFormRenderer"

# --- Data stores -------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default shares one file between the web server and the Celery worker: wait for
    # the lock rather than fail, and take it at the start of each write transaction.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# Seconds to wait for Redis to accept a connection, and to answer. A dead Redis costs a request at most one connect
# wait: the cache then fails open for the rest of the request (see failure_regime/cache.py).
REDIS_CONNECT_TIMEOUT = float(os.environ.get("REDIS_CONNECT_TIMEOUT", "0.5"))
REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT", "2"))
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, treating an unreachable Redis as a cache miss: pages come from the database.
            "BACKEND": "failure_regime.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        }
    }
else:
    # A file cache is shared by every process on the machine, unlike the per-process memory cache.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery ------------------------------------------------------------------------------------

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A message sent while a page is answered (the outbox flush asked for on commit) waits for a dead Redis for no
    # more than the cache does; the outbox keeps the mail and the periodic flush sends it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# A task is acknowledged when it has finished, not when it starts, so a worker that dies part-way leaves the message
# to be delivered again (at once when only the pool's child died; after the broker's visibility time-out when the
# whole worker did, by which time the periodic resumes have usually finished the work). Every task is safe to run
# twice. Each is stopped after its time limit (SoftTimeLimitExceeded first, so it can record the failure).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Seconds between the scheduler's heartbeats; the integration tests shorten it.
CELERY_HEARTBEAT_SECONDS = env_int("CELERY_HEARTBEAT_SECONDS", 60)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "failure_regime.tasks.heartbeat", "schedule": timedelta(seconds=CELERY_HEARTBEAT_SECONDS)},
    "sweep-deadlines": {
        "task": "failure_regime.tasks.sweep_deadlines",
        "schedule": timedelta(seconds=env_int("DEADLINE_SWEEP_SECONDS", 300)),
    },
    "flush-outbox": {"task": "failure_regime.tasks.flush_outbox", "schedule": timedelta(seconds=60)},
    # The daily digest of notifications, each morning (London time); each person gets one a day at most.
    "send-notification-digests": {
        "task": "failure_regime.tasks.send_notification_digests",
        "schedule": crontab(hour=env_int("NOTIFICATION_DIGEST_HOUR", 7), minute=0),
    },
    # Picks up cohort imports whose worker died (a stale heartbeat) or whose message was lost; each runs once.
    "resume-cohort-imports": {
        "task": "reviews.tasks.cohort_imports_resume",
        "schedule": timedelta(seconds=env_int("COHORT_IMPORT_RESUME_SECONDS", 300)),
    },
    "sweep-enquiries": {
        "task": "communications.tasks.sweep_enquiries",
        "schedule": timedelta(seconds=env_int("ENQUIRY_SWEEP_SECONDS", 300)),
    },
    # Makes webhook deliveries for new audit events and sends those due (retries included).
    "sweep-webhooks": {
        "task": "accounts.tasks.sweep_webhooks",
        "schedule": timedelta(seconds=env_int("WEBHOOK_SWEEP_SECONDS", 60)),
    },
    # Signs the audit chain's head into a file outside the database (see "Audit trail" in README.md).
    "anchor-audit-chain": {
        "task": "accounts.tasks.anchor_audit_chain",
        "schedule": timedelta(seconds=env_int("AUDIT_ANCHOR_SECONDS", 3600)),
    },
}

# --- Audit trail -------------------------------------------------------------------------------

# The key of the audit chain's HMACs and of its anchors. Set it in production, apart from SECRET_KEY, and never
# change it: events are verified with it for as long as they are kept. Unset, a key derived from SECRET_KEY is used
# (and `check --deploy` warns). Anchor files go to the STORAGES alias "audit_anchors" (write-once, see STORAGES) if
# defined, else "default"; either way an anchor file is never written over.
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")

# --- Webhooks ----------------------------------------------------------------------------------

# Plain http to 127.0.0.1 or localhost (and addresses on private networks) only for local use and tests.
WEBHOOK_ALLOW_LOCAL_HTTP = env_bool("WEBHOOK_ALLOW_LOCAL_HTTP", DEBUG)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
# A failed delivery is tried again after 1, 2, 4, ... minutes, up to 6 hours apart, 8 times in all.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 60)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600)
# A subscription whose receiver fails this many attempts in a row is disabled.
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 10)

# --- E-mail and files --------------------------------------------------------------------------

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "no-reply@single-failure-regime.localhost")
# How accounts (the ground floor) queues mail in the outbox, which stands above it.
ACCOUNTS_QUEUE_MAIL = "failure_regime.services.outbox.outbox_enqueue_one"
# And whom it tells when a check finds the audit trail changed.
ACCOUNTS_AUDIT_CHAIN_BROKEN = "failure_regime.services.notification_events.audit_chain_broken_notify"

# Evidence files and monthly reports: the largest file accepted, in bytes.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
# Word and Excel files are zip archives: refuse one whose parts add up to more than this when inflated, or that
# inflates more than this many times its stored size (a "zip bomb"). Judged from the archive's directory.
UPLOAD_MAX_INFLATED_BYTES = env_int("UPLOAD_MAX_INFLATED_BYTES", 100 * 1024 * 1024)
UPLOAD_MAX_COMPRESSION_RATIO = env_int("UPLOAD_MAX_COMPRESSION_RATIO", 200)
# Optional ClamAV daemon: every upload is streamed to it, and refused if it finds something or cannot be reached.
# Give the Unix socket path, or the host (and port).
CLAMD_SOCKET = os.environ.get("CLAMD_SOCKET", "")
CLAMD_HOST = os.environ.get("CLAMD_HOST", "")
CLAMD_PORT = env_int("CLAMD_PORT", 3310)
CLAMD_TIMEOUT = env_int("CLAMD_TIMEOUT", 30)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The regime's clock: how long parties have to sign off a case raised from an immediate concern, and
# how often the undecided parties are chased from the start (every 4 hours, and a last call 2 hours
# before the end: 20, 16, 12, 8, 4 and 2 hours before a 24-hour deadline); and when reminders fall
# due before each other kind of deadline (an offset of zero means the morning of the day). A kind
# listed in DEADLINE_REMINDER_OFFSETS uses that list instead. Overdue deadlines are escalated once.
IMMEDIATE_SIGN_OFF_HOURS = env_int("IMMEDIATE_SIGN_OFF_HOURS", 24)
IMMEDIATE_SIGN_OFF_CHASE_HOURS = env_int("IMMEDIATE_SIGN_OFF_CHASE_HOURS", 4)
IMMEDIATE_SIGN_OFF_LAST_CALL_HOURS = env_int("IMMEDIATE_SIGN_OFF_LAST_CALL_HOURS", 2)
# An immediate concern is assessed within this many hours of being recorded; those who assess it are reminded
# IMMEDIATE_CONCERN_REMINDER_HOURS before, and national oversight hears when it is missed.
IMMEDIATE_CONCERN_ASSESSMENT_HOURS = env_int("IMMEDIATE_CONCERN_ASSESSMENT_HOURS", 24)
IMMEDIATE_CONCERN_REMINDER_HOURS = env_int("IMMEDIATE_CONCERN_REMINDER_HOURS", 4)
DEADLINE_REMINDER_OFFSETS = {
    "default": [timedelta(days=90), timedelta(days=30), timedelta(days=7), timedelta(0)],
}
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Employment at a provider within this many years is a conflict of interest for a review of it.
REVIEWS_CONFLICT_LOOKBACK_YEARS = env_int("REVIEWS_CONFLICT_LOOKBACK_YEARS", 5)
# Recruitment: applications one address may send (a django-ratelimit rate), and how long an invitation lasts.
REVIEWS_APPLICATION_RATE = os.environ.get("REVIEWS_APPLICATION_RATE", "10/h")
REVIEWS_INVITATION_VALID_DAYS = env_int("REVIEWS_INVITATION_VALID_DAYS", 14)
# Case-note review cohorts: the share of patients sampled for a second review, how many weeks of each reviewer's
# weekly capacity an assignment run may fill, and the largest CSV file accepted.
REVIEWS_SECOND_REVIEW_SHARE = os.environ.get("REVIEWS_SECOND_REVIEW_SHARE", "0.20")
REVIEWS_ASSIGNMENT_WEEKS = env_int("REVIEWS_ASSIGNMENT_WEEKS", 4)
REVIEWS_COHORT_UPLOAD_MAX_BYTES = env_int("REVIEWS_COHORT_UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
# A running cohort import touches its heartbeat every few thousand rows; one silent for this long has lost its
# worker, and the periodic resume starts it again. Longer than the longest save (one transaction, no heartbeat).
COHORT_IMPORT_STALE_SECONDS = env_int("COHORT_IMPORT_STALE_SECONDS", 600)
# The longest a cohort import may run before it is stopped and marked failed.
COHORT_IMPORT_TIME_LIMIT_SECONDS = env_int("COHORT_IMPORT_TIME_LIMIT_SECONDS", 3600)
# Public pages: how long browsers, shared caches and the service's own page cache keep them (seconds).
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 60)
# Serve public pages from the shared cache (turn off to see every change at once while debugging).
PUBLIC_PAGE_CACHE = env_bool("PUBLIC_PAGE_CACHE", True)
# While the database is out of reach, a public page is served from its last good copy for up to this long after it
# was rendered; after that (or with 0) the service answers with its "not available at the moment" page.
PUBLIC_STALE_SECONDS = env_int("PUBLIC_STALE_SECONDS", 6 * 60 * 60)
# A "families first" notice must be scheduled at least this far ahead, so that families hear before the public.
NOTICE_FAMILIES_FIRST_MINUTES = env_int("NOTICE_FAMILIES_FIRST_MINUTES", 60)
# Public enquiries: how many messages one address may send (a django-ratelimit rate, counted on accepted
# messages), how long the thank-you page showing the reference stays open (seconds), when the working day ends
# and the cut-off after which an urgent enquiry is due the next working day (London time), and who handles an
# enquiry that no case or oversight body takes (an ODS code; NHS England).
ENQUIRY_RATE_LIMIT = os.environ.get("ENQUIRY_RATE_LIMIT", "5/h")
# The contact form's and the recruitment form's limits are counted in the cache. While it is unreachable they let
# messages through (logged as a warning by failure_regime/cache.py) rather than turn people away: a worried family
# must be able to write when it matters, the forms' hidden robot trap still works, and the outage is short and seen.
# Sign-in does not depend on this: its lockout (django-axes) and the second factor's throttle count in the database.
RATELIMIT_FAIL_OPEN = True
ENQUIRY_SENT_PAGE_SECONDS = env_int("ENQUIRY_SENT_PAGE_SECONDS", 3600)
ENQUIRY_WORKING_DAY_ENDS = os.environ.get("ENQUIRY_WORKING_DAY_ENDS", "17:00")
ENQUIRY_URGENT_CUTOFF = os.environ.get("ENQUIRY_URGENT_CUTOFF", "15:00")
ENQUIRY_DEFAULT_ORGANISATION = os.environ.get("ENQUIRY_DEFAULT_ORGANISATION", "X24")

MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# The NHS.UK stylesheet refers to its images under /assets/, so they are served from the site root.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
# Source maps (several MB each for the API documentation's bundles) are fetched only by developer tools; compressing
# them with Brotli took half of `collectstatic`.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
    # The audit chain's anchor files: write-once, so that none is ever written over (accounts.storage). By default
    # under MEDIA_ROOT/audit-anchors/, where they have always been; in production set AUDIT_ANCHOR_ROOT to a volume
    # the database's owner cannot write to.
    "audit_anchors": {
        "BACKEND": "accounts.storage.WriteOnceFileSystemStorage",
        "OPTIONS": {"location": os.environ.get("AUDIT_ANCHOR_ROOT", str(MEDIA_ROOT))},
    },
}

# --- People and sign-in ------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "staff-home"
LOGOUT_REDIRECT_URL = "public:home"

# Sessions end after 30 idle minutes and, whatever happens, 12 hours after sign-in.
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Sessions are kept in the database and read through the cache, so signing in works while Redis is down.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"

# Failed sign-ins: five per account and address, then a 15-minute pause.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.auth.locked_out"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)

OTP_TOTP_ISSUER = SERVICE_NAME
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
ANONYMOUS_USER_NAME = None

# --- Security headers --------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 63072000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- API ---------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that an anonymous request is told how to authenticate (401, not 403).
        "accounts.api.authentication.ApiTokenAuthentication",
        "accounts.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "failure_regime.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "failure_regime.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/minute", "user": "1200/minute"},
    "DEFAULT_VERSIONING_CLASS": None,
}
# API tokens (django-rest-knox): the database keeps only a digest of each, and a token stops working API_TOKEN_DAYS
# after it was made; using it does not extend it. A person has one token at a time: making a new one revokes the old.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90)
if API_TOKEN_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_DAYS must be a whole number of days, 1 or more.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_DAYS),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 1,
    # The header stays `Authorization: Token <key>`, as clients and the API documentation know it.
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SERVICE_NAME} API",
    "DESCRIPTION": "Cases, special measures, reviews and public communications for the single failure regime.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Without deep links each operation's heading is a single button, not a link inside a button (WCAG 4.1.2).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "accounts.models.OrganisationKind",
        "RegionEnum": "accounts.models.Region",
        "RoleEnum": "accounts.models.Role",
        "CaseStatusEnum": "failure_regime.models.CaseStatus",
        "ClosureReasonEnum": "failure_regime.models.ClosureReason",
        "ConcernStatusEnum": "failure_regime.models.ConcernStatus",
        "ConcernSourceEnum": "failure_regime.models.ConcernSource",
        "ConcernOutcomeEnum": "failure_regime.models.ConcernOutcome",
        "SeverityEnum": "failure_regime.models.Severity",
        "DecisionEnum": "failure_regime.models.Decision",
        "PartyBasisEnum": "failure_regime.models.PartyBasis",
        "AreaEnum": "failure_regime.models.Area",
        "EnforcementKindEnum": "failure_regime.models.EnforcementKind",
        "EnforcementOutcomeEnum": "failure_regime.models.EnforcementOutcome",
        "DeadlineKindEnum": "failure_regime.models.DeadlineKind",
        "EpisodeStatusEnum": "failure_regime.models.EpisodeStatus",
        "BasisEnum": "failure_regime.models.Basis",
        "ActionStatusEnum": "failure_regime.models.ActionStatus",
        "RagEnum": "failure_regime.models.Rag",
        "RatingEnum": "failure_regime.models.Rating",
        "InspectionKindEnum": "failure_regime.models.InspectionKind",
        "ReportStatusEnum": "failure_regime.models.ReportStatus",
        "RecommendationStatusEnum": "failure_regime.models.RecommendationStatus",
        "RecommendationDecisionEnum": "failure_regime.api.inspections.DECISION_CHOICES",
        "InterventionKindEnum": "failure_regime.models.InterventionKind",
        "InterventionStatusEnum": "failure_regime.models.InterventionStatus",
        "InterventionOpeningStatusEnum": "failure_regime.api.interventions.OPENING_STATUS_CHOICES",
        "InterventionReviewStatusEnum": "failure_regime.api.interventions.REVIEW_STATUS_CHOICES",
        "SupportKindEnum": "communications.models.SupportKind",
        "WeekdayEnum": "communications.models.Weekday",
        "EnquiryStatusEnum": "communications.models.EnquiryStatus",
        "EnquiryCategoryEnum": "communications.models.EnquiryCategory",
        "UrgencyEnum": "communications.models.Urgency",
        "NoteKindEnum": "communications.models.NoteKind",
        "ReferralStatusEnum": "communications.models.ReferralStatus",
        "RelationEnum": "communications.models.Relation",
        "ContactMethodEnum": "communications.models.ContactMethod",
        "NoticeKindEnum": "communications.models.NoticeKind",
        "ReviewRequestStatusEnum": "reviews.models.ReviewRequestStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "failure_regime.api.schema.add_error_responses",
    ],
}

# --- Language, time and logging ----------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "accounts.request_id.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Axes logs the submitted user name of failed sign-ins; that is personal data.
        "axes": {"level": "WARNING"},
    },
}
