"""A renamed user's assigned claims are written to the search change log: the index filters
claims by their assignee's username (``assignee=``)."""

from django.db import migrations

TRIGGER = """
CREATE FUNCTION search_user_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_searchchange (txid, claim_id)
    SELECT pg_current_xact_id()::text::bigint, claim.id
    FROM claims_claim AS claim
    WHERE claim.assignee_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER search_user_renamed
AFTER UPDATE OF username ON auth_user
FOR EACH ROW WHEN (OLD.username IS DISTINCT FROM NEW.username)
EXECUTE FUNCTION search_user_renamed();
"""

DROP = """
DROP TRIGGER search_user_renamed ON auth_user;
DROP FUNCTION search_user_renamed();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_index_registry"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunSQL(TRIGGER, DROP)]
