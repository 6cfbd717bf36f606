-- Face captures that matched a watchlist are kept as evidence; the others are deleted after
-- RETENTION_UNMATCHED_FACES_DAYS. The faces module sets `matched` when a capture hits.
ALTER TABLE face_captures ADD COLUMN IF NOT EXISTS matched boolean NOT NULL DEFAULT false;
