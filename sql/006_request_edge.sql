-- 006_request_edge.sql -- per-client-IP throttles beyond failed logins, and the
-- lockout counter of e-mail addresses no account has.
--
-- ip_throttle: one generic fixed-window counter per (bucket, client key).
-- bucket names the limit (register, sso), ip is the client key the service
-- computes (the canonical IPv4 text, or an IPv6 network as net::/prefix, so
-- one host's /64 is one client). Counted with one atomic upsert, as
-- login_attempts is
--   INSERT INTO ip_throttle (bucket, ip, window_start, hits) VALUES (?, ?, UTC_TIMESTAMP(), 1)
--   ON DUPLICATE KEY UPDATE hits = IF(window_start <= UTC_TIMESTAMP() - INTERVAL ? SECOND, 1, hits + 1),
--     window_start = IF(hits = 1, UTC_TIMESTAMP(), window_start)
-- then read back. The purge job deletes rows by window_start.
CREATE TABLE IF NOT EXISTS ip_throttle (
  bucket        VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  ip            VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  window_start  DATETIME NOT NULL,
  hits          INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, ip),
  KEY ix_ip_throttle_window (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed logins of e-mail addresses that match no user, with the same
-- columns and the same single-UPDATE arithmetic as users, so an unknown
-- address locks exactly as a known one does and the lock tells nothing.
-- Keyed by HMAC-SHA256 of the normalised address under the service's JWT
-- signing secret: a dump does not list the addresses people mistyped (or
-- the passwords typed into the e-mail field). Rows whose lock and window
-- are over are purged.
CREATE TABLE IF NOT EXISTS unknown_login_failures (
  email_digest     BINARY(32) NOT NULL,
  failed_logins    INT UNSIGNED NOT NULL DEFAULT 0,
  first_failed_at  DATETIME NULL,
  locked_until     DATETIME NULL,
  PRIMARY KEY (email_digest),
  KEY ix_unknown_login_failures_first (first_failed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
