"""Triggers that write the search change log in the writing transaction (search/models.py)."""

from django.db import migrations

TRIGGERS = """
CREATE FUNCTION search_claim_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_searchchange (txid, claim_id)
    VALUES (pg_current_xact_id()::text::bigint, COALESCE(NEW.id, OLD.id));
    RETURN NULL;
END $$;

CREATE TRIGGER search_claim_changed
AFTER INSERT OR UPDATE OR DELETE ON claims_claim
FOR EACH ROW EXECUTE FUNCTION search_claim_changed();

CREATE FUNCTION search_source_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_searchchange (txid, claim_id)
    SELECT pg_current_xact_id()::text::bigint, claim.id
    FROM claims_claim AS claim
    WHERE claim.claimant_id = NEW.id
       OR EXISTS (SELECT 1 FROM claims_statement AS statement
                  WHERE statement.claim_id = claim.id AND statement.source_id = NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER search_source_renamed
AFTER UPDATE OF name ON claims_source
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION search_source_renamed();
"""

DROP = """
DROP TRIGGER search_source_renamed ON claims_source;
DROP FUNCTION search_source_renamed();
DROP TRIGGER search_claim_changed ON claims_claim;
DROP FUNCTION search_claim_changed();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        ("claims", "0006_text_policy"),
    ]

    operations = [migrations.RunSQL(TRIGGERS, DROP)]
