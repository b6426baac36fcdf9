/* store_catalog.h -- the store's statement catalog: one id per statement, its result columns by name, a row decoder. */
#ifndef OW_STORE_CATALOG_H
#define OW_STORE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/*
 * Every statement of the store_*.c files, by table family. The SQL text is in
 * store_catalog.c, where each id has exactly one constant DB_QUERY (so
 * test_security.py sees every statement); the store files run them by id.
 */
enum store_stmt {
	STMT_PING,
	/* organizations */
	STMT_ORG_CREATE, STMT_ORG_FIND, STMT_ORG_ADMIN_GUARD,
	/* users, login lockout and throttles */
	STMT_USER_CREATE, STMT_USER_ID_BY_EMAIL, STMT_USER_UNLOCK_BY_EMAIL, STMT_USER_BY_EMAIL,
	STMT_USER_BY_ID, STMT_USER_IN_ORG, STMT_USER_LIST, STMT_USER_LOGIN_FAILED,
	STMT_USER_LOCKED_SECONDS, STMT_USER_LOGIN_OK, STMT_USER_SET_PASSWORD,
	STMT_USER_ADMINS_FOR_UPDATE, STMT_USER_UPDATE, STMT_USER_UNLOCK,
	STMT_IP_FAILURES, STMT_IP_FAILURE_ADD, STMT_THROTTLE_HIT, STMT_THROTTLE_READ,
	STMT_UNKNOWN_LOCKED, STMT_UNKNOWN_FAILED,
	/* sessions and the deny list */
	STMT_SESSION_CREATE, STMT_SESSION_CHECK, STMT_SESSION_FOR_REFRESH, STMT_SESSION_ROTATE,
	STMT_SESSION_REVOKE, STMT_SESSION_REVOKE_USER, STMT_TOKEN_REVOKE,
	/* audit log */
	STMT_AUDIT_INSERT, STMT_AUDIT_LIST, STMT_AUDIT_LIST_BY_ACTION, STMT_AUDIT_LIST_BY_ACTOR,
	STMT_AUDIT_LIST_BY_BOTH,
	/* API keys */
	STMT_KEY_BY_DIGEST, STMT_KEY_CREATE, STMT_KEY_GUARD_PARENT, STMT_KEY_LIST, STMT_KEY_REVOKE,
	STMT_KEY_REVOKE_DESCENDANTS, STMT_KEY_USAGE,
	/* incidents, procedures, executions */
	STMT_INCIDENT_LIST, STMT_INCIDENT_LIST_BY_STATUS, STMT_INCIDENT_GET, STMT_INCIDENT_CREATE,
	STMT_INCIDENT_UPDATE, STMT_INCIDENT_EXISTS, STMT_PROCEDURE_LIST, STMT_PROCEDURE_CREATE,
	STMT_PROCEDURE_EXISTS, STMT_EXECUTION_CREATE,
	/* purge (each takes the batch size) */
	STMT_PURGE_TOKENS, STMT_PURGE_SESSIONS, STMT_PURGE_ATTEMPTS, STMT_PURGE_THROTTLE,
	STMT_PURGE_UNKNOWN, STMT_PURGE_SSO_STATES, STMT_PURGE_PROVIDER_FAILURES,
	/* single sign-on */
	STMT_SSO_ORG_CONNECTION, STMT_SSO_CONNECTION_GET, STMT_SSO_CONNECTION_GET_LOCKED,
	STMT_SSO_CONNECTION_UPSERT, STMT_SSO_CONNECTION_KEEP_SECRET, STMT_SSO_CONNECTION_JWKS,
	STMT_SSO_PROVIDER_LOCK, STMT_SSO_PROVIDER_UNLOCK, STMT_SSO_PROVIDER_FAILING,
	STMT_SSO_PROVIDER_FAILED, STMT_SSO_PROVIDER_RECOVERED, STMT_SSO_STATE_CREATE,
	STMT_SSO_STATE_READ, STMT_SSO_STATE_DELETE, STMT_SSO_IDENTITY_USER, STMT_SSO_IDENTITY_LINK,
	STMT_SSO_IDENTITY_TOUCH,
	STMT_MAX
};

/* The catalog's statement id (prepared once per connection by db.c). */
struct db_query *store_stmt(enum store_stmt id);

/* Run statement id with the listed parameters, counted by the compiler (db.h DB_PARAMS). */
#define STORE_RUN(db, id, rows, a, ...) \
	db_exec((db), store_stmt(id), DB_PARAMS(__VA_ARGS__), (rows), (a))
/* A lookup of at most one row: *found when there was one. */
enum db_result store_run_one(struct db *db, struct arena *a, enum store_stmt id,
    const struct db_param *p, size_t n, struct db_rows *rows, bool *found);
#define STORE_ONE(db, a, id, rows, found, ...) \
	store_run_one((db), (a), (id), DB_PARAMS(__VA_ARGS__), (rows), (found))
/* A write meant to change one row: *changed when exactly one was (may be NULL). */
enum db_result store_run_changed(struct db *db, enum store_stmt id, const struct db_param *p,
    size_t n, bool *changed);
#define STORE_CHANGE(db, id, changed, ...) \
	store_run_changed((db), (id), DB_PARAMS(__VA_ARGS__), (changed))

/*
 * Result columns by name, in the order of the SELECT lists in
 * store_catalog.c (the incident, procedure and audit lists are in store.h:
 * handlers read those rows).
 */
/* STMT_USER_BY_EMAIL, _BY_ID, _IN_ORG, _LIST (USER_COLUMNS). */
enum user_col {
	USER_COL_ID, USER_COL_ORG_ID, USER_COL_EMAIL, USER_COL_NAME, USER_COL_ROLE,
	USER_COL_PASSWORD_HASH, USER_COL_ACTIVE, USER_COL_LOCKED_SECONDS, USER_COL_CREATED_AT,
	USER_COL_LOCKED_UNTIL, USER_COL_HAS_FAILURES, USER_COL_MAX
};
/* STMT_KEY_BY_DIGEST and STMT_KEY_LIST (KEY_COLUMNS, then what each adds). */
enum key_col {
	KEY_COL_ID, KEY_COL_ORG_ID, KEY_COL_NAME, KEY_COL_PREFIX, KEY_COL_PERMISSIONS,
	KEY_COL_CHAIN_PERMISSIONS, KEY_COL_ROOT_USER_ID, KEY_COL_CREATOR_ROLE, KEY_COL_REVOKED,
	KEY_COL_EXPIRED, KEY_COL_PARENT_REVOKED, KEY_COL_PARENT_EXPIRED, KEY_COL_CREATOR_FOUND,
	KEY_COL_CREATOR_ACTIVE, KEY_COL_EXPIRES_BOUND,
	KEY_COL_DIGEST = KEY_COL_EXPIRES_BOUND + 1,         /* STMT_KEY_BY_DIGEST */
	KEY_COL_CREATED_AT = KEY_COL_EXPIRES_BOUND + 1,     /* STMT_KEY_LIST from here */
	KEY_COL_EXPIRES_AT, KEY_COL_LAST_USED_AT, KEY_COL_LAST_USED_IP, KEY_COL_USE_COUNT,
	KEY_COL_CREATED_BY_TYPE, KEY_COL_CREATED_BY_ID, KEY_COL_MAX
};
/* STMT_SESSION_CHECK. */
enum session_check_col {
	CHECK_COL_LIVE, CHECK_COL_USER_ACTIVE, CHECK_COL_ROLE, CHECK_COL_EMAIL, CHECK_COL_NAME,
	CHECK_COL_ORG_ID, CHECK_COL_JTI_REVOKED, CHECK_COL_MAX
};
/* STMT_SESSION_FOR_REFRESH. */
enum session_refresh_col {
	REFRESH_COL_LIVE, REFRESH_COL_USER_ACTIVE, REFRESH_COL_USER_ID, REFRESH_COL_ORG_ID,
	REFRESH_COL_ROLE, REFRESH_COL_REFRESH_JTI, REFRESH_COL_PREVIOUS_JTI, REFRESH_COL_IN_GRACE,
	REFRESH_COL_ROTATED_AT, REFRESH_COL_EXPIRES_AT, REFRESH_COL_MAX
};
/* STMT_SSO_ORG_CONNECTION, STMT_SSO_CONNECTION_GET(_LOCKED). */
enum connection_col {
	CONN_COL_ORG_ID, CONN_COL_ORG_SLUG, CONN_COL_CONNECTION_ORG_ID, CONN_COL_ISSUER,
	CONN_COL_CLIENT_ID, CONN_COL_CLIENT_SECRET, CONN_COL_ALLOWED_DOMAINS, CONN_COL_AUTO_CREATE,
	CONN_COL_DEFAULT_ROLE, CONN_COL_SCOPES, CONN_COL_ENABLED, CONN_COL_CREATED_AT,
	CONN_COL_UPDATED_AT, CONN_COL_LINK_EXISTING, CONN_COL_PROVIDER_ISSUER,
	CONN_COL_AUTHORIZATION_ENDPOINT, CONN_COL_TOKEN_ENDPOINT, CONN_COL_JWKS_URI, CONN_COL_JWKS,
	CONN_COL_FETCHED_AT, CONN_COL_MAX
};
/* STMT_SSO_STATE_READ. */
enum sso_state_col {
	STATE_COL_ORG_ID, STATE_COL_NONCE, STATE_COL_CODE_VERIFIER, STATE_COL_BINDING_HASH,
	STATE_COL_REDIRECT_URI, STATE_COL_REDIRECT_TO, STATE_COL_EXPIRED, STATE_COL_LINK_USER_ID,
	STATE_COL_MAX
};
/* STMT_IP_FAILURES and STMT_THROTTLE_READ: a window's count and the seconds left in it. */
enum window_col { WINDOW_COL_COUNT, WINDOW_COL_SECONDS_LEFT, WINDOW_COL_MAX };

/*
 * A generic row decoder: a table of (column, kind, offset of the struct
 * member) fills a row struct, so each struct's mapping is written once.
 */
enum store_kind {
	SK_STR,         /* const char *, NULL for SQL NULL */
	SK_BOOL,        /* bool: the cell as an integer is not 0 */
	SK_LONG,        /* long */
	SK_LLONG,       /* long long */
};
struct store_field {
	unsigned int col;
	enum store_kind kind;
	size_t offset;
};
#define STORE_FIELD(col, kind, type, member) {(col), (kind), offsetof(type, member)}
/* Fill the members of out named by fields[0..n) from row r (strings stay in the rows' arena). */
void store_decode(const struct db_rows *rows, size_t r, const struct store_field *fields, size_t n,
    void *out);
#define STORE_DECODE(rows, r, fields, out) \
	store_decode((rows), (r), (fields), sizeof(fields) / sizeof((fields)[0]), (out))

#endif
