-- 012_account_links.sql -- single-use links of the account lifecycle
-- (doc/api.md section 6, "Account links"): an admin-created user's activation
-- and a password reset.
--
-- account_tokens: the SHA-256 of a random 256-bit token (the token itself is
-- shown once, or handed to the notification hook, and never stored), bound to
-- one user and one purpose ('activation' or 'reset'), valid until expires_at.
-- Spent by deleting the row in the transaction that sets the password; a new
-- link of the same purpose replaces the user's older ones. The purge job
-- deletes expired rows.
CREATE TABLE IF NOT EXISTS account_tokens (
  token_digest  BINARY(32) NOT NULL,
  user_id       CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  purpose       VARCHAR(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  expires_at    DATETIME(6) NOT NULL,
  PRIMARY KEY (token_digest),
  KEY ix_account_tokens_user (user_id, purpose),
  KEY ix_account_tokens_expires (expires_at),
  CONSTRAINT fk_account_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
