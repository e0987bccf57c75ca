from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The claims' full-text index: its change log in PostgreSQL and the index on disk."""

    name = "search"
    verbose_name = "Search index"
