-- 008_mfa.sql -- two-factor sign-in: TOTP (RFC 6238) enrolments, recovery
-- codes, the short-lived challenges between the password and the code step,
-- and an organization's policy requiring a second factor.
--
-- user_mfa: one row per user who started an enrolment. secret is the TOTP
-- secret sealed with AES-256-GCM under [mfa] secret_file (a version byte, a
-- 12-byte nonce, 20 bytes, a 16-byte tag; the user id is the additional
-- data). confirmed_at NULL: enrolment started, not yet confirmed with a code,
-- and sign-in unchanged. last_step is the last TOTP time step accepted, so a
-- code is good once: the service advances it with a conditional UPDATE.
CREATE TABLE IF NOT EXISTS user_mfa (
  user_id       CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  secret        VARBINARY(64) NOT NULL,
  last_step     BIGINT NOT NULL DEFAULT 0,
  confirmed_at  DATETIME(6) NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  PRIMARY KEY (user_id),
  CONSTRAINT fk_user_mfa_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- mfa_recovery_codes: SHA-256 of each high-entropy recovery code (80 random
-- bits; shown once at confirmation), spent by setting used_at.
CREATE TABLE IF NOT EXISTS mfa_recovery_codes (
  user_id      CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  code_digest  BINARY(32) NOT NULL,
  used_at      DATETIME(6) NULL,
  created_at   DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  PRIMARY KEY (user_id, code_digest),
  CONSTRAINT fk_mfa_recovery_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- mfa_challenges: the mfa_token a right password gets instead of tokens,
-- stored as its SHA-256 only. purpose 'verify' (a code is due) or 'enrol'
-- (the organization requires a second factor the user has not set up).
-- Deleted when spent; the purge job deletes expired rows.
CREATE TABLE IF NOT EXISTS mfa_challenges (
  token_digest  BINARY(32) NOT NULL,
  user_id       CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  purpose       VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  expires_at    DATETIME(6) NOT NULL,
  PRIMARY KEY (token_digest),
  KEY ix_mfa_challenges_user (user_id),
  KEY ix_mfa_challenges_expires (expires_at),
  CONSTRAINT fk_mfa_challenges_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who of an organization must sign in with a second factor: none, admins, all.
ALTER TABLE organizations
  ADD COLUMN IF NOT EXISTS mfa_policy VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'none';
