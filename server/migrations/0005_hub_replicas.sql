-- Hub replicas on one shared MQTT subscription: who is alive, and whose persistent session another
-- replica is taking over. A replica records itself every REPLICA_HEARTBEAT_S; one silent for
-- REPLICA_TIMEOUT_S is claimed (state 'adopting') by one other, which drains the broker's queue for it
-- and unsubscribes it from the group ('left'). A replica that stops cleanly leaves the group itself.
CREATE TABLE hub_replicas (
  hub_id      text PRIMARY KEY,
  client_id   text NOT NULL,
  share_group text NOT NULL,
  state       text NOT NULL CHECK (state IN ('member', 'adopting', 'left')),
  seen_at     timestamptz NOT NULL,
  adopted_by  text,
  adopted_at  timestamptz
);
