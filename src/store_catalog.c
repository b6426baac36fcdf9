/* store_catalog.c -- the text of every store statement, by id, and the helpers that run and decode them. */
#include "store_catalog.h"

#include <string.h>

#include "revlog.h"
#include "store.h"

/* The one date-time format of every time the API shows (doc/api.md section 1, "Times"). */
#define SQL_ISO8601(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
/* Session s has been unused past its own idle timeout (0: it has none). */
#define SQL_SESSION_IDLE \
	"(s.idle_timeout > 0 AND s.last_seen_at <= UTC_TIMESTAMP(6) - INTERVAL s.idle_timeout SECOND)"

/* Seconds left of a lock: 0 when there is none or it has run out. */
#define LOCK_SECONDS_LEFT \
	"GREATEST(0, COALESCE(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), locked_until), 0))"
/*
 * The failed-login arithmetic of users and unknown_login_failures (one
 * statement, so parallel failures on any worker or host count exactly).
 * MariaDB assigns left to right: later expressions see the new
 * failed_logins. A window that has passed, or a lock that has run out,
 * starts the count again. Parameters: window, threshold, duration.
 */
#define LOGIN_FAILED_SET \
	"failed_logins = IF(first_failed_at IS NULL " \
	"OR first_failed_at <= UTC_TIMESTAMP() - INTERVAL ? SECOND " \
	"OR (locked_until IS NOT NULL AND locked_until <= UTC_TIMESTAMP()), 1, failed_logins + 1), " \
	"first_failed_at = IF(failed_logins = 1, UTC_TIMESTAMP(), first_failed_at), " \
	"locked_until = IF(failed_logins >= ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, " \
	"IF(failed_logins = 1, NULL, locked_until))"
#define LOCKOUT_CLEAR "failed_logins = 0, first_failed_at = NULL, locked_until = NULL"

/* enum user_col. */
#define USER_COLUMNS \
	"SELECT id, organization_id, email, name, role, password_hash, active, " \
	LOCK_SECONDS_LEFT ", " SQL_ISO8601("created_at") ", " \
	"IF(locked_until > UTC_TIMESTAMP(), " SQL_ISO8601("locked_until") ", NULL), " \
	"failed_logins <> 0 OR locked_until IS NOT NULL, password_pepper_id " \
	"FROM users "

/*
 * What judging a key needs, from the key's row and its root user's
 * (sql/004_api_key_chain.sql): a row written by a binary older than 004 has
 * no root_user_id, and its creating user, if any, is the root.
 */
#define APIKEY_ROOT "COALESCE(k.root_user_id, IF(k.created_by_type = 'user', k.created_by_id, NULL))"
/*
 * The earliest of the key's own expiry, its ancestors' and the end of its
 * rotation overlap (NULL when none is set): LEAST of the COALESCEs skips NULLs.
 */
#define APIKEY_BOUND "LEAST(COALESCE(k.expires_at, k.parent_expires_at, k.rotation_ends_at), " \
	"COALESCE(k.parent_expires_at, k.rotation_ends_at, k.expires_at), " \
	"COALESCE(k.rotation_ends_at, k.expires_at, k.parent_expires_at))"
/* enum apikey_col up to APIKEY_COL_EXPIRES_BOUND. */
#define APIKEY_COLUMNS \
	"k.id, k.organization_id, k.name, k.prefix, k.permissions, " \
	"COALESCE(k.chain_permissions, k.permissions), " APIKEY_ROOT ", u.role, " \
	"k.revoked_at IS NOT NULL, k.expires_at <= UTC_TIMESTAMP(), " \
	"k.parent_revoked_at IS NOT NULL, k.parent_expires_at <= UTC_TIMESTAMP(), " \
	"u.id IS NOT NULL, COALESCE(u.active, 0), UNIX_TIMESTAMP(" APIKEY_BOUND "), " \
	"k.rotation_ends_at <= UTC_TIMESTAMP(6) "
/* When a key falls due for rotation: its organization's period (o) after it was made. */
#define APIKEY_DUE_AT "k.created_at + INTERVAL o.key_rotation_days DAY"
#define APIKEY_FROM \
	"FROM api_keys k LEFT JOIN users u ON u.id = " APIKEY_ROOT " AND u.organization_id = k.organization_id "

/* enum incident_col. */
#define INCIDENT_COLUMNS \
	"SELECT id, title, severity, status, description, created_by_type, created_by_id, " \
	SQL_ISO8601("created_at") ", " SQL_ISO8601("updated_at") " FROM incidents "
#define NEWEST_FIRST "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"

/* enum audit_col. */
#define AUDIT_COLUMNS \
	"SELECT id, " SQL_ISO8601("occurred_at") ", action, outcome, actor_type, " \
	"actor_id, ip, user_agent, target_type, target_id, detail FROM audit_log " \
	"WHERE organization_id = ? AND occurred_at >= FROM_UNIXTIME(?) "
#define AUDIT_ORDER " ORDER BY occurred_at DESC, id DESC LIMIT ? OFFSET ?"

/* enum connection_col: the organization, then its connection (NULLs when it has none). */
#define CONNECTION_SELECT \
	"SELECT o.id, o.slug, c.organization_id, " \
	"c.issuer, c.client_id, c.client_secret, c.allowed_domains, c.auto_create, c.default_role, " \
	"c.scopes, c.enabled, " SQL_ISO8601("c.created_at") ", " \
	SQL_ISO8601("c.updated_at") ", c.link_existing_accounts, c.provider_issuer, " \
	"c.authorization_endpoint, c.token_endpoint, c.jwks_uri, c.jwks, " \
	SQL_ISO8601("c.fetched_at") ", c.role_claim, c.role_rules, c.rules_author_role, " \
	"c.userinfo_endpoint, c.end_session_endpoint, c.name " \
	"FROM organizations o LEFT JOIN sso_connections c ON c.organization_id = o.id "

static struct db_query catalog[STMT_MAX] = {
	[STMT_PING] = DB_QUERY("SELECT 1"),

	[STMT_ORG_CREATE] = DB_QUERY("INSERT INTO organizations (id, name, slug) VALUES (?, ?, ?)"),
	[STMT_ORG_FIND] = DB_QUERY("SELECT id FROM organizations WHERE id = ? OR slug = ? LIMIT 1"),
	/*
	 * Written first by store_user_lock_target: on one server its row lock
	 * serializes admin changes; on Galera, where FOR UPDATE locks stay on
	 * their node, two such transactions on different nodes write the same
	 * row, so certification fails one of them (retried, it sees the other).
	 */
	[STMT_ORG_ADMIN_GUARD] = DB_QUERY(
	    "UPDATE organizations SET admin_guard = admin_guard + 1 WHERE id = ?"),

	[STMT_USER_CREATE] = DB_QUERY(
	    "INSERT INTO users (id, organization_id, email, name, role, password_hash, password_pepper_id) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)"),
	[STMT_USER_ID_BY_EMAIL] = DB_QUERY("SELECT id FROM users WHERE email = ?"),
	[STMT_USER_UNLOCK_BY_EMAIL] = DB_QUERY(
	    "UPDATE users SET " LOCKOUT_CLEAR ", updated_at = UTC_TIMESTAMP(6) WHERE email = ?"),
	[STMT_USER_BY_EMAIL] = DB_QUERY(USER_COLUMNS "WHERE email = ?"),
	[STMT_USER_BY_ID] = DB_QUERY(USER_COLUMNS "WHERE id = ?"),
	[STMT_USER_IN_ORG] = DB_QUERY(USER_COLUMNS "WHERE id = ? AND organization_id = ?"),
	[STMT_USER_LIST] = DB_QUERY(USER_COLUMNS "WHERE organization_id = ? " NEWEST_FIRST),
	[STMT_USER_LOGIN_FAILED] = DB_QUERY("UPDATE users SET " LOGIN_FAILED_SET " WHERE id = ?"),
	[STMT_USER_LOCKED_SECONDS] = DB_QUERY(
	    "SELECT " LOCK_SECONDS_LEFT " FROM users WHERE id = ?"),
	[STMT_USER_LOGIN_OK] = DB_QUERY(
	    "UPDATE users SET " LOCKOUT_CLEAR " "
	    "WHERE id = ? AND (failed_logins <> 0 OR locked_until IS NOT NULL)"),
	[STMT_USER_SET_PASSWORD] = DB_QUERY(
	    "UPDATE users SET password_hash = ?, password_pepper_id = ?, updated_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ?"),
	[STMT_USER_ADMINS_FOR_UPDATE] = DB_QUERY(
	    "SELECT id FROM users WHERE organization_id = ? AND role = 'admin' AND active = 1 FOR UPDATE"),
	/*
	 * The user an admin change is about, read under the guard's lock: a
	 * locking read sees the newest committed row, where a plain SELECT would
	 * see the transaction's snapshot, taken by whatever read came first
	 * (store_user_lock_target says why that matters).
	 */
	[STMT_USER_IN_ORG_FOR_UPDATE] = DB_QUERY(USER_COLUMNS "WHERE id = ? AND organization_id = ? FOR UPDATE"),
	/* deactivated_at after active is assigned (left to right): when the account was deactivated, for purge. */
	[STMT_USER_UPDATE] = DB_QUERY(
	    "UPDATE users SET name = COALESCE(?, name), role = COALESCE(?, role), "
	    "active = COALESCE(?, active), updated_at = UTC_TIMESTAMP(6), "
	    "deactivated_at = IF(active = 0, COALESCE(deactivated_at, UTC_TIMESTAMP(6)), NULL) "
	    "WHERE id = ? AND organization_id = ?"),
	[STMT_USER_UNLOCK] = DB_QUERY(
	    "UPDATE users SET " LOCKOUT_CLEAR ", "
	    "updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND organization_id = ?"),
	/* enum window_col. */
	[STMT_IP_FAILURES] = DB_QUERY(
	    "SELECT failures, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), window_start + INTERVAL 60 SECOND) "
	    "FROM login_attempts WHERE ip = ? AND window_start > UTC_TIMESTAMP() - INTERVAL 60 SECOND"),
	/* A fixed one-minute window per address, counted in one atomic upsert. */
	[STMT_IP_FAILURE_ADD] = DB_QUERY(
	    "INSERT INTO login_attempts (ip, window_start, failures) VALUES (?, UTC_TIMESTAMP(), 1) "
	    "ON DUPLICATE KEY UPDATE "
	    "failures = IF(window_start <= UTC_TIMESTAMP() - INTERVAL 60 SECOND, 1, failures + 1), "
	    "window_start = IF(failures = 1, UTC_TIMESTAMP(), window_start)"),
	/*
	 * A fixed window per (bucket, client), counted in one atomic upsert so
	 * that concurrent requests on any worker or host count exactly. MariaDB
	 * assigns left to right: window_start sees the new hits.
	 */
	[STMT_THROTTLE_HIT] = DB_QUERY(
	    "INSERT INTO ip_throttle (bucket, ip, window_start, hits) VALUES (?, ?, UTC_TIMESTAMP(), 1) "
	    "ON DUPLICATE KEY UPDATE "
	    "hits = IF(window_start <= UTC_TIMESTAMP() - INTERVAL ? SECOND, 1, hits + 1), "
	    "window_start = IF(hits = 1, UTC_TIMESTAMP(), window_start)"),
	/* enum window_col. */
	[STMT_THROTTLE_READ] = DB_QUERY(
	    "SELECT hits, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), window_start + INTERVAL ? SECOND) "
	    "FROM ip_throttle WHERE bucket = ? AND ip = ?"),
	[STMT_UNKNOWN_LOCKED] = DB_QUERY(
	    "SELECT " LOCK_SECONDS_LEFT " FROM unknown_login_failures WHERE email_digest = ?"),
	/* STMT_USER_LOGIN_FAILED's arithmetic, as an upsert: the first failure creates the row. */
	[STMT_UNKNOWN_FAILED] = DB_QUERY(
	    "INSERT INTO unknown_login_failures (email_digest, failed_logins, first_failed_at, locked_until) "
	    "VALUES (?, 1, UTC_TIMESTAMP(), IF(1 >= ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, NULL)) "
	    "ON DUPLICATE KEY UPDATE " LOGIN_FAILED_SET),

	[STMT_SESSION_CREATE] = DB_QUERY(
	    "INSERT INTO sessions (id, user_id, organization_id, expires_at, idle_timeout, refresh_jti, "
	    "ip, user_agent) VALUES (?, ?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, ?, ?, ?, LEFT(?, 512))"),
	/*
	 * enum session_check_col. Primary-key lookups only: session, its user,
	 * the jti in the deny list. Then: idle past the session's own idle
	 * timeout, last seen longer ago than its touch interval (a thirtieth of
	 * it, at most a minute: src/auth.c), last seen, the idle timeout,
	 * whether the user has a confirmed second factor, and the
	 * organization's name and slug (the last three for GET /auth/me, which
	 * so runs no query of its own).
	 */
	[STMT_SESSION_CHECK] = DB_QUERY(
	    "SELECT s.revoked_at IS NULL AND s.expires_at > UTC_TIMESTAMP(), u.active, u.role, "
	    "u.email, u.name, u.organization_id, "
	    "EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = ?), UNIX_TIMESTAMP(s.expires_at), "
	    SQL_SESSION_IDLE ", s.idle_timeout > 0 AND s.last_seen_at <= UTC_TIMESTAMP(6) - "
	    "INTERVAL LEAST(60, s.idle_timeout DIV 30) SECOND, UNIX_TIMESTAMP(s.last_seen_at), "
	    "s.idle_timeout, "
	    "EXISTS (SELECT 1 FROM user_mfa m WHERE m.user_id = u.id AND m.confirmed_at IS NOT NULL), "
	    "o.name, o.slug "
	    "FROM sessions s JOIN users u ON u.id = s.user_id "
	    "JOIN organizations o ON o.id = u.organization_id WHERE s.id = ? AND s.user_id = ?"),
	/* enum session_refresh_col. */
	[STMT_SESSION_FOR_REFRESH] = DB_QUERY(
	    "SELECT s.revoked_at IS NULL AND s.expires_at > UTC_TIMESTAMP(), u.active, s.user_id, "
	    "u.organization_id, u.role, s.refresh_jti, s.previous_refresh_jti, "
	    "s.rotated_at IS NOT NULL AND s.rotated_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND, "
	    "COALESCE(UNIX_TIMESTAMP(s.rotated_at), 0), UNIX_TIMESTAMP(s.expires_at), " SQL_SESSION_IDLE " "
	    "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?"),
	/* Activity, for the idle timeout (sql/010_session_activity.sql). */
	[STMT_SESSION_TOUCH] = DB_QUERY(
	    "UPDATE sessions SET last_seen_at = UTC_TIMESTAMP(6) WHERE id = ? AND revoked_at IS NULL"),
	/*
	 * enum session_list_col: the caller's live sessions; the first ? is the
	 * caller's own session (current).
	 */
	[STMT_SESSION_LIST] = DB_QUERY(
	    "SELECT id, " SQL_ISO8601("created_at") ", " SQL_ISO8601("last_seen_at") ", "
	    SQL_ISO8601("expires_at") ", ip, user_agent, IF(id = ?, 1, 0) FROM sessions s "
	    "WHERE user_id = ? AND revoked_at IS NULL AND expires_at > UTC_TIMESTAMP() "
	    "AND NOT " SQL_SESSION_IDLE " "
	    "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"),
	/* Step-up: was the user's identity proved in this session within ? seconds. */
	[STMT_SESSION_PROVED] = DB_QUERY(
	    "SELECT proved_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND FROM sessions WHERE id = ?"),
	[STMT_SESSION_PROVE] = DB_QUERY(
	    "UPDATE sessions SET proved_at = UTC_TIMESTAMP(6), last_seen_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND revoked_at IS NULL"),
	/* One of the caller's own sessions: another user's id changes nothing (a 404). */
	[STMT_SESSION_REVOKE_OWN] = DB_QUERY(
	    "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND user_id = ? AND revoked_at IS NULL"),
	/* Compare-and-set on the current jti: of two refreshes racing, one rotates. */
	/* The user's sessions, MFA rows and SSO links go with it (ON DELETE CASCADE); audit_log keeps its id. */
	[STMT_USER_DELETE] = DB_QUERY("DELETE FROM users WHERE id = ? AND organization_id = ?"),
	/* Every key whose chain starts at the user (APIKEY_ROOT): a deleted user's keys end with it. */
	[STMT_APIKEY_REVOKE_ROOT_USER] = DB_QUERY(
	    "UPDATE api_keys k SET k.revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE k.organization_id = ? AND k.revoked_at IS NULL AND " APIKEY_ROOT " = ?"),
	/*
	 * GET /auth/me/export (doc/api.md section 6, Auth): the caller's own
	 * rows, newest first, 1000 of each (enum export_*_col, enum audit_col).
	 */
	[STMT_EXPORT_SESSIONS] = DB_QUERY(
	    "SELECT id, " SQL_ISO8601("created_at") ", " SQL_ISO8601("expires_at") ", "
	    SQL_ISO8601("revoked_at") ", ip, user_agent FROM sessions "
	    "WHERE user_id = ? AND organization_id = ? ORDER BY created_at DESC, id DESC LIMIT 1000"),
	[STMT_EXPORT_APIKEYS] = DB_QUERY(
	    "SELECT k.id, k.name, k.prefix, k.permissions, " SQL_ISO8601("k.created_at") ", "
	    SQL_ISO8601("k.expires_at") ", " SQL_ISO8601("k.revoked_at") ", "
	    SQL_ISO8601("k.last_used_at") " FROM api_keys k "
	    "WHERE k.organization_id = ? AND " APIKEY_ROOT " = ? "
	    "ORDER BY k.created_at DESC, k.id DESC LIMIT 1000"),
	/* Events the user did or that were about the user: two index ranges, merged. */
	[STMT_EXPORT_AUDIT] = DB_QUERY(
	    AUDIT_COLUMNS "AND id IN (SELECT id FROM audit_log WHERE organization_id = ? AND actor_id = ? "
	    "UNION SELECT id FROM audit_log WHERE organization_id = ? AND target_type = 'user' "
	    "AND target_id = ?) ORDER BY occurred_at DESC, id DESC LIMIT 1000"),
	[STMT_SESSION_ROTATE] = DB_QUERY(
	    "UPDATE sessions SET previous_refresh_jti = refresh_jti, refresh_jti = ?, "
	    "rotated_at = FROM_UNIXTIME(?) WHERE id = ? AND refresh_jti = ? AND revoked_at IS NULL"),
	[STMT_SESSION_REVOKE] = DB_QUERY(
	    "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE id = ? AND revoked_at IS NULL"),
	[STMT_SESSION_REVOKE_USER] = DB_QUERY(
	    "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND revoked_at IS NULL AND id <> ?"),
	[STMT_TOKEN_REVOKE] = DB_QUERY(
	    "INSERT IGNORE INTO revoked_tokens (jti, expires_at) VALUES (?, FROM_UNIXTIME(?))"),

	[STMT_AUDIT_INSERT] = DB_QUERY(
	    "INSERT INTO audit_log (id, organization_id, action, outcome, actor_type, actor_id, ip, "
	    "user_agent, target_type, target_id, detail) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
	/*
	 * Which organization holds an id a 404 answered (src/audit_probe.c), and
	 * what it is: ids are random UUIDs, so at most one row.
	 */
	[STMT_AUDIT_ID_OWNER] = DB_QUERY(
	    "SELECT organization_id, 'user' FROM users WHERE id = ? "
	    "UNION ALL SELECT organization_id, 'api_key' FROM api_keys WHERE id = ? "
	    "UNION ALL SELECT organization_id, 'incident' FROM incidents WHERE id = ? "
	    "UNION ALL SELECT organization_id, 'procedure' FROM procedures WHERE id = ? LIMIT 1"),
	/* Attack events of an organization in the minute starting at the given epoch second. */
	[STMT_AUDIT_BUDGET_HIT] = DB_QUERY(
	    "INSERT INTO audit_budget (organization_id, window_start, hits) "
	    "VALUES (?, FROM_UNIXTIME(?), 1) ON DUPLICATE KEY UPDATE hits = hits + 1"),
	/* This minute's count, and the minute before's (NULL: none). */
	[STMT_AUDIT_BUDGET_READ] = DB_QUERY(
	    "SELECT b.hits, (SELECT p.hits FROM audit_budget p WHERE p.organization_id = b.organization_id "
	    "AND p.window_start = b.window_start - INTERVAL 1 MINUTE) FROM audit_budget b "
	    "WHERE b.organization_id = ? AND b.window_start = FROM_UNIXTIME(?)"),
	/*
	 * overwatch-admin audit: failures of no organization (a login with an
	 * unknown address), since an epoch second, newest first; or per client IP.
	 */
	[STMT_AUDIT_UNATTRIBUTED] = DB_QUERY(
	    "SELECT " SQL_ISO8601("occurred_at") ", action, outcome, ip, user_agent, target_type, "
	    "target_id FROM audit_log WHERE organization_id IS NULL AND occurred_at >= FROM_UNIXTIME(?) "
	    "ORDER BY occurred_at DESC, id DESC LIMIT ?"),
	[STMT_AUDIT_UNATTRIBUTED_BY_IP] = DB_QUERY(
	    "SELECT ip, COUNT(*), " SQL_ISO8601("MIN(occurred_at)") ", " SQL_ISO8601("MAX(occurred_at)")
	    " FROM audit_log WHERE organization_id IS NULL AND occurred_at >= FROM_UNIXTIME(?) "
	    "GROUP BY ip ORDER BY COUNT(*) DESC, ip LIMIT ?"),
	/* One statement per filter combination, so each uses its own index. */
	[STMT_AUDIT_LIST] = DB_QUERY(AUDIT_COLUMNS AUDIT_ORDER),
	[STMT_AUDIT_LIST_BY_ACTION] = DB_QUERY(AUDIT_COLUMNS "AND action = ?" AUDIT_ORDER),
	[STMT_AUDIT_LIST_BY_ACTOR] = DB_QUERY(AUDIT_COLUMNS "AND actor_id = ?" AUDIT_ORDER),
	[STMT_AUDIT_LIST_BY_BOTH] = DB_QUERY(
	    AUDIT_COLUMNS "AND action = ? AND actor_id = ?" AUDIT_ORDER),

	/*
	 * The one statement of a key-authenticated request: primary-key lookups
	 * only (the key, its root user, its organization for GET /auth/me).
	 */
	[STMT_APIKEY_BY_DIGEST] = DB_QUERY(
	    "SELECT " APIKEY_COLUMNS ", k.key_digest, o.name, o.slug " APIKEY_FROM
	    "JOIN organizations o ON o.id = k.organization_id WHERE k.key_digest = ?"),
	[STMT_APIKEY_CREATE] = DB_QUERY(
	    "INSERT INTO api_keys (id, organization_id, name, prefix, key_digest, permissions, "
	    "expires_at, created_by_type, created_by_id, root_user_id, parent_key_id, "
	    "chain_permissions, parent_expires_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
	[STMT_APIKEY_GUARD_PARENT] = DB_QUERY(
	    "UPDATE api_keys SET child_guard = child_guard + 1 "
	    "WHERE id = ? AND organization_id = ? AND revoked_at IS NULL AND parent_revoked_at IS NULL"),
	[STMT_APIKEY_LIST] = DB_QUERY(
	    "SELECT " APIKEY_COLUMNS ", " SQL_ISO8601("k.created_at") ", " SQL_ISO8601("k.expires_at") ", "
	    SQL_ISO8601("k.last_used_at") ", k.last_used_ip, k.use_count, k.created_by_type, "
	    "k.created_by_id, k.rotated_from, k.rotated_to, " SQL_ISO8601("k.rotation_ends_at") ", "
	    SQL_ISO8601(APIKEY_DUE_AT) ", k.rotated_to IS NULL AND " APIKEY_DUE_AT " <= UTC_TIMESTAMP() "
	    APIKEY_FROM "JOIN organizations o ON o.id = k.organization_id "
	    "WHERE k.organization_id = ? AND k.revoked_at IS NULL "
	    "ORDER BY k.created_at DESC, k.id DESC LIMIT ? OFFSET ?"),
	/* The key rotation takes from, locked: live, of the organization. */
	[STMT_APIKEY_FOR_ROTATION] = DB_QUERY(
	    "SELECT " APIKEY_COLUMNS ", k.rotated_to IS NOT NULL, " SQL_ISO8601("k.expires_at") " "
	    APIKEY_FROM
	    "WHERE k.id = ? AND k.organization_id = ? AND k.revoked_at IS NULL FOR UPDATE"),
	/* The successor: the old key's name, lists and chain; the caller made it. */
	[STMT_APIKEY_ROTATE_COPY] = DB_QUERY(
	    "INSERT INTO api_keys (id, organization_id, name, prefix, key_digest, permissions, "
	    "expires_at, created_by_type, created_by_id, root_user_id, parent_key_id, "
	    "chain_permissions, parent_expires_at, rotated_from) "
	    "SELECT ?, organization_id, name, ?, ?, permissions, expires_at, ?, ?, "
	    APIKEY_ROOT ", parent_key_id, COALESCE(chain_permissions, permissions), "
	    "parent_expires_at, id FROM api_keys k WHERE id = ? AND organization_id = ?"),
	[STMT_APIKEY_ROTATE_MARK] = DB_QUERY(
	    "UPDATE api_keys SET rotated_to = ?, "
	    "rotation_ends_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND "
	    "WHERE id = ? AND organization_id = ? AND rotated_to IS NULL"),
	/* The usage flush: a batch of one key's uses from one address on one day. */
	[STMT_APIKEY_ACTIVITY_ADD] = DB_QUERY(
	    "INSERT INTO api_key_activity (key_id, day, ip, requests, rejected) "
	    "VALUES (?, DATE(FROM_UNIXTIME(?)), ?, ?, ?) ON DUPLICATE KEY UPDATE "
	    "requests = requests + VALUES(requests), rejected = rejected + VALUES(rejected)"),
	/*
	 * A network seen: (re)started with this flush's token when new or unused
	 * for 30 days (first_seen and seen_token read last_seen before it moves:
	 * MariaDB assigns left to right).
	 */
	[STMT_APIKEY_NETWORK_SEEN] = DB_QUERY(
	    "INSERT INTO api_key_networks (key_id, network, first_seen, last_seen, seen_token) "
	    "VALUES (?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?), ?) ON DUPLICATE KEY UPDATE "
	    "first_seen = IF(last_seen < VALUES(first_seen) - INTERVAL 30 DAY, VALUES(first_seen), first_seen), "
	    "seen_token = IF(last_seen < VALUES(first_seen) - INTERVAL 30 DAY, VALUES(seen_token), seen_token), "
	    "last_seen = GREATEST(last_seen, VALUES(last_seen))"),
	[STMT_APIKEY_NETWORK_TOKEN] = DB_QUERY(
	    "SELECT seen_token FROM api_key_networks WHERE key_id = ? AND network = ?"),
	[STMT_APIKEY_IN_ORG] = DB_QUERY(
	    "SELECT 1 FROM api_keys WHERE id = ? AND organization_id = ?"),
	/* enum apikey_day_col: the last 90 days, oldest first. */
	[STMT_APIKEY_ACTIVITY_DAYS] = DB_QUERY(
	    "SELECT DATE_FORMAT(day, '%Y-%m-%d'), SUM(requests), SUM(rejected), COUNT(*) "
	    "FROM api_key_activity WHERE key_id = ? AND day > UTC_DATE() - INTERVAL 90 DAY "
	    "GROUP BY day ORDER BY day"),
	/* enum apikey_ip_col: each address of the last 90 days, first seen first. */
	[STMT_APIKEY_ACTIVITY_IPS] = DB_QUERY(
	    "SELECT ip, DATE_FORMAT(MIN(day), '%Y-%m-%d'), DATE_FORMAT(MAX(day), '%Y-%m-%d'), "
	    "SUM(requests), SUM(rejected) FROM api_key_activity "
	    "WHERE key_id = ? AND day > UTC_DATE() - INTERVAL 90 DAY "
	    "GROUP BY ip ORDER BY MIN(day), ip LIMIT 1000"),
	[STMT_APIKEY_ROTATION_ENDS] = DB_QUERY(
	    "SELECT " SQL_ISO8601("rotation_ends_at") " FROM api_keys WHERE id = ?"),
	/* enum apikey_policy_col. */
	[STMT_APIKEY_POLICY_GET] = DB_QUERY(
	    "SELECT key_rotation_days, key_max_lifetime_days FROM organizations WHERE id = ?"),
	[STMT_APIKEY_POLICY_SET] = DB_QUERY(
	    "UPDATE organizations SET key_rotation_days = ?, key_max_lifetime_days = ? WHERE id = ?"),
	/* overwatch-admin keys --due: every organization's live keys past their rotation date. */
	[STMT_APIKEY_DUE] = DB_QUERY(
	    "SELECT o.slug, k.id, k.name, k.prefix, " SQL_ISO8601("k.created_at") ", "
	    SQL_ISO8601(APIKEY_DUE_AT) " FROM api_keys k "
	    "JOIN organizations o ON o.id = k.organization_id "
	    "WHERE k.revoked_at IS NULL AND k.rotated_to IS NULL "
	    "AND (k.expires_at IS NULL OR k.expires_at > UTC_TIMESTAMP()) "
	    "AND " APIKEY_DUE_AT " <= UTC_TIMESTAMP() ORDER BY o.slug, k.created_at, k.id"),
	[STMT_APIKEY_REVOKE] = DB_QUERY(
	    "UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND organization_id = ? AND revoked_at IS NULL"),
	/*
	 * Every descendant, found from the parent index; the derived table is
	 * materialised first, so the UPDATE locks only those rows by primary key
	 * (an IN (subquery) form would scan and lock the whole table).
	 */
	[STMT_APIKEY_REVOKE_DESCENDANTS] = DB_QUERY(
	    "UPDATE api_keys k JOIN ("
	    "WITH RECURSIVE d (id) AS ("
	    "SELECT id FROM api_keys WHERE parent_key_id = ? AND organization_id = ? "
	    "UNION SELECT c.id FROM api_keys c JOIN d ON c.parent_key_id = d.id"
	    ") SELECT id FROM d) d ON k.id = d.id "
	    "SET k.parent_revoked_at = UTC_TIMESTAMP(6) WHERE k.parent_revoked_at IS NULL"),
	/* Batches from several workers may arrive out of order: keep the latest use. */
	[STMT_APIKEY_USAGE] = DB_QUERY(
	    "UPDATE api_keys SET use_count = use_count + ?, "
	    "last_used_ip = IF(last_used_at IS NULL OR last_used_at <= FROM_UNIXTIME(?), ?, last_used_ip), "
	    "last_used_at = GREATEST(COALESCE(last_used_at, FROM_UNIXTIME(?)), FROM_UNIXTIME(?)) "
	    "WHERE id = ?"),

	/* Two statements rather than "? IS NULL OR status = ?": each keeps its index. */
	[STMT_INCIDENT_LIST] = DB_QUERY(INCIDENT_COLUMNS "WHERE organization_id = ? " NEWEST_FIRST),
	[STMT_INCIDENT_LIST_BY_STATUS] = DB_QUERY(
	    INCIDENT_COLUMNS "WHERE organization_id = ? AND status = ? " NEWEST_FIRST),
	[STMT_INCIDENT_GET] = DB_QUERY(INCIDENT_COLUMNS "WHERE id = ? AND organization_id = ?"),
	[STMT_INCIDENT_CREATE] = DB_QUERY(
	    "INSERT INTO incidents (id, organization_id, title, severity, description, "
	    "created_by_type, created_by_id) VALUES (?, ?, ?, ?, ?, ?, ?)"),
	[STMT_INCIDENT_UPDATE] = DB_QUERY(
	    "UPDATE incidents SET title = COALESCE(?, title), severity = COALESCE(?, severity), "
	    "status = COALESCE(?, status), description = IF(?, ?, description), "
	    "updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND organization_id = ?"),
	[STMT_INCIDENT_EXISTS] = DB_QUERY("SELECT 1 FROM incidents WHERE id = ? AND organization_id = ?"),
	/* enum procedure_col. */
	[STMT_PROCEDURE_LIST] = DB_QUERY(
	    "SELECT id, name, description, created_by_type, created_by_id, " SQL_ISO8601("created_at")
	    " FROM procedures WHERE organization_id = ? " NEWEST_FIRST),
	[STMT_PROCEDURE_CREATE] = DB_QUERY(
	    "INSERT INTO procedures (id, organization_id, name, description, created_by_type, "
	    "created_by_id) VALUES (?, ?, ?, ?, ?, ?)"),
	[STMT_PROCEDURE_EXISTS] = DB_QUERY("SELECT 1 FROM procedures WHERE id = ? AND organization_id = ?"),
	[STMT_EXECUTION_CREATE] = DB_QUERY(
	    "INSERT INTO procedure_executions (id, organization_id, procedure_id, incident_id, "
	    "requested_by_type, requested_by_id) VALUES (?, ?, ?, ?, ?, ?)"),

	/* [retention]: each takes the days kept, then the batch size (sql/014_retention.sql). */
	[STMT_PURGE_AUDIT] = DB_QUERY(
	    "DELETE FROM audit_log WHERE occurred_at < UTC_TIMESTAMP() - INTERVAL ? DAY LIMIT ?"),
	/* Ids only: each account then goes as DELETE /users/{id} takes it (store_user_delete). */
	[STMT_PURGE_DEACTIVATED_USERS] = DB_QUERY(
	    "SELECT id, organization_id FROM users WHERE active = 0 "
	    "AND deactivated_at < UTC_TIMESTAMP() - INTERVAL ? DAY LIMIT ?"),
	/* A minute's budget matters until the next minute has read it. */
	[STMT_PURGE_AUDIT_BUDGET] = DB_QUERY(
	    "DELETE FROM audit_budget WHERE window_start < UTC_TIMESTAMP() - INTERVAL 1 HOUR LIMIT ?"),
	/* A revoked token is refused by its own exp once that has passed. */
	[STMT_PURGE_TOKENS] = DB_QUERY(
	    "DELETE FROM revoked_tokens WHERE expires_at < UTC_TIMESTAMP() LIMIT ?"),
	/* A day of grace keeps "Token has been revoked" answers meaningful for clock skew. */
	[STMT_PURGE_SESSIONS] = DB_QUERY(
	    "DELETE FROM sessions WHERE expires_at < UTC_TIMESTAMP() - INTERVAL 1 DAY LIMIT ?"),
	[STMT_PURGE_ATTEMPTS] = DB_QUERY(
	    "DELETE FROM login_attempts WHERE window_start < UTC_TIMESTAMP() - INTERVAL 1 HOUR LIMIT ?"),
	/* The longest window of a generic throttle is an hour. */
	[STMT_PURGE_THROTTLE] = DB_QUERY(
	    "DELETE FROM ip_throttle WHERE window_start < UTC_TIMESTAMP() - INTERVAL 2 HOUR LIMIT ?"),
	/* [lockout] window is at most 30 days; a running lock is kept whatever its age. */
	[STMT_PURGE_UNKNOWN] = DB_QUERY(
	    "DELETE FROM unknown_login_failures WHERE first_failed_at < UTC_TIMESTAMP() - INTERVAL 31 DAY "
	    "AND (locked_until IS NULL OR locked_until < UTC_TIMESTAMP()) LIMIT ?"),
	[STMT_PURGE_SSO_STATES] = DB_QUERY(
	    "DELETE FROM sso_states WHERE expires_at < UTC_TIMESTAMP() LIMIT ?"),
	/* A remembered provider failure that has run out says nothing any more. */
	[STMT_PURGE_PROVIDER_FAILURES] = DB_QUERY(
	    "DELETE FROM sso_provider_failures WHERE failed_until < UTC_TIMESTAMP() LIMIT ?"),
	[STMT_PURGE_KEY_ACTIVITY] = DB_QUERY(
	    "DELETE FROM api_key_activity WHERE day < UTC_DATE() - INTERVAL 90 DAY LIMIT ?"),
	[STMT_PURGE_KEY_NETWORKS] = DB_QUERY(
	    "DELETE FROM api_key_networks WHERE last_seen < UTC_TIMESTAMP() - INTERVAL 90 DAY LIMIT ?"),

	/*
	 * The organization and its connection of one name (sql/018) in one
	 * round trip: every /start and /callback asks.
	 */
	[STMT_SSO_ORG_CONNECTION] = DB_QUERY(CONNECTION_SELECT "AND c.name = ? WHERE o.id = ? OR o.slug = ? LIMIT 1"),
	[STMT_SSO_CONNECTION_GET] = DB_QUERY(CONNECTION_SELECT "AND c.name = ? WHERE o.id = ?"),
	/*
	 * Inside a save's or a delete's transaction: the organization row is
	 * locked too, so that two admins changing any of its connections at once
	 * apply one after the other (the limit and the domain rule see each other).
	 */
	[STMT_SSO_CONNECTION_GET_LOCKED] = DB_QUERY(CONNECTION_SELECT "AND c.name = ? WHERE o.id = ? FOR UPDATE"),
	/* Every connection of the organization (one row of NULLs when it has none). */
	[STMT_SSO_CONNECTION_LIST] = DB_QUERY(CONNECTION_SELECT "WHERE o.id = ? ORDER BY c.name"),
	/* What a save is checked against: the limit, domains, issuer and client of the others. */
	[STMT_SSO_CONNECTION_OTHERS] = DB_QUERY(
	    "SELECT name, issuer, client_id, allowed_domains FROM sso_connections "
	    "WHERE organization_id = ? AND name <> ? ORDER BY name"),
	[STMT_SSO_CONNECTION_DELETE] = DB_QUERY(
	    "DELETE FROM sso_connections WHERE organization_id = ? AND name = ?"),
	/* A deleted connection's sessions end with it, as a revocation every worker hears of. */
	[STMT_SSO_REVOKE_CONNECTION] = DB_QUERY(
	    "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE organization_id = ? AND sso_connection = ? AND revoked_at IS NULL"),
	[STMT_SSO_CONNECTION_UPSERT] = DB_QUERY(
	    "INSERT INTO sso_connections (organization_id, name, issuer, client_id, client_secret, "
	    "allowed_domains, auto_create, link_existing_accounts, default_role, enabled, "
	    "provider_issuer, authorization_endpoint, token_endpoint, jwks_uri, jwks, role_claim, "
	    "role_rules, rules_author_role, scopes, userinfo_endpoint, end_session_endpoint, fetched_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6)) "
	    "ON DUPLICATE KEY UPDATE issuer = VALUES(issuer), client_id = VALUES(client_id), "
	    "client_secret = VALUES(client_secret), allowed_domains = VALUES(allowed_domains), "
	    "auto_create = VALUES(auto_create), link_existing_accounts = VALUES(link_existing_accounts), "
	    "default_role = VALUES(default_role), enabled = VALUES(enabled), "
	    "provider_issuer = VALUES(provider_issuer), "
	    "authorization_endpoint = VALUES(authorization_endpoint), "
	    "token_endpoint = VALUES(token_endpoint), jwks_uri = VALUES(jwks_uri), jwks = VALUES(jwks), "
	    "role_claim = VALUES(role_claim), role_rules = VALUES(role_rules), "
	    "rules_author_role = VALUES(rules_author_role), scopes = VALUES(scopes), "
	    "userinfo_endpoint = VALUES(userinfo_endpoint), "
	    "end_session_endpoint = VALUES(end_session_endpoint), "
	    "fetched_at = VALUES(fetched_at), updated_at = UTC_TIMESTAMP(6)"),
	/* No new secret: the stored one stays (the caller decided the provider is the same one). */
	[STMT_SSO_CONNECTION_KEEP_SECRET] = DB_QUERY(
	    "UPDATE sso_connections SET issuer = ?, client_id = ?, allowed_domains = ?, "
	    "auto_create = ?, link_existing_accounts = ?, default_role = ?, enabled = ?, "
	    "provider_issuer = ?, authorization_endpoint = ?, token_endpoint = ?, jwks_uri = ?, "
	    "jwks = ?, role_claim = ?, role_rules = ?, rules_author_role = ?, scopes = ?, "
	    "userinfo_endpoint = ?, end_session_endpoint = ?, "
	    "fetched_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6) "
	    "WHERE organization_id = ? AND name = ?"),
	[STMT_SSO_CONNECTION_JWKS] = DB_QUERY(
	    "UPDATE sso_connections SET jwks = ?, fetched_at = UTC_TIMESTAMP(6) "
	    "WHERE organization_id = ? AND name = ? AND jwks_uri = ?"),
	/* Timeout 0: a second caller is told at once instead of queueing behind a slow provider. */
	[STMT_SSO_PROVIDER_LOCK] = DB_QUERY("SELECT GET_LOCK(?, 0)"),
	[STMT_SSO_PROVIDER_UNLOCK] = DB_QUERY("SELECT RELEASE_LOCK(?)"),
	[STMT_SSO_PROVIDER_FAILING] = DB_QUERY(
	    "SELECT reason FROM sso_provider_failures WHERE issuer = ? AND failed_until > UTC_TIMESTAMP(6)"),
	[STMT_SSO_PROVIDER_FAILED] = DB_QUERY(
	    "INSERT INTO sso_provider_failures (issuer, failed_until, reason) "
	    "VALUES (?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?) "
	    "ON DUPLICATE KEY UPDATE failed_until = VALUES(failed_until), reason = VALUES(reason)"),
	[STMT_SSO_PROVIDER_RECOVERED] = DB_QUERY("DELETE FROM sso_provider_failures WHERE issuer = ?"),
	[STMT_SSO_STATE_CREATE] = DB_QUERY(
	    "INSERT INTO sso_states (state, organization_id, connection, nonce, code_verifier, "
	    "binding_hash, redirect_uri, redirect_to, link_user_id, expires_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND)"),
	/* enum sso_state_col. */
	[STMT_SSO_STATE_READ] = DB_QUERY(
	    "SELECT organization_id, nonce, code_verifier, binding_hash, redirect_uri, redirect_to, "
	    "expires_at <= UTC_TIMESTAMP(), link_user_id, connection FROM sso_states WHERE state = ?"),
	[STMT_SSO_STATE_DELETE] = DB_QUERY("DELETE FROM sso_states WHERE state = ?"),
	[STMT_SSO_IDENTITY_USER] = DB_QUERY(
	    "SELECT user_id FROM sso_identities WHERE organization_id = ? AND issuer = ? AND subject = ?"),
	[STMT_SSO_IDENTITY_LINK] = DB_QUERY(
	    "INSERT INTO sso_identities (organization_id, issuer, subject, user_id, last_login_at) "
	    "VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))"),
	/* SSO-only organizations (sql/011_sso_operator.sql). */
	[STMT_SSO_POLICY] = DB_QUERY(
	    "SELECT o.sso_required, EXISTS (SELECT 1 FROM sso_connections c "
	    "WHERE c.organization_id = o.id AND c.enabled) FROM organizations o WHERE o.id = ?"),
	[STMT_SSO_POLICY_SET] = DB_QUERY("UPDATE organizations SET sso_required = ? WHERE id = ?"),
	[STMT_SSO_BREAK_GLASS_LIST] = DB_QUERY(
	    "SELECT id FROM users WHERE organization_id = ? AND sso_break_glass ORDER BY id"),
	[STMT_SSO_BREAK_GLASS_CLEAR] = DB_QUERY(
	    "UPDATE users SET sso_break_glass = FALSE WHERE organization_id = ? AND sso_break_glass"),
	/* Only an active admin of the organization: anyone else changes no row. */
	[STMT_SSO_BREAK_GLASS_SET] = DB_QUERY(
	    "UPDATE users SET sso_break_glass = TRUE "
	    "WHERE id = ? AND organization_id = ? AND role = 'admin' AND active"),
	/* Whether the user must sign in through SSO: a break-glass admin only while still an admin. */
	[STMT_SSO_PASSWORD_REFUSED] = DB_QUERY(
	    "SELECT o.sso_required AND NOT (u.sso_break_glass AND u.role = 'admin') "
	    "FROM users u JOIN organizations o ON o.id = u.organization_id WHERE u.id = ?"),
	[STMT_SSO_IDENTITY_TOUCH] = DB_QUERY(
	    "UPDATE sso_identities SET last_login_at = UTC_TIMESTAMP(6) "
	    "WHERE organization_id = ? AND issuer = ? AND subject = ?"),
	/* Logout that follows the provider (sql/015_sso_logout.sql, doc/api.md section 6). */
	[STMT_SSO_SESSION_MARK] = DB_QUERY(
	    "UPDATE sessions SET sso_connection = ?, sso_sid = ? WHERE id = ?"),
	/* A logout token's jti, once: the duplicate key is the replay. */
	[STMT_SSO_LOGOUT_JTI] = DB_QUERY(
	    "INSERT INTO sso_logout_tokens (organization_id, jti_hash, expires_at) "
	    "VALUES (?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND)"),
	[STMT_SSO_REVOKE_SID] = DB_QUERY(
	    "UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE organization_id = ? AND sso_sid = ? AND sso_connection = ? AND revoked_at IS NULL"),
	/* Every live session the connection's sign-in gave the user the subject is linked to. */
	[STMT_SSO_REVOKE_SUBJECT] = DB_QUERY(
	    "UPDATE sessions s JOIN sso_identities i ON i.user_id = s.user_id "
	    "AND i.organization_id = s.organization_id "
	    "SET s.revoked_at = UTC_TIMESTAMP(6) "
	    "WHERE i.organization_id = ? AND i.issuer = ? AND i.subject = ? "
	    "AND s.sso_connection = ? AND s.revoked_at IS NULL"),
	/* Where the browser goes to end the provider's session too: SSO sessions only, enabled connections. */
	[STMT_SSO_END_SESSION] = DB_QUERY(
	    "SELECT c.end_session_endpoint, c.client_id FROM sessions s "
	    "JOIN sso_connections c ON c.organization_id = s.organization_id AND c.name = s.sso_connection "
	    "WHERE s.id = ? AND s.sso_connection IS NOT NULL AND c.enabled AND c.end_session_endpoint <> ''"),
	[STMT_PURGE_SSO_LOGOUT_TOKENS] = DB_QUERY(
	    "DELETE FROM sso_logout_tokens WHERE expires_at < UTC_TIMESTAMP() LIMIT ?"),

	/*
	 * Two-factor sign-in (sql/008_mfa.sql). A step or a recovery code is
	 * spent by a conditional write that changes one row or none, so two
	 * requests racing with the same code cannot both succeed.
	 */
	[STMT_MFA_STATE] = DB_QUERY(
	    "SELECT (SELECT confirmed_at IS NOT NULL FROM user_mfa WHERE user_id = ?), mfa_policy "
	    "FROM organizations WHERE id = ?"),
	[STMT_MFA_SECRET] = DB_QUERY(
	    "SELECT secret, last_step, confirmed_at IS NOT NULL FROM user_mfa WHERE user_id = ?"),
	/* A new enrolment replaces one that was started and never confirmed, never a confirmed one. */
	[STMT_MFA_ENROL] = DB_QUERY(
	    "INSERT INTO user_mfa (user_id, secret, last_step) VALUES (?, ?, 0) "
	    "ON DUPLICATE KEY UPDATE secret = IF(confirmed_at IS NULL, VALUES(secret), secret), "
	    "last_step = IF(confirmed_at IS NULL, 0, last_step)"),
	[STMT_MFA_USE_STEP] = DB_QUERY(
	    "UPDATE user_mfa SET last_step = ? "
	    "WHERE user_id = ? AND last_step < ? AND confirmed_at IS NOT NULL"),
	[STMT_MFA_CONFIRM] = DB_QUERY(
	    "UPDATE user_mfa SET last_step = ?, confirmed_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND last_step < ? AND confirmed_at IS NULL"),
	[STMT_MFA_DELETE] = DB_QUERY("DELETE FROM user_mfa WHERE user_id = ?"),
	[STMT_MFA_RECOVERY_CLEAR] = DB_QUERY("DELETE FROM mfa_recovery_codes WHERE user_id = ?"),
	[STMT_MFA_RECOVERY_ADD] = DB_QUERY(
	    "INSERT INTO mfa_recovery_codes (user_id, code_digest) VALUES (?, ?)"),
	[STMT_MFA_RECOVERY_USE] = DB_QUERY(
	    "UPDATE mfa_recovery_codes SET used_at = UTC_TIMESTAMP(6) "
	    "WHERE user_id = ? AND code_digest = ? AND used_at IS NULL"),
	[STMT_MFA_CHALLENGE_CREATE] = DB_QUERY(
	    "INSERT INTO mfa_challenges (token_digest, user_id, purpose, expires_at) "
	    "VALUES (?, ?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND)"),
	[STMT_MFA_CHALLENGE_USER] = DB_QUERY(
	    "SELECT user_id FROM mfa_challenges "
	    "WHERE token_digest = ? AND purpose = ? AND expires_at > UTC_TIMESTAMP(6)"),
	[STMT_MFA_CHALLENGE_SPEND] = DB_QUERY(
	    "DELETE FROM mfa_challenges WHERE token_digest = ? AND expires_at > UTC_TIMESTAMP(6)"),
	[STMT_MFA_CHALLENGES_CLEAR] = DB_QUERY("DELETE FROM mfa_challenges WHERE user_id = ?"),
	[STMT_ORG_MFA_POLICY] = DB_QUERY("SELECT mfa_policy FROM organizations WHERE id = ?"),
	[STMT_ORG_MFA_POLICY_SET] = DB_QUERY("UPDATE organizations SET mfa_policy = ? WHERE id = ?"),
	[STMT_PURGE_MFA_CHALLENGES] = DB_QUERY(
	    "DELETE FROM mfa_challenges WHERE expires_at < UTC_TIMESTAMP(6) LIMIT ?"),
	/*
	 * An identifier cannot be a placeholder in these statements: the name is
	 * bound as a value, the server quotes it (sys.quote_identifier, QUOTE)
	 * and runs the result (sys.execute_prepared_stmt), so no text from the
	 * command line ever becomes SQL. Run by the database administrator.
	 */
	[STMT_ADMIN_DATABASE_CREATE] = DB_QUERY(
	    "CALL sys.execute_prepared_stmt(CONCAT('CREATE DATABASE ', sys.quote_identifier(?), "
	    "' CHARACTER SET utf8mb4'))"),
	[STMT_ADMIN_USER_CREATE] = DB_QUERY(
	    "CALL sys.execute_prepared_stmt(CONCAT('CREATE USER ', QUOTE(?), '@''localhost'' "
	    "IDENTIFIED BY ', QUOTE(?)))"),
	[STMT_ADMIN_GRANT] = DB_QUERY(
	    "CALL sys.execute_prepared_stmt(CONCAT('GRANT ALL ON ', sys.quote_identifier(?), "
	    "'.* TO ', QUOTE(?), '@''localhost'''))"),
	/* Every table's rows, the audit trail's SELECT and INSERT only (sql/017_service_grants.sql). */
	[STMT_ADMIN_GRANT_SERVICE] = DB_QUERY("CALL overwatch_grant_service(?, ?)"),
	/* sql/007_revocation_log.sql: one row per transaction with a revoking write. */
	[STMT_REVOCATION_LOG] = DB_QUERY("INSERT INTO revocation_log (created_at) VALUES (UTC_TIMESTAMP(6))"),
	/*
	 * The log's fingerprint: a row committed on any node, even with an id
	 * below the newest one (Galera hands out ids per node), changes the count.
	 */
	[STMT_REVOCATION_STATE] = DB_QUERY("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM revocation_log"),
	/* An hour is far beyond any poll interval: every host has seen the row. */
	[STMT_PURGE_REVOCATIONS] = DB_QUERY(
	    "DELETE FROM revocation_log WHERE created_at < UTC_TIMESTAMP() - INTERVAL 1 HOUR LIMIT ?"),
	/*
	 * sql/012_account_links.sql. A link is issued by address, so that a
	 * self-service reset runs the same statements whether or not the
	 * address has an account (doc/api.md section 6, "Account links").
	 */
	[STMT_ACCOUNT_TOKEN_CLEAR] = DB_QUERY(
	    "DELETE FROM account_tokens WHERE purpose = ? "
	    "AND user_id = (SELECT id FROM users WHERE email = ?)"),
	[STMT_ACCOUNT_TOKEN_CREATE] = DB_QUERY(
	    "INSERT INTO account_tokens (token_digest, user_id, purpose, expires_at) "
	    "SELECT ?, id, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND FROM users "
	    "WHERE email = ? AND active = 1"),
	[STMT_ACCOUNT_TOKEN_USER] = DB_QUERY(
	    "SELECT user_id FROM account_tokens "
	    "WHERE token_digest = ? AND purpose = ? AND expires_at > UTC_TIMESTAMP(6)"),
	[STMT_ACCOUNT_TOKEN_SPEND] = DB_QUERY(
	    "DELETE FROM account_tokens "
	    "WHERE token_digest = ? AND purpose = ? AND expires_at > UTC_TIMESTAMP(6)"),
	/* Proving the address ends a lockout as an admin's unlock does. */
	[STMT_ACCOUNT_PASSWORD_SET] = DB_QUERY(
	    "UPDATE users SET password_hash = ?, password_pepper_id = ?, " LOCKOUT_CLEAR ", "
	    "updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND active = 1"),
	[STMT_PURGE_ACCOUNT_TOKENS] = DB_QUERY(
	    "DELETE FROM account_tokens WHERE expires_at < UTC_TIMESTAMP(6) LIMIT ?"),
	/* A message goes to the user's address as stored now, and never to a deactivated user. */
	[STMT_NOTIFY_QUEUE_USER] = DB_QUERY(
	    "INSERT INTO notification_outbox (event, user_id, recipient, detail, expires_at) "
	    "SELECT ?, id, email, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND FROM users "
	    "WHERE id = ? AND active = 1"),
	[STMT_NOTIFY_QUEUE_EMAIL] = DB_QUERY(
	    "INSERT INTO notification_outbox (event, user_id, recipient, detail, expires_at) "
	    "SELECT ?, id, email, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND FROM users "
	    "WHERE email = ? AND active = 1"),
	/*
	 * One statement claims a batch for one worker (row locks make two
	 * claims disjoint) and already schedules its retry, so a worker that
	 * dies while sending leaves the rows to be sent again later.
	 */
	[STMT_NOTIFY_CLAIM] = DB_QUERY(
	    "UPDATE notification_outbox SET claim_id = ?, attempts = attempts + 1, "
	    "next_attempt_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND "
	    "WHERE next_attempt_at <= UTC_TIMESTAMP(6) AND expires_at > UTC_TIMESTAMP(6) "
	    "AND attempts < ? ORDER BY id LIMIT ?"),
	/* enum notify_col. */
	[STMT_NOTIFY_CLAIMED] = DB_QUERY(
	    "SELECT id, event, user_id, recipient, detail, attempts, " SQL_ISO8601("created_at") " "
	    "FROM notification_outbox WHERE claim_id = ? ORDER BY id"),
	[STMT_NOTIFY_DONE] = DB_QUERY("DELETE FROM notification_outbox WHERE id = ?"),
	[STMT_PURGE_NOTIFICATIONS] = DB_QUERY(
	    "DELETE FROM notification_outbox WHERE expires_at < UTC_TIMESTAMP(6) LIMIT ?"),
	[STMT_NOTIFY_LEASE] = DB_QUERY(
	    "UPDATE notification_lease SET holder = ?, leased_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND "
	    "WHERE id = 1 AND (leased_until IS NULL OR leased_until <= UTC_TIMESTAMP(6))"),
	[STMT_NOTIFY_RELEASE] = DB_QUERY(
	    "UPDATE notification_lease SET holder = NULL, leased_until = NULL WHERE id = 1 AND holder = ?"),
	[STMT_SESSION_SEEN_IP] = DB_QUERY("SELECT 1 FROM sessions WHERE user_id = ? AND ip = ? LIMIT 1"),
};

/*
 * Every write to a credential table, classified; the rest are STMT_OTHER.
 * The organization's name and slug ride in a cached principal (GET
 * /auth/me): a statement that renames an organization is STMT_REVOKES.
 */
static const enum stmt_effect effects[STMT_MAX] = {
	[STMT_SESSION_REVOKE] = STMT_REVOKES, [STMT_SESSION_REVOKE_USER] = STMT_REVOKES,
	[STMT_TOKEN_REVOKE] = STMT_REVOKES, [STMT_SESSION_REVOKE_OWN] = STMT_REVOKES,
	/* Deactivation, a role (a key's permissions follow its root user's), the name /auth/me shows. */
	[STMT_USER_UPDATE] = STMT_REVOKES,
	[STMT_USER_SET_PASSWORD] = STMT_REVOKES, [STMT_ACCOUNT_PASSWORD_SET] = STMT_REVOKES,
	[STMT_USER_DELETE] = STMT_REVOKES, [STMT_APIKEY_REVOKE_ROOT_USER] = STMT_REVOKES,
	[STMT_APIKEY_REVOKE] = STMT_REVOKES, [STMT_APIKEY_REVOKE_DESCENDANTS] = STMT_REVOKES,
	/*
	 * A rotation sets when the old key ends (its expiry bound, which a
	 * cached entry was filled without): at once with no overlap.
	 */
	[STMT_APIKEY_ROTATE_MARK] = STMT_REVOKES,
	/* Only rows past their end go, but purge is rare and announcing it costs nothing. */
	[STMT_PURGE_TOKENS] = STMT_REVOKES, [STMT_PURGE_SESSIONS] = STMT_REVOKES,
	/* New rows, counters, lock state (a lock refuses logins, not tokens), SSO settings. */
	[STMT_ORG_CREATE] = STMT_KEEPS, [STMT_ORG_ADMIN_GUARD] = STMT_KEEPS,
	[STMT_USER_CREATE] = STMT_KEEPS, [STMT_USER_UNLOCK_BY_EMAIL] = STMT_KEEPS,
	[STMT_USER_LOGIN_FAILED] = STMT_KEEPS, [STMT_USER_LOGIN_OK] = STMT_KEEPS,
	[STMT_USER_UNLOCK] = STMT_KEEPS, [STMT_SESSION_CREATE] = STMT_KEEPS,
	/* A refresh moves the refresh token only: the session and its access tokens stay valid. */
	[STMT_SESSION_ROTATE] = STMT_KEEPS,
	/*
	 * Activity moves the idle deadline later, never earlier; a cached token
	 * is bounded by half the idle timeout (src/auth.c), not by this write.
	 */
	[STMT_SESSION_TOUCH] = STMT_KEEPS,
	/* A fresh proof widens what the session may do; it takes nothing away. */
	[STMT_SESSION_PROVE] = STMT_KEEPS,
	[STMT_APIKEY_CREATE] = STMT_KEEPS, [STMT_APIKEY_GUARD_PARENT] = STMT_KEEPS,
	[STMT_APIKEY_USAGE] = STMT_KEEPS, [STMT_APIKEY_ROTATE_COPY] = STMT_KEEPS,
	/* Activity and policy: what a key did, what new keys may be; no key changes. */
	[STMT_APIKEY_ACTIVITY_ADD] = STMT_KEEPS, [STMT_APIKEY_NETWORK_SEEN] = STMT_KEEPS,
	[STMT_APIKEY_POLICY_SET] = STMT_KEEPS,
	/* The MFA policy applies at the next sign-in; open sessions stay (doc/SECURITY.md section 19). */
	[STMT_ORG_MFA_POLICY_SET] = STMT_KEEPS,
	/*
	 * Whether the user's two-factor sign-in is on: GET /auth/me shows it
	 * from the principal a cached token carries (auth.c), so turning it on
	 * or off is announced like a name change.
	 */
	[STMT_MFA_CONFIRM] = STMT_REVOKES, [STMT_MFA_DELETE] = STMT_REVOKES,
	/* An unconfirmed enrolment and a spent step leave it as it was. */
	[STMT_MFA_ENROL] = STMT_KEEPS, [STMT_MFA_USE_STEP] = STMT_KEEPS,
	[STMT_SSO_CONNECTION_UPSERT] = STMT_KEEPS, [STMT_SSO_CONNECTION_KEEP_SECRET] = STMT_KEEPS,
	[STMT_SSO_CONNECTION_JWKS] = STMT_KEEPS, [STMT_SSO_IDENTITY_LINK] = STMT_KEEPS,
	[STMT_SSO_IDENTITY_TOUCH] = STMT_KEEPS,
	[STMT_SSO_SESSION_MARK] = STMT_KEEPS, [STMT_SSO_REVOKE_SID] = STMT_REVOKES,
	[STMT_SSO_REVOKE_SUBJECT] = STMT_REVOKES, [STMT_SSO_REVOKE_CONNECTION] = STMT_REVOKES,
	[STMT_SSO_CONNECTION_DELETE] = STMT_KEEPS,
	/* Only password logins and changes read these: no cached credential depends on them. */
	[STMT_SSO_POLICY_SET] = STMT_KEEPS, [STMT_SSO_BREAK_GLASS_CLEAR] = STMT_KEEPS,
	[STMT_SSO_BREAK_GLASS_SET] = STMT_KEEPS,
};

enum stmt_effect
store_stmt_effect(enum store_stmt id)
{
	return effects[id];
}

const char *
store_stmt_sql(enum store_stmt id)
{
	return catalog[id].sql;
}

/* Every statement is taken from the catalog here, so none can revoke unannounced. */
static struct db_query *
use(enum store_stmt id)
{
	if (effects[id] == STMT_REVOKES)
		revlog_note();
	return &catalog[id];
}

struct db_query *
store_stmt(enum store_stmt id)
{
	return use(id);
}

enum db_result
store_run_one(struct db *db, struct arena *a, enum store_stmt id, const struct db_param *p,
    size_t n, struct db_rows *rows, bool *found)
{
	enum db_result r = db_exec(db, use(id), p, n, rows, a);

	*found = r == DB_OK && rows->nrows == 1;
	return r;
}

enum db_result
store_run_cell(struct db *db, struct arena *a, enum store_stmt id, const struct db_param *p,
    size_t n, const char **cell)
{
	struct db_rows rows;
	bool found = false;
	enum db_result r = store_run_one(db, a, id, p, n, &rows, &found);

	*cell = found ? db_cell(&rows, 0, 0) : NULL;
	return r;
}

void *
store_run_list(struct db *db, struct arena *a, enum store_stmt id, const struct db_param *p,
    size_t n, const struct store_field *fields, size_t nfields, size_t size, size_t *count,
    enum db_result *r)
{
	struct db_rows rows;
	char *out;

	*count = 0;
	if ((*r = db_exec(db, use(id), p, n, &rows, a)) != DB_OK)
		return NULL;
	/* Zeroed, with one spare so that an empty list is not NULL. */
	if ((out = arena_alloc(a, size * (rows.nrows + 1))) == NULL) {
		*r = DB_ERROR;
		return NULL;
	}
	for (size_t i = 0; i < rows.nrows; i++)
		store_decode(&rows, i, fields, nfields, out + i * size);
	*count = rows.nrows;
	return out;
}

enum db_result
store_org_page(struct db *db, struct arena *a, const struct store_org_list *what,
    const char *org_id, long limit, long offset, const void **items, size_t *n)
{
	const struct db_param p[] = {DBP_STR(org_id), DBP_INT(limit), DBP_INT(offset)};
	enum db_result r;

	*items = store_run_list(db, a, what->stmt, p, 3, what->fields, what->nfields, what->size, n,
	    &r);
	return r;
}

enum db_result
store_run_changed(struct db *db, enum store_stmt id, const struct db_param *p, size_t n,
    bool *changed)
{
	struct db_rows rows;
	enum db_result r = db_exec(db, use(id), p, n, &rows, NULL);

	if (changed != NULL)
		*changed = r == DB_OK && rows.affected == 1;
	return r;
}

void
store_decode(const struct db_rows *rows, size_t r, const struct store_field *fields, size_t n,
    void *out)
{
	for (size_t i = 0; i < n; i++) {
		char *member = (char *)out + fields[i].offset;
		const char *cell = db_cell(rows, r, fields[i].col);
		long long v = cell != NULL ? db_cell_int(rows, r, fields[i].col) : 0;
		switch (fields[i].kind) {
		case SK_NONE:
			break;
		case SK_STR:
			memcpy(member, &cell, sizeof(cell));
			break;
		case SK_BOOL:
			*(bool *)member = v != 0;
			break;
		case SK_LONG:
			*(long *)member = (long)v;
			break;
		case SK_LLONG:
			*(long long *)member = v;
			break;
		}
	}
}
