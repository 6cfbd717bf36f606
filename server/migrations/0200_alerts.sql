-- Alerts: what operators claim on the spot, hand to a department with a deadline, and close.
-- Every change takes the next value of alert_seq (under one advisory lock, so the numbers follow commit
-- order); consoles send back the highest they have seen to catch up after a reconnect.

CREATE TABLE departments (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9_-]{1,64}$'),
  name        text NOT NULL,
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO departments (id, name) VALUES
  ('traffic_police', 'Traffic police'),
  ('urban_management', 'Urban management'),
  ('public_security', 'Public security'),
  ('water', 'Water'),
  ('power', 'Power supply'),
  ('property', 'Property management'),
  ('sanitation', 'Sanitation'),
  ('street_office', 'Street office')
ON CONFLICT (id) DO NOTHING;

CREATE SEQUENCE alert_seq;

CREATE TABLE alerts (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  seq                   bigint NOT NULL,
  type                  text NOT NULL,
  severity              text NOT NULL CHECK (severity IN ('critical', 'major', 'minor', 'info')),
  raised_severity       text NOT NULL,
  state                 text NOT NULL CHECK (state IN ('new', 'claimed', 'assigned', 'resolved', 'false_alarm')),
  title                 text NOT NULL,
  dedupe_key            text NOT NULL,
  rule_id               text,
  device_id             text,
  area                  text,
  source_event_ids      text[] NOT NULL DEFAULT '{}',
  evidence              jsonb NOT NULL DEFAULT '{}',
  count                 integer NOT NULL DEFAULT 1,
  occurred_at           timestamptz NOT NULL,
  first_seen_at         timestamptz NOT NULL,
  last_seen_at          timestamptz NOT NULL,
  claimed_by            text,
  claimed_by_name       text,
  claimed_at            timestamptz,
  first_claimed_at      timestamptz,
  department_id         text REFERENCES departments (id),
  assigned_by           text,
  assigned_at           timestamptz,
  deadline              timestamptz,
  resolved_at           timestamptz,
  resolution            text,
  false_alarm_at        timestamptz,
  false_alarm_reason    text,
  reopened_at           timestamptz,
  escalation_level      integer NOT NULL DEFAULT 0,
  escalated_at          timestamptz,
  overdue_escalated_at  timestamptz,
  comment_count         integer NOT NULL DEFAULT 0,
  last_change           text NOT NULL,
  updated_at            timestamptz NOT NULL
);
-- One open alert per dedupe key: repeats update it.
CREATE UNIQUE INDEX alerts_open_dedupe ON alerts (dedupe_key) WHERE state IN ('new', 'claimed', 'assigned');
CREATE UNIQUE INDEX alerts_seq ON alerts (seq);
CREATE INDEX alerts_department_seq ON alerts (department_id, seq);
CREATE INDEX alerts_area_seq ON alerts (area, seq);
CREATE INDEX alerts_first_seen ON alerts (first_seen_at);
CREATE INDEX alerts_unclaimed ON alerts (first_seen_at) WHERE state = 'new';
CREATE INDEX alerts_deadline ON alerts (deadline) WHERE state IN ('claimed', 'assigned') AND overdue_escalated_at IS NULL;

-- The trail: every change with who and when. Append-only: updates, deletes and truncation raise.
CREATE TABLE alert_changes (
  seq         bigint PRIMARY KEY,
  alert_id    bigint NOT NULL REFERENCES alerts (id),
  kind        text NOT NULL,
  at          timestamptz NOT NULL,
  actor_id    text,
  actor_name  text,
  from_state  text,
  to_state    text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alert_changes_alert ON alert_changes (alert_id, seq);

CREATE FUNCTION alert_changes_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'alert_changes is append-only'; END $$;
CREATE TRIGGER alert_changes_no_change BEFORE UPDATE OR DELETE ON alert_changes FOR EACH ROW EXECUTE FUNCTION alert_changes_is_append_only();
CREATE TRIGGER alert_changes_no_truncate BEFORE TRUNCATE ON alert_changes FOR EACH STATEMENT EXECUTE FUNCTION alert_changes_is_append_only();
