-- 011_sso_operator.sql -- what an operator of single sign-on relies on.
--
-- Roles from the identity provider (doc/api.md
-- section 6, "Single sign-on", role mapping).
--
--  * role_claim: the ID token claim read at every sign-in (a name, or a dotted
--    path into nested objects such as realm_access.roles); NULL: no mapping,
--    new users get default_role and a sign-in never changes a role.
--  * role_rules: a JSON object {"admin": [...], "engineer": [...],
--    "viewer": [...]} of claim values per role; the highest role a value
--    matches wins, none matching gives default_role.
--  * rules_author_role: the highest role the admin who saved the rules could
--    grant at that moment; a mapped role above it is clipped to it, so rules
--    never grant more than their author could.
-- IF NOT EXISTS keeps a half-applied file safe to re-run.
ALTER TABLE sso_connections
  ADD COLUMN IF NOT EXISTS role_claim VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER default_role,
  ADD COLUMN IF NOT EXISTS role_rules MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '{}' AFTER role_claim,
  ADD COLUMN IF NOT EXISTS rules_author_role ENUM('admin','engineer','viewer') NULL AFTER role_rules;

-- SSO-only organizations (doc/api.md section 6, "Single sign-on"):
--  * organizations.sso_required: password login and password change of the
--    organization's users are refused (403 SSO_REQUIRED);
--  * users.sso_break_glass: an admin named by the organization's admins who
--    may still use a password (while an active admin), for when the
--    provider is down.
ALTER TABLE organizations
  ADD COLUMN IF NOT EXISTS sso_required BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE users
  ADD COLUMN IF NOT EXISTS sso_break_glass BOOLEAN NOT NULL DEFAULT FALSE;

-- The provider's userinfo endpoint from the discovery document ('' when it
-- names none), fetched and checked at save like the other endpoints: asked
-- at sign-in only for the email an ID token lacks.
ALTER TABLE sso_connections
  ADD COLUMN IF NOT EXISTS userinfo_endpoint VARCHAR(512) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER jwks_uri;
