-- 014_retention.sql -- when a user was deactivated, for `overwatch-admin purge`'s
-- [retention] deactivated_user_days, and the index that purge reads by.
ALTER TABLE users
  ADD COLUMN IF NOT EXISTS deactivated_at DATETIME(6) NULL;
-- Accounts deactivated before this file count from their last change.
UPDATE users SET deactivated_at = updated_at WHERE active = 0 AND deactivated_at IS NULL;
CREATE INDEX IF NOT EXISTS ix_users_deactivated ON users (deactivated_at);
