-- 014_retention.sql -- when a user was deactivated, for `overwatch-admin purge`'s
-- [retention] deactivated_user_days; the per-organization budget of attack events.
ALTER TABLE users
  ADD COLUMN IF NOT EXISTS deactivated_at DATETIME(6) NULL;
-- Accounts deactivated before this file count from their last change.
UPDATE users SET deactivated_at = updated_at WHERE active = 0 AND deactivated_at IS NULL;
CREATE INDEX IF NOT EXISTS ix_users_deactivated ON users (deactivated_at);
-- Attack events per organization per minute (src/audit.c, audit_attack): up to
-- a bound they are recorded, beyond it only counted here, so that a flood of
-- rejected credentials cannot fill audit_log.
CREATE TABLE IF NOT EXISTS audit_budget (
  organization_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  window_start     DATETIME NOT NULL,
  hits             INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (organization_id, window_start),
  KEY ix_audit_budget_window (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
