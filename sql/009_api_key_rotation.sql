-- 009_api_key_rotation.sql -- API key rotation without downtime, each
-- organization's key policy, and key activity (doc/api.md section 6, API keys).
--
-- A rotation makes a new key (same name, permissions and chain) and marks
-- the old one: rotated_to names its successor and rotation_ends_at when the
-- old key stops working (the overlap; the rotation time itself for an
-- overlap of 0). The new key's rotated_from names its predecessor. A key
-- with rotated_to set cannot be rotated again.
--
-- key_rotation_days: a key is due for rotation this many days after it was
-- made (GET /api-keys shows rotation_due_at and rotation_due).
-- key_max_lifetime_days: NULL, or the longest a new key may live; a new key
-- without expires_at gets it.
ALTER TABLE api_keys
  ADD COLUMN IF NOT EXISTS rotated_from CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN IF NOT EXISTS rotated_to CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN IF NOT EXISTS rotation_ends_at DATETIME(6) NULL;

ALTER TABLE organizations
  ADD COLUMN IF NOT EXISTS key_rotation_days SMALLINT UNSIGNED NOT NULL DEFAULT 90,
  ADD COLUMN IF NOT EXISTS key_max_lifetime_days SMALLINT UNSIGNED NULL;

-- Key activity (GET /api-keys/{id}/activity), written by each worker's
-- batched usage flush, never per request: per key, day and client address,
-- the requests it served and the uses refused (revoked, expired, rotated,
-- ...). Rows older than 90 days are purged.
CREATE TABLE IF NOT EXISTS api_key_activity (
  key_id    CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  day       DATE NOT NULL,
  ip        VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  requests  INT UNSIGNED NOT NULL DEFAULT 0,
  rejected  INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, day, ip),
  KEY ix_api_key_activity_day (day),
  CONSTRAINT fk_api_key_activity_key FOREIGN KEY (key_id)
    REFERENCES api_keys (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The client networks (IPv4 /24, IPv6 /64) each key was used from. A use
-- from a network the key has not used in 30 days writes api_key.new_ip to
-- the audit log: the flush that (re)starts a row stamps it with its own
-- random seen_token and reads it back, so of two workers flushing the same
-- new network at once exactly one announces it.
CREATE TABLE IF NOT EXISTS api_key_networks (
  key_id      CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  network     VARCHAR(50) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  first_seen  DATETIME NOT NULL,
  last_seen   DATETIME NOT NULL,
  seen_token  BIGINT NOT NULL,
  PRIMARY KEY (key_id, network),
  KEY ix_api_key_networks_last (last_seen),
  CONSTRAINT fk_api_key_networks_key FOREIGN KEY (key_id)
    REFERENCES api_keys (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
