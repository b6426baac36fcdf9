/* store_catalog.c -- the SQL fragments and the table of store_statements.def, and the helpers that run and decode statements. */
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

/* One entry per row of store_statements.def, indexed by its id. */
struct statement {
	const char *name;
	struct db_query query;
	enum stmt_effect effect;
};
static struct statement catalog[STMT_MAX] = {
#define STATEMENT(id, effect, sql) [id] = {#id, DB_QUERY(sql), effect},
#include "store_statements.def"
#undef STATEMENT
};

enum stmt_effect
store_stmt_effect(enum store_stmt id)
{
	return catalog[id].effect;
}

const char *
store_stmt_sql(enum store_stmt id)
{
	return catalog[id].query.sql;
}

const char *
store_stmt_name(enum store_stmt id)
{
	return catalog[id].name;
}

/* Every statement is taken from the catalog here, so none can revoke unannounced. */
static struct db_query *
use(enum store_stmt id)
{
	if (catalog[id].effect == STMT_REVOKES)
		revlog_note();
	return &catalog[id].query;
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
