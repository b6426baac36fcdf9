-- 004_api_key_chain.sql -- what a request needs to hold an API key to its
-- creator in its one lookup (doc/SECURITY.md, "API keys and roles: no more
-- than the creator holds").
--
-- A key's effective permissions are its own list and its creator's current
-- permissions (a user's current role, or the creating key's effective
-- permissions, up the chain). Walking the chain on every request would cost
-- a statement per ancestor, so what never changes is kept on the key when it
-- is created, and what does change is in one row, the root user's:
--  * root_user_id: the user at the top of the chain (the key's creator, or
--    its creating key's root user). Joined by primary key on every request:
--    active and role are that user's current ones.
--  * parent_key_id: the creating key (NULL for a key a user created), so
--    DELETE can find the descendants (recursive CTE on ix_api_keys_parent).
--  * chain_permissions: the key's own list intersected with every ancestor's
--    list. Lists never change, so this holds for the key's whole life, and
--    effective = chain_permissions & the root user's role.
--  * parent_expires_at: the earliest expires_at of the ancestors. A new
--    child's expires_at is at most this, so the two columns say whether the
--    key or an ancestor expired.
--  * parent_revoked_at: set in the same transaction as the DELETE of any
--    ancestor.
--  * child_guard: bumped by every key a key mints. That write makes the
--    creation of a child and the DELETE of its parent conflict on the parent
--    row (a lock on one host, certification on a Galera cluster), so a child
--    cannot slip in after the DELETE marked the descendants.
-- IF NOT EXISTS keeps a half-applied file safe to re-run; the backfill
-- below only touches rows whose root_user_id is still NULL.
ALTER TABLE api_keys
  ADD COLUMN IF NOT EXISTS root_user_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER created_by_id,
  ADD COLUMN IF NOT EXISTS parent_key_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER root_user_id,
  ADD COLUMN IF NOT EXISTS chain_permissions SET('incidents:read','incidents:create','incidents:update',
                       'procedures:read','procedures:create','procedures:execute',
                       'api_keys:read','api_keys:create','api_keys:delete',
                       'users:read','users:manage','audit:read') NULL AFTER parent_key_id,
  ADD COLUMN IF NOT EXISTS parent_expires_at DATETIME NULL AFTER chain_permissions,
  ADD COLUMN IF NOT EXISTS parent_revoked_at DATETIME(6) NULL AFTER parent_expires_at,
  ADD COLUMN IF NOT EXISTS child_guard BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER parent_revoked_at,
  ADD KEY IF NOT EXISTS ix_api_keys_parent (parent_key_id);

-- Backfill, step 1: keys made by a key name their parent.
UPDATE api_keys SET parent_key_id = created_by_id
  WHERE created_by_type = 'api_key' AND parent_key_id IS NULL AND root_user_id IS NULL;

-- Step 2: walk each key's chain up to its user once, here, and keep the
-- result. A SET in numeric context is its bit mask, so & intersects lists.
-- A chain that does not end at a user (a missing row) leaves root_user_id
-- NULL: such a key is refused. The depth bound only guards against a cycle
-- written by hand.
UPDATE api_keys k JOIN (
  WITH RECURSIVE up (id, org, anc_type, anc_id, perms, exp, revoked, depth) AS (
    SELECT id, organization_id, created_by_type, created_by_id, permissions + 0,
           CAST(NULL AS DATETIME), CAST(NULL AS DATETIME(6)), 0
      FROM api_keys WHERE root_user_id IS NULL
    UNION ALL
    SELECT up.id, up.org, p.created_by_type, p.created_by_id, up.perms & (p.permissions + 0),
           CASE WHEN up.exp IS NULL THEN p.expires_at
                WHEN p.expires_at IS NULL THEN up.exp
                ELSE LEAST(up.exp, p.expires_at) END,
           CASE WHEN up.revoked IS NULL THEN p.revoked_at
                WHEN p.revoked_at IS NULL THEN up.revoked
                ELSE LEAST(up.revoked, p.revoked_at) END,
           up.depth + 1
      FROM up JOIN api_keys p ON p.id = up.anc_id AND p.organization_id = up.org
      WHERE up.anc_type = 'api_key' AND up.depth < 1000
  )
  SELECT id, anc_id AS root, perms, exp, revoked FROM up WHERE anc_type = 'user'
) c ON c.id = k.id
SET k.root_user_id = c.root, k.chain_permissions = c.perms, k.parent_expires_at = c.exp,
    k.parent_revoked_at = COALESCE(k.parent_revoked_at, c.revoked)
WHERE k.root_user_id IS NULL;

-- Step 3: a child cannot outlive its parent. The old code let a key mint a
-- child without expiry (or expiring later): bind it to its ancestors' expiry,
-- as a new child without expires_at is bound when it is created.
UPDATE api_keys SET expires_at = parent_expires_at
  WHERE parent_expires_at IS NOT NULL AND (expires_at IS NULL OR expires_at > parent_expires_at);
