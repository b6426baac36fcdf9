-- 002_sso_browser_binding.sql -- what an SSO state must remember besides 001's
-- columns, so that a callback can only be finished by the browser that
-- started it and with the redirect_uri the provider saw.
--
--  * binding_hash: base64url SHA-256 of the random value the start sent to
--    the browser in a short-lived HttpOnly cookie (never the value itself).
--    The callback hashes the cookie it gets and compares: a state (and so a
--    nonce and PKCE verifier) stolen or planted in another browser is useless.
--  * redirect_uri: exactly the one sent to the authorization endpoint; the
--    token request must repeat it byte for byte (RFC 6749 4.1.3).
-- IF NOT EXISTS keeps a half-applied file safe to re-run.
ALTER TABLE sso_states
  ADD COLUMN IF NOT EXISTS binding_hash CHAR(43) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER code_verifier,
  ADD COLUMN IF NOT EXISTS redirect_uri VARCHAR(2048) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER binding_hash;
