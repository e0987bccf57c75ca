from django import template
from django.utils.safestring import SafeString

from verification.admin import status_badge as _status_badge

register = template.Library()


@register.filter
def status_badge(status: str) -> SafeString:
    """A claim status as the admin's coloured label."""
    return _status_badge(status)
