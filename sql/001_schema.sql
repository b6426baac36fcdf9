-- 001_schema.sql -- the whole Overwatch Auth schema (doc/api.md): tenants, users,
-- sessions, credentials, protected resources, audit trail and SSO.
--
-- Conventions (read before writing store_*.c):
--  * Applied once by the migrator, statement by statement (split on ';' at line
--    ends), so no DELIMITER and no ';' ending a comment line; the one routine
--    (017) starts each statement of its body on a line with the ';' before it.
--    CREATE TABLE IF NOT EXISTS keeps a half-applied file safe to re-run.
--  * Identifiers are lower-case UUID text, CHAR(36) ascii_bin: 36 bytes per key
--    instead of 144 in utf8mb4, and byte-exact comparison. Normalise a UUID
--    taken from a path to lower case before binding it.
--  * Every time is UTC. The service sets time_zone='+00:00' per connection,
--    but column defaults use UTC_TIMESTAMP() so rows written by any other
--    client (overwatch-admin, a DBA) are UTC too. updated_at is set by the
--    application rather than ON UPDATE CURRENT_TIMESTAMP for the same reason.
--  * Event and creation times are DATETIME(6) so "newest first" has a stable
--    order; lists sort by (created_at DESC, id DESC), which every
--    (organization_id, created_at) index serves because InnoDB appends the
--    primary key to each secondary index.
--  * Free text is utf8mb4_unicode_ci; machine tokens (ids, digests, jtis,
--    actions, normalised emails) are binary-collated.
--  * Client IPs are the canonical inet_ntop() text, VARCHAR(45).
--  * Children of an organization cascade on its deletion so overwatch-admin
--    can remove a tenant in one statement. audit_log has no foreign keys on
--    purpose: the trail outlives what it describes and never blocks a write.

-- Tenants. Every other row belongs to exactly one organization. The slug is
-- the URL-safe name used by /auth/sso/{organization}/..., unique and
-- case-insensitive.
CREATE TABLE IF NOT EXISTS organizations (
  id          CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name        VARCHAR(200) NOT NULL,
  slug        VARCHAR(100) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
  created_at  DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  PRIMARY KEY (id),
  UNIQUE KEY uq_organizations_slug (slug),
  CONSTRAINT ck_organizations_name CHECK (CHAR_LENGTH(name) BETWEEN 1 AND 200),
  CONSTRAINT ck_organizations_slug CHECK (CHAR_LENGTH(slug) BETWEEN 1 AND 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- People who log in. email is unique across the whole service (login takes no
-- organization) and stored already normalised (trimmed, lower-cased) by the
-- application, hence the binary collation: equality is exactly what the
-- normaliser decided, no collation surprises. password_hash is an argon2id
-- PHC string, NULL for an SSO-only user (login then pays the dummy
-- verification and fails). The lockout counter (failed_logins,
-- first_failed_at, locked_until) is updated with single atomic UPDATEs so it
-- holds across workers and hosts.
CREATE TABLE IF NOT EXISTS users (
  id               CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organization_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  email            VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  name             VARCHAR(200) NOT NULL,
  role             ENUM('admin','engineer','viewer') NOT NULL DEFAULT 'viewer',
  password_hash    VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  active           BOOLEAN NOT NULL DEFAULT TRUE,
  failed_logins    INT UNSIGNED NOT NULL DEFAULT 0,
  first_failed_at  DATETIME NULL,
  locked_until     DATETIME NULL,
  created_at       DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  updated_at       DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  PRIMARY KEY (id),
  UNIQUE KEY uq_users_email (email),
  KEY ix_users_org_created (organization_id, created_at),
  -- "is this the organization's last active admin?"
  KEY ix_users_org_role_active (organization_id, role, active),
  CONSTRAINT fk_users_org FOREIGN KEY (organization_id)
    REFERENCES organizations (id) ON DELETE CASCADE,
  CONSTRAINT ck_users_email CHECK (CHAR_LENGTH(email) BETWEEN 3 AND 254 AND email = TRIM(email)),
  CONSTRAINT ck_users_name CHECK (CHAR_LENGTH(name) BETWEEN 1 AND 200)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per login (password or SSO). Both tokens of a login carry its id as
-- `sid`. The hot path is "session by id joined to its user" (two primary-key
-- lookups). refresh_jti is the refresh token currently valid; with rotation on,
-- the one it replaced stays in previous_refresh_jti until rotated_at + grace
-- so a retried refresh gets the same answer, and any older jti revokes the
-- session. expires_at is the absolute end (the refresh lifetime).
CREATE TABLE IF NOT EXISTS sessions (
  id                    CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id               CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organization_id       CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at            DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  expires_at            DATETIME NOT NULL,
  revoked_at            DATETIME(6) NULL,
  refresh_jti           VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  previous_refresh_jti  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  rotated_at            DATETIME(6) NULL,
  ip                    VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NULL,
  user_agent            VARCHAR(512) NULL,
  PRIMARY KEY (id),
  -- revoke every (other) live session of a user: password change, deactivation
  KEY ix_sessions_user (user_id, revoked_at),
  KEY ix_sessions_org (organization_id, created_at),
  -- purge of expired sessions
  KEY ix_sessions_expires (expires_at),
  CONSTRAINT fk_sessions_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT fk_sessions_org FOREIGN KEY (organization_id)
    REFERENCES organizations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Deny list of individual JWTs (by jti) revoked before they expire, e.g. the
-- access token presented to /auth/logout. A row is useless once the token has
-- expired anyway, so the purge job deletes by expires_at.
CREATE TABLE IF NOT EXISTS revoked_tokens (
  jti         VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  expires_at  DATETIME NOT NULL,
  revoked_at  DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  PRIMARY KEY (jti),
  KEY ix_revoked_tokens_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Per-client-IP login throttle: failed logins in the current fixed window.
-- One atomic upsert per failure, correct across workers and hosts (MariaDB
-- evaluates the assignments left to right, so failures must come first):
--   INSERT INTO login_attempts (ip, window_start, failures) VALUES (?, UTC_TIMESTAMP(), 1)
--   ON DUPLICATE KEY UPDATE
--     failures = IF(window_start <= UTC_TIMESTAMP() - INTERVAL ? SECOND, 1, failures + 1),
--     window_start = IF(failures = 1, UTC_TIMESTAMP(), window_start)
-- then read failures back. Keying IPv6 clients by their /64 is the caller's
-- choice. The purge job deletes by window_start.
CREATE TABLE IF NOT EXISTS login_attempts (
  ip            VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  window_start  DATETIME NOT NULL,
  failures      INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (ip),
  KEY ix_login_attempts_window (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- API keys for service integrations. Only the SHA-256 digest of the full key
-- (the per-request lookup, unique) and a short display prefix are stored.
-- permissions is a SET so the database itself refuses a name outside the
-- vocabulary of doc/api.md section 5: bind and read it as comma-separated text
-- ("incidents:read,procedures:execute"). A new permission needs a migration
-- that re-declares the SET with the new name appended at the end. DELETE
-- /api-keys/{id} sets revoked_at (the row stays, so audit entries and keys it
-- created still resolve); lists show rows with revoked_at IS NULL. Usage
-- (last_used_*, use_count) is a summary, updated in place.
CREATE TABLE IF NOT EXISTS api_keys (
  id               CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organization_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name             VARCHAR(100) NOT NULL,
  prefix           VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  key_digest       BINARY(32) NOT NULL,
  permissions      SET('incidents:read','incidents:create','incidents:update',
                       'procedures:read','procedures:create','procedures:execute',
                       'api_keys:read','api_keys:create','api_keys:delete',
                       'users:read','users:manage','audit:read') NOT NULL,
  created_at       DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  expires_at       DATETIME NULL,
  revoked_at       DATETIME(6) NULL,
  created_by_type  ENUM('user','api_key') NOT NULL,
  created_by_id    CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  last_used_at     DATETIME(6) NULL,
  last_used_ip     VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NULL,
  use_count        BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uq_api_keys_digest (key_digest),
  KEY ix_api_keys_org_created (organization_id, created_at),
  CONSTRAINT fk_api_keys_org FOREIGN KEY (organization_id)
    REFERENCES organizations (id) ON DELETE CASCADE,
  CONSTRAINT ck_api_keys_name CHECK (CHAR_LENGTH(name) BETWEEN 1 AND 100),
  CONSTRAINT ck_api_keys_permissions CHECK (permissions <> '')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Incidents: a protected resource that shows permissions and organization
-- scoping at work. created_by names the user or API key that opened it.
CREATE TABLE IF NOT EXISTS incidents (
  id               CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organization_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  title            VARCHAR(500) NOT NULL,
  severity         ENUM('critical','high','medium','low') NOT NULL,
  status           ENUM('open','acknowledged','resolved') NOT NULL DEFAULT 'open',
  description      TEXT NULL,
  created_by_type  ENUM('user','api_key') NOT NULL,
  created_by_id    CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at       DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  updated_at       DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  PRIMARY KEY (id),
  KEY ix_incidents_org_created (organization_id, created_at),
  -- GET /incidents?status=
  KEY ix_incidents_org_status_created (organization_id, status, created_at),
  CONSTRAINT fk_incidents_org FOREIGN KEY (organization_id)
    REFERENCES organizations (id) ON DELETE CASCADE,
  CONSTRAINT ck_incidents_title CHECK (CHAR_LENGTH(title) >= 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Runbook procedures an organization can execute (procedures:create).
CREATE TABLE IF NOT EXISTS procedures (
  id               CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organization_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name             VARCHAR(200) NOT NULL,
  description      TEXT NULL,
  created_by_type  ENUM('user','api_key') NOT NULL,
  created_by_id    CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at       DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  PRIMARY KEY (id),
  KEY ix_procedures_org_created (organization_id, created_at),
  CONSTRAINT fk_procedures_org FOREIGN KEY (organization_id)
    REFERENCES organizations (id) ON DELETE CASCADE,
  CONSTRAINT ck_procedures_name CHECK (CHAR_LENGTH(name) >= 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Requests to run a procedure (POST /procedures/{id}/execute answers 202 with
-- status "queued"), optionally for an incident. The store must check that the
-- procedure and the incident belong to the caller's organization: the foreign
-- keys only guarantee that they exist.
CREATE TABLE IF NOT EXISTS procedure_executions (
  id                 CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organization_id    CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  procedure_id       CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  incident_id        CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  status             ENUM('queued','running','succeeded','failed','cancelled') NOT NULL DEFAULT 'queued',
  requested_by_type  ENUM('user','api_key') NOT NULL,
  requested_by_id    CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at         DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  PRIMARY KEY (id),
  KEY ix_procedure_executions_org_created (organization_id, created_at),
  KEY ix_procedure_executions_procedure (procedure_id, created_at),
  KEY ix_procedure_executions_incident (incident_id),
  CONSTRAINT fk_procedure_executions_org FOREIGN KEY (organization_id)
    REFERENCES organizations (id) ON DELETE CASCADE,
  CONSTRAINT fk_procedure_executions_procedure FOREIGN KEY (procedure_id)
    REFERENCES procedures (id) ON DELETE CASCADE,
  CONSTRAINT fk_procedure_executions_incident FOREIGN KEY (incident_id)
    REFERENCES incidents (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Append-only security trail (GET /audit-log). organization_id is NULL when
-- no tenant is known (a failed login for an unknown email). action is the
-- dotted event name ("auth.login_failed"), outcome a short word ("success",
-- "failure", "denied"). actor is who acted: a user, an API key, nobody known
-- yet (anonymous) or the operator's overwatch-admin (system). detail is an
-- optional short JSON or text note and never holds a secret. Use a
-- time-ordered id (UUIDv7) so inserts append to the primary key. The
-- three (organization_id, ..., occurred_at) indexes serve the list and its
-- ?action= and ?actor_id= filters, each with ?since=. No foreign keys, on
-- purpose (see the top of this file).
CREATE TABLE IF NOT EXISTS audit_log (
  id               CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organization_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  occurred_at      DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  action           VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  outcome          VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  actor_type       ENUM('user','api_key','anonymous','system') NOT NULL DEFAULT 'anonymous',
  actor_id         CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ip               VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NULL,
  user_agent       VARCHAR(512) NULL,
  target_type      VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  target_id        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  detail           TEXT NULL,
  PRIMARY KEY (id),
  KEY ix_audit_org_time (organization_id, occurred_at),
  KEY ix_audit_org_action_time (organization_id, action, occurred_at),
  KEY ix_audit_org_actor_time (organization_id, actor_id, occurred_at),
  -- retention purge
  KEY ix_audit_time (occurred_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An organization's OpenID Connect provider (at most one), managed through
-- GET/PUT /sso-connections. client_secret is write-only in the API and kept as
-- bytes so the application may store it sealed rather than in clear.
-- allowed_domains is a JSON array of lower-case email domains; an empty array
-- allows any. auto_create makes a user of default_role on the first SSO login
-- of an unknown, allowed email.
CREATE TABLE IF NOT EXISTS sso_connections (
  organization_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  issuer           VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  client_id        VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  client_secret    VARBINARY(1024) NOT NULL,
  allowed_domains  VARCHAR(4096) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '[]',
  auto_create      BOOLEAN NOT NULL DEFAULT FALSE,
  default_role     ENUM('admin','engineer','viewer') NOT NULL DEFAULT 'viewer',
  scopes           VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'openid email profile',
  enabled          BOOLEAN NOT NULL DEFAULT TRUE,
  created_at       DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  updated_at       DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  PRIMARY KEY (organization_id),
  CONSTRAINT fk_sso_connections_org FOREIGN KEY (organization_id)
    REFERENCES organizations (id) ON DELETE CASCADE,
  CONSTRAINT ck_sso_connections_domains CHECK (JSON_VALID(allowed_domains) AND JSON_TYPE(allowed_domains) = 'ARRAY')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Links a provider identity (issuer + subject, the only stable OIDC user key:
-- the email may change) to a local user. OIDC limits sub to 255 ASCII
-- characters. Looked up by the primary key at every SSO callback.
CREATE TABLE IF NOT EXISTS sso_identities (
  organization_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  issuer           VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  subject          VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id          CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at       DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  last_login_at    DATETIME(6) NULL,
  PRIMARY KEY (organization_id, issuer, subject),
  KEY ix_sso_identities_user (user_id),
  CONSTRAINT fk_sso_identities_org FOREIGN KEY (organization_id)
    REFERENCES organizations (id) ON DELETE CASCADE,
  CONSTRAINT fk_sso_identities_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Pending SSO logins, for deployments that keep the OIDC state server-side
-- (any worker on any host can finish the callback). state is the random value
-- sent to the provider, deleted on first use so a callback cannot be
-- replayed, nonce is checked against the ID token, code_verifier is the PKCE
-- secret. Purged by expires_at.
CREATE TABLE IF NOT EXISTS sso_states (
  state            VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  organization_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  nonce            VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  code_verifier    VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  redirect_to      VARCHAR(2048) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  created_at       DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  expires_at       DATETIME NOT NULL,
  PRIMARY KEY (state),
  KEY ix_sso_states_expires (expires_at),
  CONSTRAINT fk_sso_states_org FOREIGN KEY (organization_id)
    REFERENCES organizations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
