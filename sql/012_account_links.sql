-- 012_account_links.sql -- single-use links of the account lifecycle (doc/api.md
-- section 6, "Account links": an admin-created user's activation and a
-- password reset) and the outbox of the notification hook.
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

-- notification_outbox: what the notification hook ([notify]) still has to
-- deliver to a user (doc/api.md section 6, "Notifications"): written in the
-- transaction of the change it reports, drained by the workers between
-- requests (claimed with claim_id, so one worker sends a row), deleted once
-- delivered. detail is what the message says beyond the event: a client
-- address, a key's name, or an account link, which therefore lives here in
-- clear until delivered or expired (expires_at: the link's own end). A failed
-- delivery is retried at next_attempt_at, up to [notify] max_attempts.
CREATE TABLE IF NOT EXISTS notification_outbox (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  event            VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id          CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  recipient        VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  detail           VARCHAR(1024) NULL,
  attempts         INT UNSIGNED NOT NULL DEFAULT 0,
  claim_id         CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  next_attempt_at  DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  created_at       DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  expires_at       DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_notification_outbox_due (next_attempt_at),
  KEY ix_notification_outbox_claim (claim_id),
  CONSTRAINT fk_notification_outbox_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- notification_lease: one row; the worker whose lease is current is the only
-- one delivering (anywhere in a cluster), so a mail server or webhook that
-- hangs holds up one worker at most while the others serve requests.
-- leased_until bounds a lease its holder did not give back (a worker killed
-- while sending).
CREATE TABLE IF NOT EXISTS notification_lease (
  id            TINYINT UNSIGNED NOT NULL,
  holder        CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  leased_until  DATETIME(6) NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT IGNORE INTO notification_lease (id) VALUES (1);
