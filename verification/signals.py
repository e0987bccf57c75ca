from django.dispatch import Signal

# Sent after the transaction of a status change has committed (never for a rolled-back one),
# with ``status_change``. The notifications outbox hooks in here.
status_change_committed = Signal()
