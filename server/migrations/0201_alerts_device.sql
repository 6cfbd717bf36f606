-- A device's alerts, newest first (GET /api/alerts?deviceId=).
CREATE INDEX alerts_device_seq ON alerts (device_id, seq);
