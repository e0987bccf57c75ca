from config import broker  # noqa: F401  (registers the embedded broker's transport: pgqueue+)
from config.celery import app as celery_app

__all__ = ["celery_app"]
