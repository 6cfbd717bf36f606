-- People who sign in, their sessions (rotating refresh tokens), sign-in back-off, the hub's own secrets,
-- and each device's broker credential.

CREATE TABLE users (
  id                  text PRIMARY KEY,
  username            text NOT NULL,
  display_name        text NOT NULL DEFAULT '',
  role                text NOT NULL CHECK (role IN ('admin', 'operator', 'traffic_police', 'department_member', 'viewer')),
  -- Departments belong to the alerts module; no foreign key, so neither module's migrations wait for the other.
  department_id       text,
  password_hash       text NOT NULL,
  disabled            boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at     timestamptz,
  CHECK (role <> 'department_member' OR department_id IS NOT NULL)
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

-- One row per sign-in. The refresh token is `<id>.<random>`; only its SHA-256 is kept, and it changes on
-- every refresh. Presenting an older token revokes the session (it was copied).
CREATE TABLE auth_sessions (
  id                text PRIMARY KEY,
  user_id           text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  refresh_hash      text NOT NULL,
  previous_hash     text,
  rotated_at        timestamptz NOT NULL DEFAULT now(),
  created_at        timestamptz NOT NULL DEFAULT now(),
  expires_at        timestamptz NOT NULL,
  revoked_at        timestamptz,
  revoked_reason    text,
  ip                text NOT NULL DEFAULT '',
  user_agent        text NOT NULL DEFAULT ''
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);

-- Failed sign-ins per user name (known or not, so the answer never tells which names exist).
CREATE TABLE sign_in_failures (
  username         text PRIMARY KEY,
  failures         integer NOT NULL,
  last_failure_at  timestamptz NOT NULL,
  locked_until     timestamptz
);

-- Secrets the hub makes for itself on first start (the access-token key when AUTH_TOKEN_SECRET is unset).
CREATE TABLE hub_secrets (
  name        text PRIMARY KEY,
  value       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A device's broker password, as PBKDF2-SHA512 in Mosquitto's `$7$` format, so the same hash serves the
-- embedded broker, the generated Mosquitto password file and the EMQX hooks.
CREATE TABLE device_credentials (
  device_id    text PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  secret_hash  text NOT NULL,
  rotated_at   timestamptz NOT NULL DEFAULT now()
);
