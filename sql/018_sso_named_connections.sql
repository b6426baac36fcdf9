-- 018_sso_named_connections.sql -- several single sign-on connections per
-- organization (doc/api.md section 6, "Single sign-on", named connections;
-- doc/sso.md section 10).
--
--  * sso_connections.name: a short slug ([a-z0-9-], 1 to 32 characters)
--    naming the connection within its organization; the connection of
--    GET/PUT /sso-connections is 'default', which every row written before
--    this file becomes. The primary key becomes (organization_id, name).
--  * sso_states.connection: the connection a sign-in was started at, so that
--    the callback (one URL per organization) finishes it with the same one.
-- Re-running is safe: ADD COLUMN IF NOT EXISTS, and the primary key is
-- dropped and made again in one statement (its leading organization_id
-- keeps serving the foreign key).
ALTER TABLE sso_connections
  ADD COLUMN IF NOT EXISTS name VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'default' AFTER organization_id;

ALTER TABLE sso_connections
  DROP PRIMARY KEY, ADD PRIMARY KEY (organization_id, name);

ALTER TABLE sso_states
  ADD COLUMN IF NOT EXISTS connection VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'default' AFTER organization_id;
