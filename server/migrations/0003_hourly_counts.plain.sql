-- Plain PostgreSQL: the same relation as the TimescaleDB continuous aggregate, computed on read from
-- the (tollgate_id, pass_time) index. Queries use passages_hourly either way.
CREATE VIEW passages_hourly AS
SELECT date_trunc('hour', pass_time) AS hour,
       tollgate_id,
       lane_no,
       count(*) AS vehicles,
       avg(speed_kmh)::real AS avg_speed_kmh,
       max(speed_kmh) AS max_speed_kmh
FROM passages
GROUP BY 1, 2, 3;
