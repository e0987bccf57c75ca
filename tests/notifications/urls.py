"""The project's URLs with the notifications API mounted where api/urls.py will mount it.

Until ``path("", include("notifications.urls"))`` is added to api/urls.py (the API contract
tests of tests/api/ list every operation and have to learn of these first).
"""

from django.urls import include, path

from config.urls import handler404, handler500
from config.urls import urlpatterns as project

urlpatterns = [path("api/v1/", include("notifications.urls")), *project]

__all__ = ["handler404", "handler500", "urlpatterns"]
