from django.dispatch import Signal

# Sent after the transaction of a status change has committed (never for a rolled-back one),
# with ``status_change``: for code outside the project that wants to follow status changes.
# Nothing in the project receives it: the notifications outbox is written by the transition
# itself, in its transaction, so that a change and its notifications commit together.
status_change_committed = Signal()
