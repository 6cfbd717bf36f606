-- The estate: checkpoint sites, their lanes, and every device.
CREATE TABLE tollgates (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  lat         double precision NOT NULL,
  lon         double precision NOT NULL,
  place       text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devices (
  id                   text PRIMARY KEY CHECK (id ~ '^[0-9]{20}$'),
  name                 text NOT NULL,
  kind                 text NOT NULL CHECK (kind IN ('hd_camera', 'checkpoint', 'long_range', 'face_checkpoint')),
  lat                  double precision NOT NULL,
  lon                  double precision NOT NULL,
  place                text NOT NULL DEFAULT '',
  area                 text NOT NULL DEFAULT '',
  tollgate_id          text REFERENCES tollgates (id),
  lane_no              smallint,
  has_loudspeaker      boolean NOT NULL DEFAULT false,
  heartbeat_interval_s integer NOT NULL DEFAULT 30,
  online               boolean NOT NULL DEFAULT false,
  state_changed_at     timestamptz,
  last_seen_at         timestamptz,
  last_heartbeat_at    timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_kind_area ON devices (kind, area);

CREATE TABLE lanes (
  tollgate_id     text NOT NULL REFERENCES tollgates (id) ON DELETE CASCADE,
  lane_no         smallint NOT NULL,
  direction       text NOT NULL,
  speed_limit_kmh smallint NOT NULL,
  device_id       text REFERENCES devices (id) ON DELETE SET NULL,
  PRIMARY KEY (tollgate_id, lane_no)
);
