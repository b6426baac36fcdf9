-- 005_sso_provider_metadata.sql -- what single sign-on keeps so that a tenant's
-- identity provider cannot stall the service nor take over accounts.
--
--  * sso_connections: the provider's metadata fetched and checked when the
--    connection is saved (the discovery document's issuer and endpoints, the
--    JWKS text, when they were fetched). /start is served from these columns
--    without any outbound call, the callback calls only the stored token
--    endpoint and, for a key it does not know, the stored jwks_uri.
--    link_existing_accounts: the tenant admin trusts the provider's verified
--    emails enough to link a first sign-in to an existing password account.
--  * sso_states.link_user_id: a sign-in started by a signed-in user to link
--    the provider identity to that very user (NULL for a plain sign-in).
--  * sso_provider_failures: a provider that did not answer in time, shared
--    by every worker and host, so the next callbacks answer 502 at once
--    instead of waiting for it again. Keyed by the issuer as configured.
-- IF NOT EXISTS keeps a half-applied file safe to re-run.
ALTER TABLE sso_connections
  ADD COLUMN IF NOT EXISTS provider_issuer VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER enabled,
  ADD COLUMN IF NOT EXISTS authorization_endpoint VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER provider_issuer,
  ADD COLUMN IF NOT EXISTS token_endpoint VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER authorization_endpoint,
  ADD COLUMN IF NOT EXISTS jwks_uri VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER token_endpoint,
  ADD COLUMN IF NOT EXISTS jwks MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL AFTER jwks_uri,
  ADD COLUMN IF NOT EXISTS fetched_at DATETIME(6) NULL AFTER jwks,
  ADD COLUMN IF NOT EXISTS link_existing_accounts BOOLEAN NOT NULL DEFAULT FALSE AFTER auto_create;

ALTER TABLE sso_states
  ADD COLUMN IF NOT EXISTS link_user_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER redirect_to;

CREATE TABLE IF NOT EXISTS sso_provider_failures (
  issuer        VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  failed_until  DATETIME(6) NOT NULL,
  reason        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (issuer)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
