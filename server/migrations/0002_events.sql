-- What devices send. Each event table is keyed on the edge's event id plus its time, so a
-- redelivered or republished event is stored once (INSERT ... ON CONFLICT DO NOTHING).

CREATE TABLE passages (
  event_id          text NOT NULL,
  pass_time         timestamptz NOT NULL,
  device_id         text NOT NULL,
  tollgate_id       text NOT NULL,
  lane_no           smallint NOT NULL,
  direction         text NOT NULL,
  plate_no          text NOT NULL,
  plate_color       text NOT NULL,
  plate_confidence  real NOT NULL,
  char_confidences  real[],
  vehicle_class     text NOT NULL,
  vehicle_color     text,
  speed_kmh         real NOT NULL,
  images            jsonb,
  stored_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, pass_time)
);
CREATE INDEX passages_plate_time ON passages (plate_no, pass_time DESC);
CREATE INDEX passages_tollgate_time ON passages (tollgate_id, pass_time DESC);
CREATE INDEX passages_device_time ON passages (device_id, pass_time DESC);

CREATE TABLE face_captures (
  event_id        text NOT NULL,
  shot_time       timestamptz NOT NULL,
  device_id       text NOT NULL,
  box             jsonb NOT NULL,
  detector_score  real,
  face_jpeg       bytea NOT NULL,
  scene_ref       text,
  stored_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, shot_time)
);
CREATE INDEX face_captures_device_time ON face_captures (device_id, shot_time DESC);

CREATE TABLE incidents (
  event_id     text NOT NULL,
  at           timestamptz NOT NULL,
  device_id    text NOT NULL,
  kind         text NOT NULL,
  confidence   real NOT NULL,
  description  text,
  region       jsonb,
  image_ref    text,
  image_jpeg   bytea,
  stored_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, at)
);
CREATE INDEX incidents_device_time ON incidents (device_id, at DESC);

CREATE TABLE heartbeats (
  device_id  text NOT NULL,
  at         timestamptz NOT NULL,
  seq        bigint NOT NULL,
  uptime_s   bigint NOT NULL,
  health     jsonb NOT NULL,
  PRIMARY KEY (device_id, at)
);

CREATE TABLE device_status_changes (
  device_id  text NOT NULL,
  at         timestamptz NOT NULL,
  online     boolean NOT NULL,
  reason     text NOT NULL
);
CREATE INDEX device_status_changes_device_time ON device_status_changes (device_id, at DESC);

-- Everything refused on arrival, kept for inspection.
CREATE TABLE dead_letters (
  id              bigint GENERATED ALWAYS AS IDENTITY,
  received_at     timestamptz NOT NULL DEFAULT now(),
  topic           text NOT NULL,
  device_id       text,
  reason          text NOT NULL,
  message         text NOT NULL,
  errors          jsonb NOT NULL DEFAULT '[]',
  payload_bytes   integer NOT NULL,
  payload_excerpt text NOT NULL,
  PRIMARY KEY (id)
);
CREATE INDEX dead_letters_received ON dead_letters (received_at DESC);
CREATE INDEX dead_letters_device ON dead_letters (device_id, received_at DESC);
