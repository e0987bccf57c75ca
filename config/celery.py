import os

from celery import Celery

# The same default as config/wsgi.py and config/asgi.py (this module is imported first, by
# config/__init__.py): a server or worker started without the variable runs production.
# manage.py, make run and the tests name their settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("claimtracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
