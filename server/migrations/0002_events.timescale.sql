-- Time-series tables become hypertables. Chunk intervals: one day for passages (the district writes
-- a few million rows a day, a city a few hundred million), a week for the sparser tables.
SELECT create_hypertable('passages', 'pass_time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);
SELECT create_hypertable('face_captures', 'shot_time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);
SELECT create_hypertable('incidents', 'at', chunk_time_interval => INTERVAL '7 days', if_not_exists => TRUE);
SELECT create_hypertable('heartbeats', 'at', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);
SELECT create_hypertable('device_status_changes', 'at', chunk_time_interval => INTERVAL '7 days', if_not_exists => TRUE);

ALTER TABLE passages SET (timescaledb.compress, timescaledb.compress_segmentby = 'tollgate_id', timescaledb.compress_orderby = 'pass_time DESC');
SELECT add_compression_policy('passages', INTERVAL '7 days', if_not_exists => TRUE);
ALTER TABLE heartbeats SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id', timescaledb.compress_orderby = 'at DESC');
SELECT add_compression_policy('heartbeats', INTERVAL '2 days', if_not_exists => TRUE);
