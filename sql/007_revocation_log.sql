-- 007_revocation_log.sql -- the revocation log: how other hosts learn that a
-- credential their workers may have cached is no longer valid.
--
-- Every transaction that runs a revoking statement (logout, password change,
-- session or key revocation, user deactivation or role change, purge) adds
-- one row here before it commits. One process per host polls
--   SELECT COUNT(*), COALESCE(MAX(id), 0) FROM revocation_log
-- every [cache] revocation_poll milliseconds and empties the host's caches
-- when the answer changed. The rows say nothing about whom they revoked:
-- any change empties every cache. overwatch-admin purge deletes rows older
-- than an hour.
CREATE TABLE IF NOT EXISTS revocation_log (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  created_at  DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  PRIMARY KEY (id),
  KEY ix_revocation_log_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
