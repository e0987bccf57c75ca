from django.db import migrations

# pghistory upserts the context of each transaction (INSERT ... ON CONFLICT DO UPDATE), so the
# runtime role needs UPDATE on it. now() is the start of the transaction: a row created before
# it is never changed. pghistory's upsert from an event trigger (nested) leaves such a row as it
# was, so that a context spanning transactions does not fail; any other UPDATE is refused.
SQL = """
CREATE OR REPLACE FUNCTION audit_context_past_rows_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'The edit history''s context rows (%) are never deleted.', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.created_at < now() THEN
        IF pg_trigger_depth() > 1 THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'The context % was recorded by an earlier transaction; it is not changed.',
            OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_context_past_rows_immutable ON pghistory_context;
CREATE TRIGGER audit_context_past_rows_immutable
    BEFORE UPDATE OR DELETE ON pghistory_context
    FOR EACH ROW EXECUTE FUNCTION audit_context_past_rows_immutable();
"""
REVERSE_SQL = """
DROP TRIGGER IF EXISTS audit_context_past_rows_immutable ON pghistory_context;
DROP FUNCTION IF EXISTS audit_context_past_rows_immutable();
"""


class Migration(migrations.Migration):
    """Who made each edit (pghistory_context) can be changed only by its own transaction."""

    dependencies = [("pghistory", "0007_auto_20250421_0444")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
