"""What every app shares: actors and permission checks, roles, the admin kit, service errors.

A domain app imports from here; nothing here imports a domain app.
"""
