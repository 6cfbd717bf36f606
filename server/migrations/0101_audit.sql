-- The audit log: who did what, when, from where. Append-only: updates, deletes and truncation raise.
CREATE TABLE audit_log (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at              timestamptz NOT NULL DEFAULT now(),
  actor_id        text,
  actor_username  text,
  action          text NOT NULL,
  target          text,
  details         jsonb NOT NULL DEFAULT '{}',
  ip              text NOT NULL DEFAULT '',
  outcome         text NOT NULL DEFAULT 'success' CHECK (outcome IN ('success', 'failure'))
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_actor_at ON audit_log (actor_username, at DESC);
CREATE INDEX audit_log_action_at ON audit_log (action, at DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
