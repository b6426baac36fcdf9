/* store_catalog.h -- the store's statement catalog: one id per statement, its result columns by name, a row decoder. */
#ifndef OW_STORE_CATALOG_H
#define OW_STORE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

struct store_field;      /* a decoder table entry, below */

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
	STMT_USER_ADMINS_FOR_UPDATE, STMT_USER_IN_ORG_FOR_UPDATE, STMT_USER_UPDATE, STMT_USER_UNLOCK, STMT_USER_DELETE,
	STMT_APIKEY_REVOKE_ROOT_USER, STMT_EXPORT_SESSIONS, STMT_EXPORT_APIKEYS, STMT_EXPORT_AUDIT,
	STMT_PURGE_AUDIT, STMT_PURGE_DEACTIVATED_USERS, STMT_PURGE_AUDIT_BUDGET,
	STMT_AUDIT_ID_OWNER, STMT_AUDIT_BUDGET_HIT, STMT_AUDIT_BUDGET_READ, STMT_AUDIT_UNATTRIBUTED, STMT_AUDIT_UNATTRIBUTED_BY_IP,
	STMT_IP_FAILURES, STMT_IP_FAILURE_ADD, STMT_THROTTLE_HIT, STMT_THROTTLE_READ,
	STMT_UNKNOWN_LOCKED, STMT_UNKNOWN_FAILED,
	/* sessions and the deny list */
	STMT_SESSION_CREATE, STMT_SESSION_CHECK, STMT_SESSION_FOR_REFRESH, STMT_SESSION_ROTATE,
	STMT_SESSION_REVOKE, STMT_SESSION_REVOKE_USER, STMT_TOKEN_REVOKE,
	STMT_SESSION_TOUCH, STMT_SESSION_LIST, STMT_SESSION_REVOKE_OWN, STMT_SESSION_PROVED,
	STMT_SESSION_PROVE,
	/* audit log */
	STMT_AUDIT_INSERT, STMT_AUDIT_LIST, STMT_AUDIT_LIST_BY_ACTION, STMT_AUDIT_LIST_BY_ACTOR,
	STMT_AUDIT_LIST_BY_BOTH,
	/* API keys */
	STMT_APIKEY_BY_DIGEST, STMT_APIKEY_CREATE, STMT_APIKEY_GUARD_PARENT, STMT_APIKEY_LIST, STMT_APIKEY_REVOKE,
	STMT_APIKEY_REVOKE_DESCENDANTS, STMT_APIKEY_USAGE, STMT_APIKEY_FOR_ROTATION,
	STMT_APIKEY_ROTATE_COPY, STMT_APIKEY_ROTATE_MARK, STMT_APIKEY_ROTATION_ENDS,
	STMT_APIKEY_POLICY_GET, STMT_APIKEY_POLICY_SET, STMT_APIKEY_DUE, STMT_APIKEY_ACTIVITY_ADD,
	STMT_APIKEY_NETWORK_SEEN, STMT_APIKEY_NETWORK_TOKEN, STMT_APIKEY_IN_ORG,
	STMT_APIKEY_ACTIVITY_DAYS, STMT_APIKEY_ACTIVITY_IPS,
	/* incidents, procedures, executions */
	STMT_INCIDENT_LIST, STMT_INCIDENT_LIST_BY_STATUS, STMT_INCIDENT_GET, STMT_INCIDENT_CREATE,
	STMT_INCIDENT_UPDATE, STMT_INCIDENT_EXISTS, STMT_PROCEDURE_LIST, STMT_PROCEDURE_CREATE,
	STMT_PROCEDURE_EXISTS, STMT_EXECUTION_CREATE,
	/* purge (each takes the batch size) */
	STMT_PURGE_TOKENS, STMT_PURGE_SESSIONS, STMT_PURGE_ATTEMPTS, STMT_PURGE_THROTTLE,
	STMT_PURGE_UNKNOWN, STMT_PURGE_SSO_STATES, STMT_PURGE_PROVIDER_FAILURES,
	STMT_PURGE_KEY_ACTIVITY, STMT_PURGE_KEY_NETWORKS,
	/* single sign-on */
	STMT_SSO_ORG_CONNECTION, STMT_SSO_CONNECTION_GET, STMT_SSO_CONNECTION_GET_LOCKED,
	STMT_SSO_CONNECTION_UPSERT, STMT_SSO_CONNECTION_KEEP_SECRET, STMT_SSO_CONNECTION_JWKS,
	STMT_SSO_PROVIDER_LOCK, STMT_SSO_PROVIDER_UNLOCK, STMT_SSO_PROVIDER_FAILING,
	STMT_SSO_PROVIDER_FAILED, STMT_SSO_PROVIDER_RECOVERED, STMT_SSO_STATE_CREATE,
	STMT_SSO_STATE_READ, STMT_SSO_STATE_DELETE, STMT_SSO_IDENTITY_USER, STMT_SSO_IDENTITY_LINK,
	STMT_SSO_IDENTITY_TOUCH, STMT_SSO_POLICY, STMT_SSO_POLICY_SET, STMT_SSO_BREAK_GLASS_LIST,
	STMT_SSO_BREAK_GLASS_CLEAR, STMT_SSO_BREAK_GLASS_SET, STMT_SSO_PASSWORD_REFUSED,
	/* logout that follows the provider (sql/015_sso_logout.sql) */
	STMT_SSO_SESSION_MARK, STMT_SSO_LOGOUT_JTI, STMT_SSO_REVOKE_SID, STMT_SSO_REVOKE_SUBJECT,
	STMT_PURGE_SSO_LOGOUT_TOKENS, STMT_SSO_END_SESSION,
	/* several connections per organization (sql/018_sso_named_connections.sql) */
	STMT_SSO_CONNECTION_LIST, STMT_SSO_CONNECTION_OTHERS, STMT_SSO_CONNECTION_DELETE,
	STMT_SSO_REVOKE_CONNECTION,
	/* two-factor sign-in (sql/008_mfa.sql) */
	STMT_MFA_STATE, STMT_MFA_SECRET, STMT_MFA_ENROL, STMT_MFA_USE_STEP, STMT_MFA_CONFIRM,
	STMT_MFA_DELETE, STMT_MFA_RECOVERY_CLEAR, STMT_MFA_RECOVERY_ADD, STMT_MFA_RECOVERY_USE,
	STMT_MFA_CHALLENGE_CREATE, STMT_MFA_CHALLENGE_USER, STMT_MFA_CHALLENGE_SPEND,
	STMT_MFA_CHALLENGES_CLEAR, STMT_ORG_MFA_POLICY, STMT_ORG_MFA_POLICY_SET,
	STMT_PURGE_MFA_CHALLENGES,
	/* a customer's instance on a shared host (overwatch-admin setup-instance) */
	STMT_ADMIN_DATABASE_CREATE, STMT_ADMIN_USER_CREATE, STMT_ADMIN_GRANT,
	/* the service's run-time grants (overwatch-admin grant-service, sql/017_service_grants.sql) */
	STMT_ADMIN_GRANT_SERVICE,
	/* the revocation log (src/revlog.c) */
	STMT_REVOCATION_LOG, STMT_REVOCATION_STATE, STMT_PURGE_REVOCATIONS,
	/* account links: activation and password reset (sql/012_account_links.sql) */
	STMT_ACCOUNT_TOKEN_CLEAR, STMT_ACCOUNT_TOKEN_CREATE, STMT_ACCOUNT_TOKEN_USER,
	STMT_ACCOUNT_TOKEN_SPEND, STMT_ACCOUNT_PASSWORD_SET, STMT_PURGE_ACCOUNT_TOKENS,
	/* the notification hook's outbox (sql/012_account_links.sql, src/notify.c) */
	STMT_NOTIFY_QUEUE_USER, STMT_NOTIFY_QUEUE_EMAIL, STMT_NOTIFY_CLAIM, STMT_NOTIFY_CLAIMED,
	STMT_NOTIFY_DONE, STMT_PURGE_NOTIFICATIONS, STMT_SESSION_SEEN_IP, STMT_NOTIFY_LEASE,
	STMT_NOTIFY_RELEASE,
	STMT_MAX
};

/*
 * What a statement does to credentials (doc/HACKING.md section 4, "Add a
 * route"): STMT_REVOKES can make a valid access token or API key invalid, or
 * change what a request learns about its caller (role, name, key
 * permissions), so running it notes a revocation (src/revlog.c) that the
 * dispatcher logs in the same transaction and announces to every worker of
 * the host after COMMIT. STMT_KEEPS writes a credential table without
 * revoking anything. check_catalog.c fails on a write to a credential table
 * that is neither.
 */
enum stmt_effect { STMT_OTHER, STMT_KEEPS, STMT_REVOKES };
enum stmt_effect store_stmt_effect(enum store_stmt id);
/* The statement's constant text, for tests that read the catalog. */
const char *store_stmt_sql(enum store_stmt id);

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
