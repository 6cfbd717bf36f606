-- Faces: what the recognition worker adds to each stored capture, the person watchlist (布控) with its
-- enrolled photos, and the hits that became alerts.

-- face_captures is also the recognition work queue: a row with processed_at NULL is still to do. A worker
-- leases a batch (claimed_until, taken with FOR UPDATE SKIP LOCKED), runs the pipeline, stores the result
-- and marks it processed; a lease that lapses (crash) is taken again, and the alert dedupe key absorbs a
-- repeated hit. `matched` (0102) keeps hit captures past the unmatched-capture retention.
ALTER TABLE face_captures ADD COLUMN IF NOT EXISTS processed_at timestamptz;
ALTER TABLE face_captures ADD COLUMN IF NOT EXISTS claimed_until timestamptz;
ALTER TABLE face_captures ADD COLUMN IF NOT EXISTS attempts smallint NOT NULL DEFAULT 0;
-- 'matched', 'unmatched', 'rejected' (no usable face; quality says why) or 'failed' (not decodable).
ALTER TABLE face_captures ADD COLUMN IF NOT EXISTS outcome text;
-- 128 float32, little-endian, unit length: a dot product is the cosine similarity.
ALTER TABLE face_captures ADD COLUMN IF NOT EXISTS descriptor bytea;
ALTER TABLE face_captures ADD COLUMN IF NOT EXISTS quality jsonb;
ALTER TABLE face_captures ADD COLUMN IF NOT EXISTS thumbnail_jpeg bytea;
-- The best watchlist candidate above the unknown threshold, matched or not (for tuning thresholds).
ALTER TABLE face_captures ADD COLUMN IF NOT EXISTS best_person_id bigint;
ALTER TABLE face_captures ADD COLUMN IF NOT EXISTS best_similarity real;

CREATE INDEX IF NOT EXISTS face_captures_pending ON face_captures (stored_at) WHERE processed_at IS NULL;
CREATE INDEX IF NOT EXISTS face_captures_processed ON face_captures (processed_at) WHERE processed_at IS NOT NULL;

-- People on the watchlist. Rows are never deleted, only marked (deleted_at), so replicas polling
-- updated_at see removals; the photos of a deleted person are deleted.
CREATE TABLE watchlist_people (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL,
  id_number   text,
  category    text NOT NULL CHECK (category IN ('wanted', 'missing', 'at_risk', 'vip', 'other')),
  priority    smallint NOT NULL CHECK (priority BETWEEN 1 AND 3),
  reason      text NOT NULL,
  valid_from  timestamptz NOT NULL DEFAULT now(),
  valid_until timestamptz,
  -- Face checkpoints it applies to; empty = all of them.
  device_ids  text[] NOT NULL DEFAULT '{}',
  enabled     boolean NOT NULL DEFAULT true,
  created_by  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz,
  CHECK (valid_until IS NULL OR valid_until > valid_from)
);
CREATE INDEX watchlist_people_updated ON watchlist_people (updated_at);

CREATE TABLE watchlist_photos (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person_id      bigint NOT NULL REFERENCES watchlist_people (id) ON DELETE CASCADE,
  -- The uploaded photo, re-encoded as JPEG and scaled to at most 1024 pixels.
  image_jpeg     bytea NOT NULL,
  thumbnail_jpeg bytea NOT NULL,
  descriptor     bytea NOT NULL,
  box            jsonb NOT NULL,
  quality        jsonb NOT NULL,
  created_by     text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX watchlist_photos_person ON watchlist_photos (person_id);

-- A capture that matched a watchlist person: the evidence behind an alert. Repeated hits of a person at
-- a device within FACE_ALERT_MERGE_MINUTES reuse the first one's dedupe key, so they merge into one alert.
CREATE TABLE face_hits (
  capture_event_id text NOT NULL,
  shot_time        timestamptz NOT NULL,
  device_id        text NOT NULL,
  person_id        bigint NOT NULL,
  photo_id         bigint,
  similarity       real NOT NULL,
  rank             smallint NOT NULL,
  dedupe_key       text NOT NULL,
  alert_id         text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (capture_event_id, person_id)
);
CREATE INDEX face_hits_person_device ON face_hits (person_id, device_id, shot_time DESC);
