-- 009_api_key_rotation.sql -- API key rotation without downtime, and each
-- organization's key policy (doc/api.md section 6, API keys).
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
