# No models: the app holds the database roles' grants (apps.py) and a trigger (migrations).
# This module exists because Django sends post_migrate only to apps with a models module.
