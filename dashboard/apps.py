from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class DashboardConfig(AppConfig):
    name = "dashboard"


class ReviewAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the reviewer's dashboard as its front page."""

    default = False  # installed by its path, in place of "django.contrib.admin"
    default_site = "dashboard.sites.ReviewAdminSite"
