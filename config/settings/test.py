"""Tests: real PostgreSQL (DATABASE_URL, or the embedded one), fast password hashing."""

from urllib.parse import urlsplit

from config import embedded
from config.settings import base
from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, database_config, env

SECRET_KEY = env("SECRET_KEY", default="test-only-insecure-key")
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "test-media"
if not env("EMAIL_URL", default=""):  # a worker started by a test may be given filemail://
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks queued by tests go to a queue of their own; the notification tests start workers on
# one of their own (a development worker on the same broker never takes tests' work).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="claimtracker-tests")

if not base.DATABASE_URL:
    DATABASE_URL = embedded.postgres_url()
    DATABASES = {"default": database_config(DATABASE_URL)}

# Parallel test runs on one server need their own test databases.
TEST_DATABASE_NAME = env("TEST_DATABASE_NAME", default="test_claimtracker")
DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE_NAME}
# The embedded broker: on a server given by DATABASE_URL, in the test database (it exists while
# the tests run; the workers they start are given this URL); else on the embedded server.
CELERY_BROKER_URL = base.CELERY_BROKER_URL or embedded.broker_url(
    base.DATABASE_URL
    and urlsplit(base.DATABASE_URL)._replace(path=f"/{TEST_DATABASE_NAME}").geturl()
)

# Webhooks to this machine (a local receiver) are allowed outside production.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=True)

# Each page computes the dashboard's figures: a test's figures are never an earlier test's
# (the tests of keeping them set a time).
DASHBOARD_FIGURES_SECONDS = 0
