/* store_catalog.h -- the store's statement catalog: one id per statement, its result columns by name, a row decoder. */
#ifndef OW_STORE_CATALOG_H
#define OW_STORE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

struct store_field;      /* a decoder table entry, below */

/*
 * Every statement of the store_*.c files: one row each in
 * store_statements.def (its id, effect and SQL), in that file's order.
 */
enum store_stmt {
#define STATEMENT(id, effect, sql) id,
#include "store_statements.def"
#undef STATEMENT
	STMT_MAX
};

/*
 * What a statement does to credentials (doc/HACKING.md section 4, "Add a
 * route"): STMT_REVOKES can make a valid access token or API key invalid, or
 * change what a request learns about its caller (role, name, key
 * permissions), so running it notes a revocation (src/revlog.c) that the
 * dispatcher logs in the same transaction and announces to every worker of
 * the host after COMMIT. STMT_KEEPS writes a credential table without
 * revoking anything. check_credcache.c fails on a write to a credential table
 * that is neither.
 */
enum stmt_effect { STMT_OTHER, STMT_KEEPS, STMT_REVOKES };
enum stmt_effect store_stmt_effect(enum store_stmt id);
/* The statement's constant text and its id's name ("STMT_PING"), for tests that read the catalog. */
const char *store_stmt_sql(enum store_stmt id);
const char *store_stmt_name(enum store_stmt id);

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
/* The first column of a lookup of at most one row: *cell, NULL when no row (or SQL NULL). */
enum db_result store_run_cell(struct db *db, struct arena *a, enum store_stmt id,
    const struct db_param *p, size_t n, const char **cell);
#define STORE_CELL(db, a, id, cell, ...) \
	store_run_cell((db), (a), (id), DB_PARAMS(__VA_ARGS__), (cell))
/*
 * A list: run statement id and decode every row with fields into an array
 * of size-byte structs in arena a, returned (NULL on failure); *count rows,
 * *r the outcome (DB_ERROR when the arena is full).
 */
void *store_run_list(struct db *db, struct arena *a, enum store_stmt id, const struct db_param *p,
    size_t n, const struct store_field *fields, size_t nfields, size_t size, size_t *count,
    enum db_result *r);
#define STORE_LIST(db, a, id, fields, size, count, r, ...) \
	store_run_list((db), (a), (id), DB_PARAMS(__VA_ARGS__), (fields), \
	    sizeof(fields) / sizeof((fields)[0]), (size), (count), (r))
/* An organization's list (store.h store_org_page): its statement and row decoder. */
struct store_org_list {
	enum store_stmt stmt;       /* parameters: org_id, limit, offset */
	const struct store_field *fields;
	size_t nfields, size;       /* size: bytes of one row struct */
};
#define STORE_ORG_LIST(id, fields, type) {(id), (fields), sizeof(fields) / sizeof((fields)[0]), sizeof(type)}
/* A write meant to change one row: *changed when exactly one was (may be NULL). */
enum db_result store_run_changed(struct db *db, enum store_stmt id, const struct db_param *p,
    size_t n, bool *changed);
#define STORE_CHANGE(db, id, changed, ...) \
	store_run_changed((db), (id), DB_PARAMS(__VA_ARGS__), (changed))

/*
 * Result columns by name, in the order of the SELECT lists in
 * store_catalog.c (the incident, procedure and audit lists are in store.h:
 * handlers read those rows). A row struct's columns are one list
 * X(column, kind, member): it gives both the enum of column names and the
 * decoder's table (an X of STORE_FIELD in the store file), so the two
 * cannot drift apart.
 */
#define STORE_COL_ENUM(col, kind, member) col,

/* STMT_NOTIFY_CLAIMED. */
enum notify_col {
	NOTIFY_COL_ID, NOTIFY_COL_EVENT, NOTIFY_COL_USER_ID, NOTIFY_COL_RECIPIENT, NOTIFY_COL_DETAIL,
	NOTIFY_COL_ATTEMPTS, NOTIFY_COL_CREATED_AT
};
/* STMT_USER_BY_EMAIL, _BY_ID, _IN_ORG, _LIST (USER_COLUMNS) into struct user_row. */
#define USER_COLUMNS_LIST(X) \
	X(USER_COL_ID, SK_STR, id) X(USER_COL_ORG_ID, SK_STR, org_id) \
	X(USER_COL_EMAIL, SK_STR, email) X(USER_COL_NAME, SK_STR, name) X(USER_COL_ROLE, SK_STR, role) \
	X(USER_COL_PASSWORD_HASH, SK_STR, password_hash) X(USER_COL_ACTIVE, SK_BOOL, active) \
	X(USER_COL_LOCKED_SECONDS, SK_LONG, locked_seconds) \
	X(USER_COL_CREATED_AT, SK_STR, created_at) X(USER_COL_LOCKED_UNTIL, SK_STR, locked_until) \
	X(USER_COL_HAS_FAILURES, SK_BOOL, has_failures) X(USER_COL_PEPPER_ID, SK_STR, pepper_id)
enum user_col { USER_COLUMNS_LIST(STORE_COL_ENUM) USER_COL_MAX };

/* APIKEY_COLUMNS, first in STMT_APIKEY_BY_DIGEST and STMT_APIKEY_LIST, into struct apikey_row. */
#define APIKEY_COLUMNS_LIST(X) \
	X(APIKEY_COL_ID, SK_STR, id) X(APIKEY_COL_ORG_ID, SK_STR, org_id) X(APIKEY_COL_NAME, SK_STR, name) \
	X(APIKEY_COL_PREFIX, SK_STR, prefix) X(APIKEY_COL_PERMISSIONS, SK_STR, permissions) \
	X(APIKEY_COL_CHAIN_PERMISSIONS, SK_STR, chain_permissions) \
	X(APIKEY_COL_ROOT_USER_ID, SK_STR, root_user_id) X(APIKEY_COL_CREATOR_ROLE, SK_STR, creator_role) \
	X(APIKEY_COL_REVOKED, SK_BOOL, revoked) X(APIKEY_COL_EXPIRED, SK_BOOL, expired) \
	X(APIKEY_COL_PARENT_REVOKED, SK_BOOL, parent_revoked) X(APIKEY_COL_PARENT_EXPIRED, SK_BOOL, parent_expired) \
	X(APIKEY_COL_CREATOR_FOUND, SK_BOOL, creator_found) \
	X(APIKEY_COL_CREATOR_ACTIVE, SK_BOOL, creator_active) \
	X(APIKEY_COL_EXPIRES_BOUND, SK_LLONG, expires_bound) \
	X(APIKEY_COL_ROTATED, SK_BOOL, rotated)
/* What STMT_APIKEY_LIST selects after APIKEY_COLUMNS, into struct apikey_listed. */
#define APIKEY_LISTED_LIST(X) \
	X(APIKEY_COL_CREATED_AT, SK_STR, created_at) X(APIKEY_COL_EXPIRES_AT, SK_STR, expires_at) \
	X(APIKEY_COL_LAST_USED_AT, SK_STR, last_used_at) X(APIKEY_COL_LAST_USED_IP, SK_STR, last_used_ip) \
	X(APIKEY_COL_USE_COUNT, SK_LLONG, use_count) \
	X(APIKEY_COL_CREATED_BY_TYPE, SK_STR, created_by_type) X(APIKEY_COL_CREATED_BY_ID, SK_STR, created_by_id) \
	X(APIKEY_COL_ROTATED_FROM, SK_STR, rotated_from) X(APIKEY_COL_ROTATED_TO, SK_STR, rotated_to) \
	X(APIKEY_COL_ROTATION_ENDS_AT, SK_STR, rotation_ends_at) \
	X(APIKEY_COL_ROTATION_DUE_AT, SK_STR, rotation_due_at) X(APIKEY_COL_ROTATION_DUE, SK_BOOL, rotation_due)
enum apikey_col {
	APIKEY_COLUMNS_LIST(STORE_COL_ENUM)
	APIKEY_COL_DIGEST,                             /* STMT_APIKEY_BY_DIGEST: then the digest */
	APIKEY_COL_ROTATION_TAKEN = APIKEY_COL_DIGEST, /* STMT_APIKEY_FOR_ROTATION: rotated before, */
	APIKEY_COL_ROTATION_EXPIRES_AT,                /* and its own expires_at */
	APIKEY_COL_ORG_NAME = APIKEY_COL_DIGEST + 1,   /* STMT_APIKEY_BY_DIGEST: after the digest, */
	APIKEY_COL_ORG_SLUG,                           /* its organization's name and slug */
	APIKEY_COL_BEFORE_LISTED = APIKEY_COL_DIGEST - 1, /* STMT_APIKEY_LIST: then APIKEY_LISTED_LIST */
	APIKEY_LISTED_LIST(STORE_COL_ENUM)
	APIKEY_COL_MAX
};

/* STMT_APIKEY_POLICY_GET. */
enum apikey_policy_col { POLICY_COL_ROTATION_DAYS, POLICY_COL_MAX_LIFETIME_DAYS };

/* STMT_SESSION_CHECK into struct session_check. */
#define CHECK_COLUMNS_LIST(X) \
	X(CHECK_COL_LIVE, SK_BOOL, session_live) X(CHECK_COL_USER_ACTIVE, SK_BOOL, user_active) \
	X(CHECK_COL_ROLE, SK_STR, role) X(CHECK_COL_EMAIL, SK_STR, email) X(CHECK_COL_NAME, SK_STR, name) \
	X(CHECK_COL_ORG_ID, SK_STR, org_id) X(CHECK_COL_JTI_REVOKED, SK_BOOL, jti_revoked) \
	X(CHECK_COL_EXPIRES_AT, SK_LLONG, expires_at) X(CHECK_COL_IDLE, SK_BOOL, idle) \
	X(CHECK_COL_STALE, SK_BOOL, stale) X(CHECK_COL_LAST_SEEN, SK_LLONG, last_seen) \
	X(CHECK_COL_IDLE_TIMEOUT, SK_LLONG, idle_timeout) \
	X(CHECK_COL_MFA_ON, SK_BOOL, mfa_on) \
	X(CHECK_COL_ORG_NAME, SK_STR, org_name) X(CHECK_COL_ORG_SLUG, SK_STR, org_slug)
enum session_check_col { CHECK_COLUMNS_LIST(STORE_COL_ENUM) CHECK_COL_MAX };

/* STMT_SESSION_FOR_REFRESH into struct session_refresh. */
#define REFRESH_COLUMNS_LIST(X) \
	X(REFRESH_COL_LIVE, SK_BOOL, live) X(REFRESH_COL_USER_ACTIVE, SK_BOOL, user_active) \
	X(REFRESH_COL_USER_ID, SK_STR, user_id) X(REFRESH_COL_ORG_ID, SK_STR, org_id) \
	X(REFRESH_COL_ROLE, SK_STR, role) X(REFRESH_COL_REFRESH_JTI, SK_STR, refresh_jti) \
	X(REFRESH_COL_PREVIOUS_JTI, SK_STR, previous_jti) X(REFRESH_COL_IN_GRACE, SK_BOOL, in_grace) \
	X(REFRESH_COL_ROTATED_AT, SK_LLONG, rotated_at) X(REFRESH_COL_EXPIRES_AT, SK_LLONG, expires_at) \
	X(REFRESH_COL_IDLE, SK_BOOL, idle)
enum session_refresh_col { REFRESH_COLUMNS_LIST(STORE_COL_ENUM) REFRESH_COL_MAX };

/*
 * STMT_SSO_ORG_CONNECTION, STMT_SSO_CONNECTION_GET(_LOCKED): the
 * organization, then its connection into struct sso_connection (the client
 * secret apart: it is read with its length, to be wiped).
 */
#define CONN_COLUMNS_LIST(X) \
	X(CONN_COL_ISSUER, SK_STR, issuer) \
	X(CONN_COL_CLIENT_ID, SK_STR, client_id) \
	X(CONN_COL_CLIENT_SECRET, SK_NONE, client_secret) \
	X(CONN_COL_ALLOWED_DOMAINS, SK_STR, allowed_domains) \
	X(CONN_COL_AUTO_CREATE, SK_BOOL, auto_create) \
	X(CONN_COL_DEFAULT_ROLE, SK_STR, default_role) \
	X(CONN_COL_SCOPES, SK_STR, scopes) \
	X(CONN_COL_ENABLED, SK_BOOL, enabled) \
	X(CONN_COL_CREATED_AT, SK_STR, created_at) \
	X(CONN_COL_UPDATED_AT, SK_STR, updated_at) \
	X(CONN_COL_LINK_EXISTING, SK_BOOL, link_existing_accounts) \
	X(CONN_COL_PROVIDER_ISSUER, SK_STR, provider_issuer) \
	X(CONN_COL_AUTHORIZATION_ENDPOINT, SK_STR, authorization_endpoint) \
	X(CONN_COL_TOKEN_ENDPOINT, SK_STR, token_endpoint) \
	X(CONN_COL_JWKS_URI, SK_STR, jwks_uri) \
	X(CONN_COL_JWKS, SK_STR, jwks) \
	X(CONN_COL_FETCHED_AT, SK_STR, fetched_at) \
	X(CONN_COL_ROLE_CLAIM, SK_STR, role_claim) \
	X(CONN_COL_ROLE_RULES, SK_STR, role_rules) \
	X(CONN_COL_RULES_AUTHOR_ROLE, SK_STR, rules_author_role) \
	X(CONN_COL_USERINFO_ENDPOINT, SK_STR, userinfo_endpoint) \
	X(CONN_COL_END_SESSION_ENDPOINT, SK_STR, end_session_endpoint) \
	X(CONN_COL_NAME, SK_STR, name)
enum connection_col {
	CONN_COL_ORG_ID, CONN_COL_ORG_SLUG, CONN_COL_CONNECTION_ORG_ID,
	CONN_COLUMNS_LIST(STORE_COL_ENUM)
	CONN_COL_MAX
};

/* STMT_SSO_STATE_READ into struct sso_state. */
#define STATE_COLUMNS_LIST(X) \
	X(STATE_COL_ORG_ID, SK_STR, org_id) X(STATE_COL_NONCE, SK_STR, nonce) \
	X(STATE_COL_CODE_VERIFIER, SK_STR, code_verifier) X(STATE_COL_BINDING_HASH, SK_STR, binding_hash) \
	X(STATE_COL_REDIRECT_URI, SK_STR, redirect_uri) X(STATE_COL_REDIRECT_TO, SK_STR, redirect_to) \
	X(STATE_COL_EXPIRED, SK_BOOL, expired) X(STATE_COL_LINK_USER_ID, SK_STR, link_user_id) X(STATE_COL_CONNECTION, SK_STR, connection)
enum sso_state_col { STATE_COLUMNS_LIST(STORE_COL_ENUM) STATE_COL_MAX };

/* STMT_MFA_STATE: the enrolment (NULL: none, 0: started, 1: confirmed) and the organization's policy. */
enum mfa_state_col { MFA_STATE_COL_CONFIRMED, MFA_STATE_COL_POLICY, MFA_STATE_COL_MAX };
/* STMT_MFA_SECRET: the sealed secret, the last step used, confirmed or not. */
enum mfa_secret_col { MFA_SECRET_COL_SEALED, MFA_SECRET_COL_LAST_STEP, MFA_SECRET_COL_CONFIRMED,
	MFA_SECRET_COL_MAX };

/* STMT_IP_FAILURES and STMT_THROTTLE_READ: a window's count and the seconds left in it. */
enum window_col { WINDOW_COL_COUNT, WINDOW_COL_SECONDS_LEFT, WINDOW_COL_MAX };

/*
 * A generic row decoder: a table of (column, kind, offset of the struct
 * member) fills a row struct, so each struct's mapping is written once.
 */
enum store_kind {
	SK_NONE,        /* not decoded: the caller reads it (a secret, bytes with a length) */
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
/* One table entry, for the X of a column list: STORE_FIELD(col, kind, struct x, member). */
#define STORE_FIELD(col, kind, type, member) {(col), (kind), offsetof(type, member)},

/* Fill the members of out named by fields[0..n) from row r (strings stay in the rows' arena). */
void store_decode(const struct db_rows *rows, size_t r, const struct store_field *fields, size_t n,
    void *out);
#define STORE_DECODE(rows, r, fields, out) \
	store_decode((rows), (r), (fields), sizeof(fields) / sizeof((fields)[0]), (out))

#endif
