-- 003_admin_guard.sql -- a row every change of an organization's admins writes.
-- SELECT ... FOR UPDATE locks stay on their node in a Galera cluster; writing
-- this counter makes two concurrent admin changes of one organization conflict
-- in certification, so the last-admin rule holds across nodes.
ALTER TABLE organizations
  ADD COLUMN IF NOT EXISTS admin_guard BIGINT UNSIGNED NOT NULL DEFAULT 0;
