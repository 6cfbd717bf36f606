-- migrate:no-transaction
-- Vehicles per hour per tollgate and lane, kept up to date by TimescaleDB (a continuous aggregate).
-- External TimescaleDB refreshes it with its own workers; the embedded database has none, so the hub's
-- maintenance runs the same jobs itself.
CREATE MATERIALIZED VIEW IF NOT EXISTS passages_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', pass_time) AS hour,
       tollgate_id,
       lane_no,
       count(*) AS vehicles,
       avg(speed_kmh)::real AS avg_speed_kmh,
       max(speed_kmh) AS max_speed_kmh
FROM passages
GROUP BY hour, tollgate_id, lane_no
WITH NO DATA;
SELECT add_continuous_aggregate_policy('passages_hourly', start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes', if_not_exists => TRUE);
