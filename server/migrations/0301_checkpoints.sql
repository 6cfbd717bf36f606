-- Checkpoints (卡口): travel times between tollgates, the plate dictionary behind wildcard and fuzzy
-- search, the vehicle hotlist (布控) and the rules that raise alerts from passages.

-- The fastest plausible travel from one tollgate to another (the cloned-plate rule's yardstick).
CREATE TABLE tollgate_travel_times (
  from_tollgate_id text NOT NULL REFERENCES tollgates (id) ON DELETE CASCADE,
  to_tollgate_id   text NOT NULL REFERENCES tollgates (id) ON DELETE CASCADE,
  distance_m       double precision,
  min_travel_s     integer NOT NULL CHECK (min_travel_s > 0),
  typical_travel_s integer CHECK (typical_travel_s > 0),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (from_tollgate_id, to_tollgate_id),
  CHECK (from_tollgate_id <> to_tollgate_id)
);

-- Every plate ever read, with its OCR-confusion key (translate(plate, 'DQOBIZSG', '00081256')). Wildcard
-- and fuzzy searches resolve to plates here first (a few hundred thousand rows, not the passages), then
-- read passages through the (plate_no, pass_time) index. first_seen and last_seen are kept to within an hour.
CREATE TABLE checkpoint_plates (
  plate_no   text COLLATE "C" PRIMARY KEY,
  norm_key   text COLLATE "C" NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen  timestamptz NOT NULL
);
CREATE INDEX checkpoint_plates_norm_key ON checkpoint_plates (norm_key);

-- The vehicle hotlist. Rows are never deleted, only marked (deleted_at), so replicas polling
-- updated_at see removals too.
CREATE TABLE vehicle_hotlist (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  plate        text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('exact', 'pattern')),
  category     text NOT NULL CHECK (category IN ('stolen', 'wanted', 'unlicensed_use', 'suspect', 'other')),
  priority     smallint NOT NULL CHECK (priority BETWEEN 1 AND 3),
  reason       text NOT NULL,
  valid_from   timestamptz NOT NULL DEFAULT now(),
  valid_until  timestamptz,
  tollgate_ids text[] NOT NULL DEFAULT '{}',
  fuzzy        boolean NOT NULL DEFAULT true,
  created_by   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  deleted_at   timestamptz,
  CHECK (valid_until IS NULL OR valid_until > valid_from)
);
CREATE INDEX vehicle_hotlist_updated ON vehicle_hotlist (updated_at);
CREATE INDEX vehicle_hotlist_plate ON vehicle_hotlist (plate) WHERE deleted_at IS NULL;

-- The passage rules, each on or off with its severity and parameters.
CREATE TABLE checkpoint_rules (
  id         text PRIMARY KEY CHECK (id IN ('hotlist', 'speeding', 'cloned_plate', 'frequent_passage')),
  enabled    boolean NOT NULL DEFAULT true,
  severity   text NOT NULL CHECK (severity IN ('critical', 'major', 'minor', 'info')),
  params     jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text
);
INSERT INTO checkpoint_rules (id, enabled, severity, params) VALUES
  ('hotlist', true, 'critical', '{"fuzzy": true}'),
  ('speeding', true, 'minor', '{"marginKmh": 10}'),
  ('cloned_plate', true, 'major', '{"maxSpeedKmh": 150, "minPlateConfidence": 0.8, "windowMinutes": 120}'),
  ('frequent_passage', true, 'minor', '{"maxPassages": 10, "windowMinutes": 60}')
ON CONFLICT (id) DO NOTHING;
