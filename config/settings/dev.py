"""Development: safe defaults, the embedded PostgreSQL when DATABASE_URL is unset."""

from config import embedded
from config.settings import base
from config.settings.base import *  # noqa: F403
from config.settings.base import database_config, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")

if not base.DATABASE_URL:
    # The app runs as the embedded database's runtime role; migrate switches to its owner.
    database_urls = embedded.postgres_urls()
    DATABASE_URL = database_urls.runtime
    DATABASE_OWNER_URL = database_urls.owner
    DATABASE_RUNTIME_ROLE = embedded.RUNTIME_ROLE
    DATABASES = {"default": database_config(DATABASE_URL)}

# Webhooks to this machine (a local receiver) are allowed outside production.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=True)
CELERY_BROKER_URL = base.CELERY_BROKER_URL or embedded.broker_url(base.DATABASE_URL)
