-- 015_sso_logout.sql -- logout that follows the identity provider
-- (doc/api.md section 6, "Single sign-on", back-channel logout; doc/sso.md).
--
--  * sessions.sso_connection: the connection whose sign-in created the
--    session ('default': the organization's connection); NULL for a
--    session that did not come from single sign-on.
--  * sessions.sso_sid: the provider's session id (the ID token's sid
--    claim) when it sent one; a logout token naming it ends this session.
--  * sso_connections.end_session_endpoint: the provider's RP-initiated
--    logout endpoint from the discovery document ('' when it names none),
--    where the console sends the browser after signing out of an SSO session.
--  * sso_logout_tokens: the digest of every logout token's jti accepted,
--    kept until the token could no longer be fresh, so that a replayed
--    logout token is refused.
-- IF NOT EXISTS keeps a half-applied file safe to re-run.
ALTER TABLE sessions
  ADD COLUMN IF NOT EXISTS sso_connection VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN IF NOT EXISTS sso_sid VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD INDEX IF NOT EXISTS ix_sessions_sso_sid (organization_id, sso_sid);

ALTER TABLE sso_connections
  ADD COLUMN IF NOT EXISTS end_session_endpoint VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER userinfo_endpoint;

CREATE TABLE IF NOT EXISTS sso_logout_tokens (
  organization_id  CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  jti_hash         CHAR(43) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  expires_at       DATETIME NOT NULL,
  PRIMARY KEY (organization_id, jti_hash),
  KEY ix_sso_logout_tokens_expires (expires_at),
  CONSTRAINT fk_sso_logout_tokens_org FOREIGN KEY (organization_id)
    REFERENCES organizations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
