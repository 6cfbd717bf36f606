-- Which replica runs the scheduled maintenance, for how long: one lease row per job, so several hub
-- replicas run each round once (the holder renews it; the others skip until it lapses).
CREATE TABLE maintenance_leases (
  name        text PRIMARY KEY,
  holder      text NOT NULL,
  expires_at  timestamptz NOT NULL,
  last_run_at timestamptz,
  last_report jsonb
);
