"""Production: no default secret, no embedded services, hardened HTTP."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import env

# Secrets that sign sessions, password resets and webhook secrets' encryption: refuse one that
# can be guessed (short, repetitive, Django's placeholder, or this project's dev/test defaults).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_DISTINCT = 5
_KNOWN_INSECURE_KEYS = {
    "dev-only-insecure-key-do-not-use-in-production",
    "test-only-insecure-key",
}
_HOW_TO_MAKE_ONE = (
    "Generate one with: python -c 'from django.core.management.utils import "
    "get_random_secret_key; print(get_random_secret_key())'"
)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(f"SECRET_KEY must be set in production. {_HOW_TO_MAKE_ONE}")
if (
    len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < SECRET_KEY_MIN_DISTINCT
    or SECRET_KEY.startswith("django-insecure")
    or SECRET_KEY in _KNOWN_INSECURE_KEYS
):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak for production: it needs at least {SECRET_KEY_MIN_LENGTH}"
        f" characters, {SECRET_KEY_MIN_DISTINCT} of them distinct, and must not be a"
        f" development default or start with 'django-insecure'. {_HOW_TO_MAKE_ONE}"
    )
if not DATABASES:  # noqa: F405
    raise ImproperlyConfigured("DATABASE_URL must be set in production.")
# The app refuses to run as a superuser or as the tables' owner: migrate alone runs as the
# owner (DATABASE_OWNER_URL); the app, workers and beat as a role that owns nothing.
DATABASE_REFUSE_PRIVILEGED_ROLE = env.bool("DATABASE_REFUSE_PRIVILEGED_ROLE", default=True)

DEBUG = False
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not CELERY_BROKER_URL:  # noqa: F405
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must be set in production (redis://host:6379/0 or amqp://…)."
    )
