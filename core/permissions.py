"""The permission names the code checks, each written once ("<app_label>.<codename>")."""

from __future__ import annotations

# claims
VIEW_CLAIM = "claims.view_claim"
ADD_CLAIM = "claims.add_claim"
CHANGE_CLAIM = "claims.change_claim"
CHANGE_CLAIM_STATUS = "claims.change_claim_status"
VIEW_SOURCE = "claims.view_source"
ADD_SOURCE = "claims.add_source"
CHANGE_SOURCE = "claims.change_source"
VIEW_APPEARANCE = "claims.view_appearance"
ADD_APPEARANCE = "claims.add_appearance"
CHANGE_APPEARANCE = "claims.change_appearance"
DELETE_APPEARANCE = "claims.delete_appearance"
VIEW_STATEMENT = "claims.view_statement"
ADD_STATEMENT = "claims.add_statement"
CHANGE_STATEMENT = "claims.change_statement"
DELETE_STATEMENT = "claims.delete_statement"

# verification
VIEW_EVIDENCE = "verification.view_evidence"
ADD_EVIDENCE = "verification.add_evidence"
CHANGE_EVIDENCE = "verification.change_evidence"
VIEW_STATUS_CHANGE = "verification.view_statuschange"
VIEW_VERDICT_PROPOSAL = "verification.view_verdictproposal"

# publishing
PUBLISH_CLAIM = "publishing.publish_claim"

# notifications
VIEW_WEBHOOK_ENDPOINT = "notifications.view_webhookendpoint"
ADD_WEBHOOK_ENDPOINT = "notifications.add_webhookendpoint"
CHANGE_WEBHOOK_ENDPOINT = "notifications.change_webhookendpoint"
VIEW_DELIVERY = "notifications.view_delivery"
CHANGE_DELIVERY = "notifications.change_delivery"
VIEW_DELIVERY_ATTEMPT = "notifications.view_deliveryattempt"

# api
VIEW_API_TOKEN = "api.view_apitoken"  # noqa: S105 (a permission name, not a secret)
ADD_API_TOKEN = "api.add_apitoken"  # noqa: S105 (a permission name, not a secret)

# interchange
IMPORT_REVIEWS = "interchange.import_reviews"
VIEW_IMPORT = "interchange.view_import"
