from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """Fact checks on the public site: publication, the rating scale, ClaimReview and feeds."""

    name = "publishing"
    verbose_name = "Publishing"
    default_auto_field = "django.db.models.BigAutoField"
