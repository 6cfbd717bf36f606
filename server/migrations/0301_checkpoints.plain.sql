-- Plain PostgreSQL: history searches without a plate or tollgate page through time, newest first; a
-- hypertable has this index already (TimescaleDB makes it), a plain table needs it.
CREATE INDEX IF NOT EXISTS passages_pass_time ON passages (pass_time DESC);
