"""Settings for yijia, read from environment variables.

``DEBUG`` is off unless set (``make run`` and the tests set ``DEBUG=True``); with it on,
every other variable has a development default that works with nothing set (SQLite and a
filesystem Celery broker under ``var/``). With ``DEBUG`` off, the portal refuses to start
without a real ``SECRET_KEY`` and ``ALLOWED_HOSTS``, or on SQLite unless ``ALLOW_SQLITE``.
``.env.example`` lists every variable; docs/deployment.md tells production's.
"""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default)
    if value.lower() in ("true", "1", "yes", "on"):
        return True
    if value.lower() in ("false", "0", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


# Off unless asked for: `make run`, `make test` and pytest (pyproject's env) ask for it;
# production needs nothing set to be safe (docs/deployment.md).
DEBUG = envbool("DEBUG", "False")
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

_DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"  # noqa: S105
SECRET_KEY = envstr("SECRET_KEY", _DEVELOPMENT_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

if not DEBUG:
    if (
        not SECRET_KEY
        or SECRET_KEY == _DEVELOPMENT_SECRET_KEY
        or SECRET_KEY.startswith("change-me")  # deploy/yijia.env.example's placeholder
        or len(SECRET_KEY) < 40
    ):
        raise ImproperlyConfigured(
            "DEBUG is off (the default), so SECRET_KEY must be set to a random value of 40+ "
            "characters. For development set DEBUG=True (make run does)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "True")
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    # HTTPS only (docs/deployment.md): a plain-HTTP request is redirected, and browsers are
    # told for a year (HSTS) to ask for HTTPS alone. Behind a proxy that ends TLS, the proxy's
    # X-Forwarded-Proto tells Django the request came over HTTPS (TRUST_X_FORWARDED_PROTO).
    # /healthz is exempt: a load balancer probes the server over plain HTTP.
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "True")
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", str(365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "True")
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "True")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "import_export",
    # django-axes, its app and rows named in Chinese in the admin (audit/login_security.py).
    "audit.login_security.LoginSecurityConfig",
    "django_celery_beat",
    # The 修改记录 of reports, checklists, communities, meetings and scores (docs/audit.md).
    "simple_history",
    # The portal's apps, lowest layer first (docs/architecture.md).
    "core",
    "communities",
    "notifications",
    "tasks",
    "meetings",
    "reminders",
    "dashboards",
    "assessments",
    "search",
    "home",
    "demo",
    "audit",
    # The web API (docs/api.md): REST framework, its tokens, the OpenAPI schema and its
    # documentation page's static files (the sidecar: no CDN).
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    # The project: its ready() remembers the header and the renewal time at login.
    "yijia",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Production: whitenoise serves the collected static files (inserted below, not DEBUG).
    # Content-Security-Policy, Permissions-Policy and no-store on signed-in pages.
    "csp.middleware.CSPMiddleware",
    "yijia.headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Renews a signed-in session at most once a minute rather than on every request.
    "yijia.sessions.SessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # After CommonMiddleware (which still redirects to the address with its slash): the
    # portal's 404 page under DEBUG too (yijia/errors.py).
    "yijia.errors.PortalNotFoundMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the user (and their permissions and header) kept in the session under
    # the version of who may do what: no query while it is unchanged (yijia/sessions.py).
    "yijia.sessions.AuthenticationMiddleware",
    # Every 403 to the security log (core/security.py).
    "core.security.PermissionDeniedLogMiddleware",
    # Who made a change, for the 修改记录 (django-simple-history; docs/audit.md).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yijia.urls"
# bench/throughput.py only: the portal plus a bare view to compare pages with.
if envbool("BENCH_URLS", "False"):
    ROOT_URLCONF = "yijia.bench_urls"
# A refused form (missing or stale security token) gets the portal's page, in Chinese.
CSRF_FAILURE_VIEW = "yijia.errors.csrf_failure"
WSGI_APPLICATION = "yijia.wsgi.application"

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
                "django.template.context_processors.i18n",
                "yijia.context_processors.navigation",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'yijia.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", "0"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests on SQLite use a file, not memory, so that a Celery worker started by a test
    # (another process) sees the same database. One file per test process.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    # A handful of people saving at once must wait their turn, not see "database is
    # locked" (issue 15): readers never block the writer (WAL), a writer waits up to
    # SQLITE_BUSY_TIMEOUT seconds for the lock, and a transaction takes the write lock when
    # it begins (IMMEDIATE), so that two read-then-write transactions cannot deadlock and
    # fail at once instead of waiting (docs/operations.md).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": envint("SQLITE_BUSY_TIMEOUT", "20"),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
    # The writers of one process (the development server's threads) queue for the lock
    # instead of polling for it, so that none keeps losing it to newer ones for longer than
    # the timeout under a few dozen users (core/sqlite3/base.py, docs/load-test.md).
    DATABASES["default"]["ENGINE"] = "core.sqlite3"
# Production refuses SQLite: it takes one writer at a time, and under a few dozen users saving
# at once it answers "database is locked" (issue 15). ALLOW_SQLITE=True runs on it anyway,
# for a trial with a handful of users.
ALLOW_SQLITE = envbool("ALLOW_SQLITE", "False")
_ON_SQLITE = DATABASES["default"]["ENGINE"] == "core.sqlite3"
if not DEBUG and _ON_SQLITE and not ALLOW_SQLITE:
    raise ImproperlyConfigured(
        "DEBUG is off but DATABASE_URL is SQLite (the development default). SQLite takes one "
        "writer at a time and fails with 'database is locked' under many users: set "
        "DATABASE_URL=postgres://user:password@host:5432/yijia, or ALLOW_SQLITE=True to run "
        "on SQLite anyway (docs/deployment.md)."
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's cache: the sessions (cached_db) and the dashboard's figures (keyed on the summary
# rows' version). Shared by every process, so that a version bumped or a session ended by one
# (a gunicorn worker, a Celery worker) is seen by all: Redis when CACHE_URL is set
# (redis://…, production), otherwise files under var/cache on this machine.
CACHE_URL = envstr("CACHE_URL", "")
CACHES: dict[str, dict[str, object]] = {
    "default": (
        {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    )
}

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out account is refused before its password is checked.
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        # Django's, with its error in Chinese (see the class).
        "NAME": "communities.accounts.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "communities.accounts.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    # Not the username, not one of the last five (communities.accounts).
    {"NAME": "communities.accounts.UsernameNotInPasswordValidator"},
    {"NAME": "communities.accounts.PasswordHistoryValidator", "OPTIONS": {"count": 5}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login security as 等保 2.0 asks of government systems (django-axes, Django sessions).
# An account is locked for 30 minutes after 5 failed logins. The count is per username,
# never per address: a whole office behind one NAT address must not be locked out together.
# An attempt while locked is logged too and starts the 30 minutes again (axes' default).
# A street admin unlocks an account early by deleting its "access attempts" (登录失败计数)
# in the admin, or with the user list's unlock action.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes warns when the address is not a lockout parameter; leaving it out is the point here.
# Failures still add up per username over every address and browser, so none escapes the count.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Every login is logged: successes (with logout time) in AccessLog, failures in
# AccessFailureLog; both are read in the admin.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The number of reverse proxies in front of the portal, each appending to X-Forwarded-For;
# 0 ignores that header (a browser could forge it) and logs REMOTE_ADDR.
PROXY_COUNT = envint("PROXY_COUNT", "0")
if PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"PROXY_COUNT must be 0 or more, not {PROXY_COUNT}")
AXES_CLIENT_IP_CALLABLE = "communities.accounts.client_ip_address"
# The 修改记录 and the login records are kept at least this many days, then purged by a
# nightly job; less than 180 is refused at startup (audit/retention.py, docs/audit.md).
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", "190")
# History is shown and exported, never rolled back from the admin.
SIMPLE_HISTORY_REVERT_DISABLED = True
# Behind a proxy that ends TLS, its X-Forwarded-Proto says whether the browser used HTTPS
# (for SECURE_SSL_REDIRECT and secure cookies). Trusted by default only behind a proxy: the
# proxy must set the header itself, never pass on the browser's (docs/deployment.md).
if envbool("TRUST_X_FORWARDED_PROTO", "True" if PROXY_COUNT > 0 else "False"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A session ends after 30 minutes without a request, and when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
# Renewed by yijia.sessions.SessionRenewalMiddleware when its last save is a minute old, not
# written on every request: it ends 29–30 minutes after the last request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_SECONDS = 60
# Read from the shared cache (CACHES), written through to the database: no query per request.
# Django's cached_db, reading the access version in the same round trip (yijia/sessions.py).
SESSION_ENGINE = "yijia.sessions"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The date formats by language (7月3日 / 3 July, 2017年7月 / July 2017): yijia/formats/,
# read through core.dates and the templates' |date:"MONTH_DAY_FORMAT".
FORMAT_MODULE_PATH = ["yijia.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(VAR_DIR / "static")))
# Production (DEBUG off): `collectstatic` writes each file under a name with its hash, and a
# gzip copy beside it; whitenoise (the `prod` extra) serves them from gunicorn with a year's
# caching. In development runserver serves static/ as it is.
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if not DEBUG:
    if importlib.util.find_spec("whitenoise") is None:
        raise ImproperlyConfigured(
            'DEBUG is off and whitenoise is missing: pip install ".[prod]" (docs/deployment.md)'
        )
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

# Content-Security-Policy on every page (django-csp): scripts, styles and fonts come from the
# portal's own files only, never inline ('unsafe-inline' is not allowed) nor from elsewhere.
# Images may be data: URIs (Pico's and the admin's icons). htmx's inline indicator style is
# switched off in base.html (htmx-config). See docs/deployment.md.
_SELF, _NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF, "data:"],
        "font-src": [_SELF],
        "connect-src": [_SELF],
        "object-src": [_NONE],
        "base-uri": [_SELF],
        "form-action": [_SELF],
        "frame-ancestors": [_NONE],
    },
}
# Browser features the portal never uses, refused to every page (yijia.headers).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
# Evidence files are private: they live outside STATIC/ any public URL and are only
# served through a view that checks the user may see the report.
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))

# Celery: Redis in production (CELERY_BROKER_URL=redis://...), a filesystem broker under
# var/ in development, so that nothing but Python is needed to run the portal.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = envstr("CELERY_TASK_DEFAULT_QUEUE", "yijia")
# One beat, reading its schedules from the database (django-celery-beat); the defaults are
# created by notifications/migrations and edited in the admin.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "False")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "yijia@localhost")

# django-import-export: every import runs in one transaction and rolls back on any error.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
# Admin imports (core/spreadsheets.py): the largest file, the most data rows, the most an
# xlsx may unpack to, and the rows the preview lists (its totals count them all).
IMPORT_MAX_MEGABYTES = envint("IMPORT_MAX_MEGABYTES", "5")
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", "20000")
IMPORT_MAX_UNZIPPED_MEGABYTES = envint("IMPORT_MAX_UNZIPPED_MEGABYTES", "100")
IMPORT_PREVIEW_ROWS = envint("IMPORT_PREVIEW_ROWS", "100")
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

GUARDIAN_RAISE_403 = True

# Logs go to the console (systemd's journal, docker logs) and to rotating files under LOG_DIR
# that every process (gunicorn's workers, Celery's worker and beat) shares safely:
# yijia.log, rotated by size, and security.log — the `yijia.security` logger: logins,
# lockouts, refused permissions, exports — rotated daily and kept LOG_SECURITY_DAYS days
# (等保 2.0 asks for six months). docs/deployment.md.
LOG_DIR = Path(envstr("LOG_DIR", str(VAR_DIR / "log")))
LOG_DIR.mkdir(parents=True, exist_ok=True)
LOG_LEVEL = envstr("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "file": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "file": {
            "class": "concurrent_log_handler.ConcurrentRotatingFileHandler",
            "filename": str(LOG_DIR / "yijia.log"),
            "maxBytes": envint("LOG_FILE_MEGABYTES", "20") * 1024 * 1024,
            "backupCount": envint("LOG_FILE_COUNT", "10"),
            "encoding": "utf-8",
            "formatter": "file",
        },
        "security_file": {
            "class": "concurrent_log_handler.ConcurrentTimedRotatingFileHandler",
            "filename": str(LOG_DIR / "security.log"),
            "when": "midnight",
            "backupCount": envint("LOG_SECURITY_DAYS", "190"),
            "encoding": "utf-8",
            "formatter": "file",
        },
    },
    "root": {"handlers": ["console", "file"], "level": LOG_LEVEL},
    "loggers": {
        # Its own file, and on to the root's console and yijia.log like every record.
        "yijia.security": {"handlers": ["security_file"], "level": "INFO"},
    },
}
# In production the worker and beat log through LOGGING too (the same files), not Celery's
# own handlers; in development (`make run`) Celery keeps its own: var/celery.log.
CELERY_WORKER_HIJACK_ROOT_LOGGER = DEBUG

# /healthz (yijia/health.py): the beat is taken to be down when no schedule has run for this
# many seconds (the outbox relay runs every 10 s; the beat records runs every 3 minutes), and
# the outbox to be stuck when its oldest unpublished task is older than this.
HEALTHZ_BEAT_MAX_AGE_SECONDS = envint("HEALTHZ_BEAT_MAX_AGE_SECONDS", "600")
HEALTHZ_OUTBOX_MAX_AGE_SECONDS = envint("HEALTHZ_OUTBOX_MAX_AGE_SECONDS", "600")


# The web API (/api/v1/, docs/api.md). Systems sign in with a token (issued in the admin or by
# `manage.py api_token <username>`), the browser with its session (and the CSRF token). Every
# request is throttled per user: API_THROTTLE_RATE requests per second, minute, hour or day
# ("1000/hour"); writes (filing, submitting, review) also API_WRITE_THROTTLE_RATE.
def envrate(name: str, default: str) -> str:
    """A rate as REST framework reads it: a number of requests per second, minute, hour or
    day ("1000/hour")."""
    value = os.environ.get(name, default)
    number, _slash, period = value.partition("/")
    periods = ("second", "minute", "hour", "day", "s", "m", "h", "d")
    if not (number.isascii() and number.isdigit()) or period not in periods:
        raise ImproperlyConfigured(f"{name} must read like 1000/hour, not {value!r}")
    return value


API_THROTTLE_RATE = envrate("API_THROTTLE_RATE", "2000/hour")
API_WRITE_THROTTLE_RATE = envrate("API_WRITE_THROTTLE_RATE", "300/hour")
API_PAGE_SIZE = 50
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: an anonymous request is answered 401 with "WWW-Authenticate: Token".
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.UserThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    # JSON only: the browsable API's pages run inline scripts the CSP refuses.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "宜居家园目标任务清单门户 API",
    "DESCRIPTION": "清单、任务、指标、责任分工、月度进展(含指标判定)和汇总数据;"
    "填报、提交和审核月报。权限与网页相同(docs/api.md)。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its page for a signed-in user (a token, or the browser's session).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # The documentation page's Swagger UI from the sidecar package's static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per set of choices in the schema.
    "ENUM_NAME_OVERRIDES": {
        "ReportStatusEnum": "tasks.models.ProgressReport.Status",
        "ChecklistStatusEnum": "tasks.models.Checklist.Status",
        "WorkflowStateEnum": "tasks.models.ProgressReport.WorkflowState",
        "SummaryStateEnum": "dashboards.models.AssignmentMonth.State",
    },
}

# Evidence files (佐证材料): the largest upload accepted, in megabytes.
EVIDENCE_MAX_MEGABYTES = envint("EVIDENCE_MAX_MEGABYTES", "10")
# An Office document (a zip) that unpacks to more, or holds more parts, is a zip bomb.
EVIDENCE_MAX_UNZIPPED_MEGABYTES = envint("EVIDENCE_MAX_UNZIPPED_MEGABYTES", "100")
EVIDENCE_MAX_ZIP_ENTRIES = envint("EVIDENCE_MAX_ZIP_ENTRIES", "2000")
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000  # the monthly form has a few fields per assignment

# Reminders (notifications/). A worker that claimed a message and has not sent it within
# this many seconds is taken to have died; another worker may then claim it.
REMINDER_CLAIM_SECONDS = envint("REMINDER_CLAIM_SECONDS", "300")
# A reminder run with more than one batch of messages asks up to this many workers in all
# (itself included) to deliver them (notifications.services.messages_deliver_fan_out).
DELIVERY_WORKERS = envint("DELIVERY_WORKERS", "4")
# Webhook (企业微信/钉钉 group robots) requests give up after this many seconds.
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", "10")
# The address people use to reach the portal, for the links in email and group messages.
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
