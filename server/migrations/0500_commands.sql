-- Commands the hub sent to devices (POST /api/devices/:id/commands) and what came back. The row is the
-- truth for every replica: the reply may reach another replica than the one that sent the command.
-- No foreign keys: a command's history outlives a device's or a user's removal.
CREATE TABLE device_commands (
  seq             bigint GENERATED ALWAYS AS IDENTITY,
  request_id      text NOT NULL PRIMARY KEY,
  device_id       text NOT NULL,
  name            text NOT NULL,
  params          jsonb NOT NULL DEFAULT '{}',
  issued_by       text,
  issued_by_name  text,
  issued_at       timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'replied', 'expired', 'late', 'unsent')),
  ok              boolean,
  error           text,
  result          jsonb,
  replied_at      timestamptz,
  CHECK (expires_at > issued_at)
);
-- A device's commands, newest first (keyset paging on seq).
CREATE INDEX device_commands_device_seq ON device_commands (device_id, seq DESC);
-- The expiry sweep reads only what is still waiting.
CREATE INDEX device_commands_pending ON device_commands (expires_at) WHERE status = 'pending';
