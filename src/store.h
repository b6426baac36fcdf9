/* store.h -- queries of the database, one store_*.c per table family. */
#ifndef OW_STORE_H
#define OW_STORE_H

#include <stdbool.h>

#include "db.h"
#include "status.h"
#include "util.h"

/* SELECT 1 on the worker's connection: DB_OK when the database answers. */
enum db_result store_ping(struct db *db, struct arena *a);

/* Create an organization; DB_DUPLICATE when the slug is taken. */
enum db_result store_org_create(struct db *db, const char *id, const char *name, const char *slug);
/* Organization id by id or slug into out (UUID_STR_LEN); DB_OK with *found. */
enum db_result store_org_find(struct db *db, struct arena *a, const char *id_or_slug,
    char *out, bool *found);

/*
 * Create a user; email must be normalised. pepper_id: the pepper key the
 * hash was made with (pepper_current_id(); ignored without a hash). DB_DUPLICATE when the email is taken.
 */
enum db_result store_user_create(struct db *db, const char *id, const char *org_id,
    const char *email, const char *name, const char *role, const char *password_hash,
    const char *pepper_id);
/* Clear the lockout of the user with this email; *changed says whether one existed. */
enum db_result store_user_unlock_by_email(struct db *db, struct arena *a, const char *email,
    bool *changed);

/* A user as the authentication code needs it (strings in the arena). */
struct user_row {
	const char *id, *org_id, *email, *name, *role, *password_hash, *created_at, *locked_until;
	const char *pepper_id;      /* the pepper key of password_hash; NULL: none (src/pepper.c) */
	bool active;
	long locked_seconds;        /* > 0 while locked: seconds left */
	bool has_failures;          /* a failure count or an old lock to clear at the next login */
};
enum db_result store_user_by_email(struct db *db, struct arena *a, const char *email,
    struct user_row *u, bool *found);
enum db_result store_user_by_id(struct db *db, struct arena *a, const char *id,
    struct user_row *u, bool *found);
/*
 * Count one failed login atomically (window, threshold and duration from the
 * [lockout] configuration); *locked_seconds > 0 when the account is now locked.
 */
enum db_result store_user_login_failed(struct db *db, struct arena *a, const char *id,
    long window, long threshold, long duration, long *locked_seconds);
/* Reset the failure counter after a successful login (no write when already clear). */
enum db_result store_user_login_ok(struct db *db, const char *id);
/* A new hash and the id of the pepper key it was made with (NULL: none). */
enum db_result store_user_set_password(struct db *db, const char *id, const char *hash,
    const char *pepper_id);

/* Per-client-IP login throttle: failures in the current minute and seconds left in it. */
enum db_result store_ip_failures(struct db *db, struct arena *a, const char *ip, long *failures,
    long *seconds_left);
enum db_result store_ip_failure_add(struct db *db, const char *ip);
/*
 * Generic per-client throttle (registration, single sign-on): count one hit
 * of ip in bucket's fixed window of window seconds; *hits is the count
 * including this one, *seconds_left the rest of the window (at least 1).
 */
enum db_result store_throttle_hit(struct db *db, struct arena *a, const char *bucket,
    const char *ip, long window, long *hits, long *seconds_left);
/*
 * Lockout of an e-mail address no user has, keyed by a digest of it: the
 * same thresholds and arithmetic as store_user_login_failed. *locked_seconds
 * is what is left of its lock (0: not locked).
 */
enum db_result store_unknown_login_locked(struct db *db, struct arena *a,
    const unsigned char digest[32], long *locked_seconds);
enum db_result store_unknown_login_failed(struct db *db, struct arena *a,
    const unsigned char digest[32], long window, long threshold, long duration,
    long *locked_seconds);

/* Sessions and the token deny list. */
/* What a session may last, fixed at sign-in (src/session.c session_policy_of). */
struct session_policy {
	long ttl;               /* absolute, seconds */
	long idle_timeout;      /* seconds unused before it ends; 0: none */
};
enum db_result store_session_create(struct db *db, const char *id, const char *user_id,
    const char *org_id, const char *refresh_jti, const struct session_policy *policy,
    const char *ip, const char *ua);
/* The one query of every access-token request: session live, user active, current role. */
struct session_check {
	bool found, session_live, user_active, jti_revoked;
	const char *role, *email, *name, *org_id;
	long long expires_at;   /* the session's end, epoch seconds: a cached token's bound */
	bool idle;              /* unused for longer than idle (ended) */
	bool stale;             /* last seen longer ago than touch: record this use */
	long long last_seen;    /* epoch seconds */
	long long idle_timeout; /* the session's own, seconds; 0: none */
	bool mfa_on;            /* a confirmed two-factor enrolment (GET /auth/me) */
	const char *org_name, *org_slug;    /* GET /auth/me */
};
enum db_result store_session_check(struct db *db, struct arena *a, const char *sid,
    const char *user_id, const char *jti, struct session_check *out);
/* Record activity of session sid now (the idle timeout). */
enum db_result store_session_touch(struct db *db, const char *sid);
/* STMT_SESSION_LIST: one of the caller's sessions (doc/api.md section 6, listSessions). */
enum session_list_col {
	SESSION_COL_ID, SESSION_COL_CREATED_AT, SESSION_COL_LAST_SEEN_AT, SESSION_COL_EXPIRES_AT,
	SESSION_COL_IP, SESSION_COL_USER_AGENT, SESSION_COL_CURRENT, SESSION_COL_MAX
};
/* A page of user_id's live sessions, current_sid's marked (enum session_list_col). */
enum db_result store_session_list(struct db *db, struct arena *a, const char *user_id,
    const char *current_sid, long limit, long offset, struct db_rows *rows);
/* *recent: session sid's user proved who they are within window seconds (step-up). */
enum db_result store_session_proved(struct db *db, struct arena *a, const char *sid, long window,
    bool *recent);
/* Record a fresh proof (and activity) in session sid. */
enum db_result store_session_prove(struct db *db, const char *sid);
/* End session sid if it is user_id's and live; *changed says so. */
enum db_result store_session_revoke_own(struct db *db, const char *sid, const char *user_id,
    bool *changed);
struct session_refresh {
	bool found, live, user_active, in_grace, idle;
	const char *user_id, *org_id, *role, *refresh_jti, *previous_jti;
	long long rotated_at, expires_at;   /* epoch seconds */
};
enum db_result store_session_for_refresh(struct db *db, struct arena *a, const char *sid,
    long grace, struct session_refresh *out);
/* Move the session to new_jti if its current refresh jti is still old_jti; *moved says so. */
enum db_result store_session_rotate(struct db *db, const char *sid, const char *old_jti,
    const char *new_jti, long long rotated_at, bool *moved);
enum db_result store_session_revoke(struct db *db, const char *sid);
enum db_result store_session_revoke_user(struct db *db, const char *user_id, const char *keep_sid);
enum db_result store_token_revoke(struct db *db, const char *jti, long long exp);

/* One row of the audit log; NULL fields are stored as NULL. */
struct audit_event {
	const char *org_id;
	const char *action;
	const char *outcome;        /* "success", "failure", "denied", ... */
	const char *actor_type;     /* "user", "api_key", "anonymous", "system" */
	const char *actor_id;
	const char *ip;
	const char *user_agent;
	const char *target_type;
	const char *target_id;
	const char *detail;
};
enum db_result store_audit(struct db *db, const struct audit_event *ev);

/* API keys. */
/*
 * A key with what its request needs to judge it (sql/004_api_key_chain.sql):
 * its own state, its chain's (ancestors revoked or expired, the intersection
 * of their lists) and its root user's current state, all from one row.
 */
struct apikey_row {
	const char *id, *org_id, *name, *prefix, *permissions;  /* permissions: "a:b,c:d" */
	const char *chain_permissions;  /* own list & every ancestor's list */
	const char *root_user_id;       /* NULL: the chain ends nowhere */
	const char *creator_role;       /* the root user's current role; NULL if no such user */
	const unsigned char *digest;    /* store_apikey_by_digest only, */
	size_t digest_len;
	const char *org_name, *org_slug;        /* as digest */
	bool revoked, expired, parent_revoked, parent_expired;
	bool creator_found, creator_active;
	long long expires_bound;        /* epoch of min(own, ancestors' expiry, rotation end); 0: none */
	bool rotated;                   /* its rotation's overlap is over */
};
enum db_result store_apikey_by_digest(struct db *db, struct arena *a, const unsigned char *digest,
    size_t len, struct apikey_row *k, bool *found);
/* A new key; the chain fields come from its creator (struct key_new). */
struct key_new {
	const char *id, *org_id, *name, *prefix, *permissions, *chain_permissions;
	const unsigned char *digest;
	size_t digest_len;
	const char *expires_at, *parent_expires_at;     /* SQL DATETIME text or NULL */
	const char *created_by_type, *created_by_id;
	const char *root_user_id, *parent_key_id;       /* parent_key_id NULL: made by a user */
};
enum db_result store_apikey_create(struct db *db, const struct key_new *k);
/*
 * Inside the transaction that creates a child of key id: write the parent's
 * row (so a concurrent DELETE of it conflicts) if it is still live; *live
 * false when it was revoked, or an ancestor was, since it authenticated.
 */
enum db_result store_apikey_guard_parent(struct db *db, const char *id, const char *org_id,
    bool *live);
/* One listed key: the apikey_row fields (no digest) and what the list shows besides. */
struct apikey_listed {
	struct apikey_row k;
	const char *created_at, *expires_at, *last_used_at, *last_used_ip;
	const char *created_by_type, *created_by_id;
	long long use_count;
	const char *rotated_from, *rotated_to, *rotation_ends_at, *rotation_due_at;
	bool rotation_due;
};
/* Live (not revoked) keys of an organization, newest first, as struct apikey_listed. */
extern const struct store_org_list store_apikeys_listed;
/*
 * Revoke key id of org and mark every key below it (minted by it, or by one
 * of those, ...) parent-revoked; call inside a transaction. *found false
 * when there is no such live key there.
 */
enum db_result store_apikey_revoke(struct db *db, const char *id, const char *org_id, bool *found);
/*
 * Inside a transaction: lock live key id of org for its rotation; *taken
 * when it was rotated before; *expires_at its own expiry (time text or NULL).
 */
enum db_result store_apikey_for_rotation(struct db *db, struct arena *a, const char *id,
    const char *org_id, struct apikey_row *k, bool *found, bool *taken, const char **expires_at);
/* The successor of a rotation: what is new about it; the rest is the old key's. */
struct apikey_successor {
	const char *id, *prefix;
	const unsigned char *digest;
	size_t digest_len;
	const char *created_by_type, *created_by_id;
};
/*
 * Make the successor of key old_id of org and end the old key overlap
 * seconds from now; *ends_at the end (doc/api.md time text, in arena a).
 */
enum db_result store_apikey_rotate(struct db *db, struct arena *a, const struct apikey_successor *n,
    const char *old_id, const char *org_id, long overlap, const char **ends_at);
/* An organization's key policy: rotation period; longest life of a new key (0: any). */
struct apikey_policy {
	long rotation_days, max_lifetime_days;
};
enum db_result store_apikey_policy_get(struct db *db, struct arena *a, const char *org_id,
    struct apikey_policy *pol);
enum db_result store_apikey_policy_set(struct db *db, const char *org_id,
    const struct apikey_policy *pol);
/* Every organization's live keys due for rotation (slug, id, name, prefix, created, due). */
enum db_result store_apikey_due(struct db *db, struct arena *a, struct db_rows *rows);
/*
 * Add a batch of one key's uses from ip to its activity: served and
 * refused ones on the day of at (epoch seconds).
 */
enum db_result store_apikey_activity_add(struct db *db, const char *id, long long at,
    const char *ip, long long served, long long refused);
/*
 * Note key id used from network between first and last (epoch seconds);
 * *is_new when the network is new to the key or unused for 30 days (this
 * call's random token won the row).
 */
enum db_result store_apikey_network_seen(struct db *db, struct arena *a, const char *id,
    const char *network, long long first, long long last, bool *is_new);
/* Key id's activity of the last 90 days, when it is org's (*found). */
enum apikey_day_col { DAY_COL_DATE, DAY_COL_REQUESTS, DAY_COL_REJECTED, DAY_COL_IPS };
enum apikey_ip_col { IP_COL_IP, IP_COL_FIRST, IP_COL_LAST, IP_COL_REQUESTS, IP_COL_REJECTED };
enum db_result store_apikey_activity(struct db *db, struct arena *a, const char *id,
    const char *org_id, bool *found, struct db_rows *days, struct db_rows *ips);
/* Add a batch of uses: count more, last use at epoch seconds from ip. */
enum db_result store_apikey_usage(struct db *db, const char *id, long long count, long long last_at,
    const char *ip);

/* Users of an organization, as struct user_row. */
extern const struct store_org_list store_users_listed;
/*
 * One page (limit rows from offset) of what an organization holds, decoded
 * into an arena array of the list's structs: *items (n of them).
 */
struct store_org_list;
enum db_result store_org_page(struct db *db, struct arena *a, const struct store_org_list *what,
    const char *org_id, long limit, long offset, const void **items, size_t *n);
enum db_result store_user_in_org(struct db *db, struct arena *a, const char *id,
    const char *org_id, struct user_row *u, bool *found);
/*
 * Inside a transaction: bump the organization's admin guard, lock and count
 * its active admins (*count), then read user id as it is now, locked (*u,
 * *found).
 */
enum db_result store_user_lock_target(struct db *db, struct arena *a, const char *org_id,
    const char *id, long *count, struct user_row *u, bool *found);
/* Set name/role/active where given (NULL / -1 leave them). */
enum db_result store_user_update(struct db *db, const char *id, const char *org_id,
    const char *name, const char *role, int active);
/* Clear the lockout of user id in org; *found false when there is none. */
enum db_result store_user_delete(struct db *db, const char *id, const char *org_id, bool *found);
enum db_result store_user_unlock(struct db *db, struct arena *a, const char *id,
    const char *org_id, bool *found);

/* Incidents: the rows of store_incident_list and store_incident_get. */
enum incident_col {
	INCIDENT_COL_ID, INCIDENT_COL_TITLE, INCIDENT_COL_SEVERITY, INCIDENT_COL_STATUS,
	INCIDENT_COL_DESCRIPTION, INCIDENT_COL_CREATED_BY_TYPE, INCIDENT_COL_CREATED_BY_ID,
	INCIDENT_COL_CREATED_AT, INCIDENT_COL_UPDATED_AT, INCIDENT_COL_MAX
};
enum db_result store_incident_list(struct db *db, struct arena *a, const char *org_id,
    const char *status, long limit, long offset, struct db_rows *rows);
enum db_result store_incident_get(struct db *db, struct arena *a, const char *id,
    const char *org_id, struct db_rows *rows);
enum db_result store_incident_create(struct db *db, const char *id, const char *org_id,
    const char *title, const char *severity, const char *description, const char *by_type,
    const char *by_id);
/* Update the given fields (NULL: unchanged; set_description with description NULL clears it). */
enum db_result store_incident_update(struct db *db, const char *id, const char *org_id,
    const char *title, const char *severity, const char *status, bool set_description,
    const char *description);

/* Procedures: the rows of store_procedure_list. */
enum procedure_col {
	PROCEDURE_COL_ID, PROCEDURE_COL_NAME, PROCEDURE_COL_DESCRIPTION,
	PROCEDURE_COL_CREATED_BY_TYPE, PROCEDURE_COL_CREATED_BY_ID, PROCEDURE_COL_CREATED_AT,
	PROCEDURE_COL_MAX
};
enum db_result store_procedure_list(struct db *db, struct arena *a, const char *org_id,
    long limit, long offset, struct db_rows *rows);
enum db_result store_procedure_create(struct db *db, const char *id, const char *org_id,
    const char *name, const char *description, const char *by_type, const char *by_id);
/* True in *found when id is a procedure (or incident) of org. */
enum db_result store_procedure_exists(struct db *db, struct arena *a, const char *id,
    const char *org_id, bool *found);
enum db_result store_incident_exists(struct db *db, struct arena *a, const char *id,
    const char *org_id, bool *found);
enum db_result store_execution_create(struct db *db, const char *id, const char *org_id,
    const char *procedure_id, const char *incident_id, const char *by_type, const char *by_id);

/* Rows deleted by store_purge, per table. */
struct purge_counts {
	unsigned long long revoked_tokens, sessions, login_attempts, sso_states;
	unsigned long long key_activity;    /* activity rows and networks past 90 days */
};
/* Delete expired deny-list entries, sessions, throttle windows and SSO states. */
enum db_result store_purge(struct db *db, struct purge_counts *out);
/*
 * [retention] (sql/014_retention.sql): audit events older than audit_days,
 * and users deactivated at least deactivated_days ago with their keys
 * revoked (each one audited as user.purged); 0 keeps either. a holds one
 * batch of ids at a time.
 */
struct retention_counts {
	unsigned long long audit_events, users;
};
enum db_result store_purge_retention(struct db *db, struct arena *a, long audit_days,
    long deactivated_days, struct retention_counts *out);

/* GET /auth/me/export: the caller's sessions, API keys and audit events (rows by column enum). */
enum export_session_col {
	EXPORT_SESSION_ID, EXPORT_SESSION_CREATED_AT, EXPORT_SESSION_EXPIRES_AT,
	EXPORT_SESSION_REVOKED_AT, EXPORT_SESSION_IP, EXPORT_SESSION_USER_AGENT
};
enum export_apikey_col {
	EXPORT_APIKEY_ID, EXPORT_APIKEY_NAME, EXPORT_APIKEY_PREFIX, EXPORT_APIKEY_PERMISSIONS,
	EXPORT_APIKEY_CREATED_AT, EXPORT_APIKEY_EXPIRES_AT, EXPORT_APIKEY_REVOKED_AT,
	EXPORT_APIKEY_LAST_USED_AT
};
struct user_export {
	struct db_rows sessions, apikeys, events;
};
enum db_result store_user_export(struct db *db, struct arena *a, const char *user_id,
    const char *org_id, struct user_export *out);

/*
 * One more attack event of org in the minute starting at window (epoch
 * seconds): *hits, that minute's count so far, and *prev, the minute
 * before's (0: none).
 */
enum db_result store_audit_budget(struct db *db, struct arena *a, const char *org_id,
    long long window, long *hits, long *prev);
/* The organization holding id (a user, API key, incident or procedure) and its kind; DB_OK with *found. */
enum db_result store_audit_id_owner(struct db *db, struct arena *a, const char *id, const char **org_id,
    const char **kind, bool *found);

/*
 * Audit events of no organization since an epoch second, newest first (7
 * columns: time, action, outcome, ip, user_agent, target_type, target_id),
 * or by_ip: per client IP (ip, count, first, last), most first; limit rows.
 */
enum db_result store_audit_unattributed(struct db *db, struct arena *a, long long since, bool by_ip,
    long limit, struct db_rows *rows);

/* Audit log of org, newest first, optional filters (NULL: none), since epoch seconds. */
enum audit_col {
	AUDIT_COL_ID, AUDIT_COL_OCCURRED_AT, AUDIT_COL_ACTION, AUDIT_COL_OUTCOME,
	AUDIT_COL_ACTOR_TYPE, AUDIT_COL_ACTOR_ID, AUDIT_COL_IP, AUDIT_COL_USER_AGENT,
	AUDIT_COL_TARGET_TYPE, AUDIT_COL_TARGET_ID, AUDIT_COL_DETAIL, AUDIT_COL_MAX
};
enum db_result store_audit_list(struct db *db, struct arena *a, const char *org_id,
    const char *action, const char *actor_id, long long since, long limit, long offset,
    struct db_rows *rows);

/* Single sign-on (sso_connections, sso_identities, sso_states). */
struct sso_org {
	bool found;
	char id[UUID_STR_LEN];
	const char *slug;
};
/* An organization's OIDC connection (arena strings; client_secret never leaves the server). */
struct sso_connection {
	const char *org_id, *issuer, *client_id, *allowed_domains, *default_role, *scopes;
	const char *created_at, *updated_at;
	char *client_secret;        /* wipe after use */
	size_t client_secret_len;
	bool auto_create, enabled, link_existing_accounts;
	/* Fetched and checked when the connection was saved ("" / NULL before that). */
	const char *provider_issuer, *authorization_endpoint, *token_endpoint, *jwks_uri, *jwks;
	const char *fetched_at;
	/* Role mapping (sql/011_sso_operator.sql): NULL role_claim maps nothing. */
	const char *role_claim, *role_rules, *rules_author_role;
	const char *userinfo_endpoint;  /* "" when the provider names none */
	const char *end_session_endpoint;  /* "" when the provider names none (sql/015_sso_logout.sql) */
	const char *name;           /* within the organization, SSO_DEFAULT_CONNECTION for the first (sql/018) */
};
/* What a save writes (strings owned by the caller). */
struct sso_connection_write {
	const char *issuer, *client_id, *allowed_domains, *default_role;
	const char *client_secret;  /* NULL keeps the stored one (the row must exist then) */
	bool auto_create, enabled, link_existing_accounts;
	const char *provider_issuer, *authorization_endpoint, *token_endpoint, *jwks_uri, *jwks;
	const char *role_claim, *role_rules, *rules_author_role;  /* NULL: no mapping */
	const char *scopes;         /* NULL: SSO_SCOPES_DEFAULT */
	const char *userinfo_endpoint;  /* NULL: none */
	const char *end_session_endpoint;  /* NULL: none */
	const char *name;           /* NULL: SSO_DEFAULT_CONNECTION */
};
/* SSO-only organizations: the setting and whether an enabled connection exists. */
enum db_result store_sso_policy(struct db *db, struct arena *a, const char *org_id, bool *required,
    bool *have_connection);
enum db_result store_sso_policy_set(struct db *db, const char *org_id, bool required);
/* The break-glass admins' ids, in *rows (column 0). */
enum db_result store_sso_break_glass_list(struct db *db, struct arena *a, const char *org_id,
    struct db_rows *rows);
enum db_result store_sso_break_glass_clear(struct db *db, const char *org_id);
/* Name one break-glass admin; *changed false when id is not an active admin of org. */
enum db_result store_sso_break_glass_set(struct db *db, const char *id, const char *org_id,
    bool *changed);
/* Whether user id must sign in through SSO (*refused): an SSO-only organization, not break-glass. */
enum db_result store_sso_password_refused(struct db *db, struct arena *a, const char *id,
    bool *refused);
/*
 * Logout that follows the provider (sql/015_sso_logout.sql): mark session
 * sid as made by connection's sign-in, with the provider's session id
 * (provider_sid, NULL when the ID token had none).
 */
enum db_result store_sso_session_mark(struct db *db, const char *sid, const char *connection,
    const char *provider_sid);
/*
 * The provider's end_session_endpoint and the connection's client_id for
 * session sid when single sign-on made it and the provider names one (*found).
 */
enum db_result store_sso_end_session(struct db *db, struct arena *a, const char *sid,
    const char **endpoint, const char **client_id, bool *found);
/* Spend a logout token's jti digest for org, kept ttl seconds: *replayed when it was spent before. */
enum db_result store_sso_logout_jti(struct db *db, const char *org_id, const char *jti_hash, long ttl,
    bool *replayed);
/*
 * End the live sessions of org that connection's sign-ins made and a
 * logout token names: the one of provider_sid when given, else every one
 * of the user (issuer, subject) is linked to; *ended counts them.
 */
enum db_result store_sso_logout_sessions(struct db *db, const char *org_id, const char *connection,
    const char *issuer, const char *subject, const char *provider_sid, unsigned long long *ended);
/* The organization named by id or slug and its connection name (*conn_found false: none). */
enum db_result store_sso_org_connection(struct db *db, struct arena *a, const char *id_or_slug,
    const char *name, struct sso_org *org, struct sso_connection *conn, bool *conn_found);
/* The same by organization id; for_update locks the organization row (inside a transaction). */
enum db_result store_sso_connection_get(struct db *db, struct arena *a, const char *org_id,
    const char *name, bool for_update, struct sso_org *org, struct sso_connection *conn, bool *found);
/*
 * Every connection of org_id, by name, in *conns (arena, *n of them; each
 * secret wiped before this returns); org->found false when there is no such
 * organization.
 */
enum db_result store_sso_connection_list(struct db *db, struct arena *a, const char *org_id,
    struct sso_org *org, struct sso_connection **conns, size_t *n);
/* The other connections of org_id than name: rows of name, issuer, client_id, allowed_domains. */
enum db_result store_sso_connection_others(struct db *db, struct arena *a, const char *org_id,
    const char *name, struct db_rows *rows);
/*
 * Delete connection name of org_id (*deleted false: none) after ending the
 * live sessions its sign-ins made (*ended of them) through a revoking write.
 */
enum db_result store_sso_connection_delete(struct db *db, const char *org_id, const char *name,
    bool *deleted, unsigned long long *ended);
/* The connection a pending sign-in was started at (*name NULL: no such state). */
enum db_result store_sso_state_connection(struct db *db, struct arena *a, const char *state,
    const char **name);
/* Create or replace, with the provider metadata fetched for it (fetched_at now). */
enum db_result store_sso_connection_put(struct db *db, const char *org_id,
    const struct sso_connection_write *w);
/* A JWKS fetched again (key rotation), stored when connection name still names jwks_uri. */
enum db_result store_sso_connection_jwks(struct db *db, const char *org_id, const char *name,
    const char *jwks_uri, const char *jwks);
/*
 * The host-wide (database-wide) guard of outbound calls to one provider:
 * GET_LOCK(name, 0) on this connection, *got false when another session
 * holds it. Released by store_sso_provider_unlock or when the connection ends.
 */
enum db_result store_sso_provider_lock(struct db *db, const char *name, bool *got);
enum db_result store_sso_provider_unlock(struct db *db, const char *name);
/* Is issuer remembered as not answering (*failing), and why (arena, may be NULL)? */
enum db_result store_sso_provider_failing(struct db *db, struct arena *a, const char *issuer,
    bool *failing);
/* Remember for ttl seconds that issuer did not answer (reason: a short word). */
enum db_result store_sso_provider_failed(struct db *db, const char *issuer, long ttl,
    const char *reason);
/* It answered: forget the failure. */
enum db_result store_sso_provider_recovered(struct db *db, const char *issuer);
/* A pending sign-in: created by /start, taken (read and deleted) once by /callback. */
struct sso_state {
	const char *state, *org_id, *nonce, *code_verifier, *binding_hash, *redirect_uri;
	const char *redirect_to;    /* NULL: the configured console */
	const char *link_user_id;   /* a signed-in user linking this identity, or NULL */
	const char *connection;     /* the name of the connection it was started at */
	bool expired;
};
enum db_result store_sso_state_create(struct db *db, const struct sso_state *s, long ttl);
/* *found false when there is no such state or a concurrent request took it first. */
enum db_result store_sso_state_take(struct db *db, struct arena *a, const char *state,
    struct sso_state *s, bool *found);
/* The user linked to (issuer, subject) in org. */
enum db_result store_sso_identity_user(struct db *db, struct arena *a, const char *org_id,
    const char *issuer, const char *subject, char user_id[UUID_STR_LEN], bool *found);
/* Link (issuer, subject) to user_id; DB_DUPLICATE when a concurrent sign-in linked it first. */
enum db_result store_sso_identity_link(struct db *db, const char *org_id, const char *issuer,
    const char *subject, const char *user_id);
/* Record a sign-in through an existing link. */
enum db_result store_sso_identity_touch(struct db *db, const char *org_id, const char *issuer,
    const char *subject);

/* Two-factor sign-in (store_mfa.c, sql/008_mfa.sql). */
#define MFA_DIGEST_LEN 32
struct mfa_state {
	bool confirmed;             /* the user signs in with a code */
	const char *policy;         /* the organization's: none, admins or all */
};
enum db_result store_mfa_state(struct db *db, struct arena *a, const char *user_id,
    const char *org_id, struct mfa_state *s);
/* A user's enrolment: sealed secret (bytes in the arena), last step used; found false: none. */
struct mfa_secret {
	const unsigned char *sealed;
	size_t sealed_len;
	long long last_step;
	bool confirmed, found;
};
enum db_result store_mfa_secret(struct db *db, struct arena *a, const char *user_id,
    struct mfa_secret *m);
/* Start (or restart, when unconfirmed) an enrolment with a sealed secret. */
enum db_result store_mfa_enrol(struct db *db, const char *user_id, const unsigned char *sealed,
    size_t len);
/*
 * Spend TOTP step for user_id: *changed only when it is after the last one
 * used (confirm: and the enrolment is unconfirmed, which it then confirms).
 */
enum db_result store_mfa_use_step(struct db *db, const char *user_id, long long step, bool confirm,
    bool *changed);
/* Forget a user's second factor: enrolment, recovery codes, pending challenges. */
enum db_result store_mfa_remove(struct db *db, const char *user_id);
/* Drop the user's recovery codes (before a new set is added). */
enum db_result store_mfa_recovery_clear(struct db *db, const char *user_id);
enum db_result store_mfa_recovery_add(struct db *db, const char *user_id,
    const unsigned char digest[MFA_DIGEST_LEN]);
/* Spend an unused recovery code; *changed when there was one. */
enum db_result store_mfa_recovery_use(struct db *db, const char *user_id,
    const unsigned char digest[MFA_DIGEST_LEN], bool *changed);
/* A challenge of purpose (verify, enrol) for user_id, living ttl seconds. */
enum db_result store_mfa_challenge_create(struct db *db, const unsigned char digest[MFA_DIGEST_LEN],
    const char *user_id, const char *purpose, long ttl);
/* The user of a live challenge of purpose; *user_id NULL when there is none. */
enum db_result store_mfa_challenge_user(struct db *db, struct arena *a,
    const unsigned char digest[MFA_DIGEST_LEN], const char *purpose, const char **user_id);
/* Spend a live challenge; *changed false when it was spent or expired meanwhile. */
enum db_result store_mfa_challenge_spend(struct db *db, const unsigned char digest[MFA_DIGEST_LEN],
    bool *changed);
enum db_result store_org_mfa_policy(struct db *db, struct arena *a, const char *org_id,
    const char **policy);
enum db_result store_org_mfa_policy_set(struct db *db, const char *org_id, const char *policy);

/*
 * Account links (store_account.c, sql/012_account_links.sql): single-use
 * tokens kept as their SHA-256, bound to a user and a purpose.
 */
#define ACCOUNT_DIGEST_LEN 32
#define ACCOUNT_PURPOSE_ACTIVATION "activation"
#define ACCOUNT_PURPOSE_RESET "reset"
/*
 * Issue a link of purpose for the active user with this (normalised) email,
 * living ttl seconds, replacing the user's older ones of that purpose;
 * *issued false when no active user has the address (the same statements
 * run either way).
 */
enum db_result store_account_token_issue(struct db *db, const unsigned char digest[ACCOUNT_DIGEST_LEN],
    const char *email, const char *purpose, long ttl, bool *issued);
/* The user of a live token of purpose; *user_id NULL when there is none. */
enum db_result store_account_token_user(struct db *db, struct arena *a,
    const unsigned char digest[ACCOUNT_DIGEST_LEN], const char *purpose, const char **user_id);
/* Spend a live token of purpose; *changed false when it was spent or expired meanwhile. */
enum db_result store_account_token_spend(struct db *db, const unsigned char digest[ACCOUNT_DIGEST_LEN],
    const char *purpose, bool *changed);
/*
 * The notification outbox (store_notify.c). Queue event for the active user
 * id (or, by_email, the active user with that address; none: nothing
 * queued, the same statement run), detail may be NULL, kept ttl seconds.
 */
enum db_result store_notify_queue(struct db *db, const char *event, const char *who, bool by_email,
    const char *detail, long ttl);
/*
 * Claim up to batch due rows for this worker as claim (their next attempt
 * set retry_delay seconds on, counted; rows with max_attempts spent are
 * left) and read them into rows (enum notify_col) in arena a.
 */
enum db_result store_notify_claim(struct db *db, struct arena *a, const char *claim, long retry_delay,
    long max_attempts, long batch, struct db_rows *rows);
/* The one delivery lease, for seconds: *got when no other worker holds it; released by holder. */
enum db_result store_notify_lease(struct db *db, const char *holder, long seconds, bool *got);
enum db_result store_notify_release(struct db *db, const char *holder);
/* Delivered, or given up: the row goes. */
enum db_result store_notify_done(struct db *db, long long id);
/* Whether a session of user_id ever came from ip (kept until purged). */
enum db_result store_session_seen_ip(struct db *db, struct arena *a, const char *user_id,
    const char *ip, bool *seen);
/* Set an active user's password and clear its lockout; *changed false when it is not active. */
enum db_result store_account_password_set(struct db *db, const char *user_id, const char *hash,
    const char *pepper_id, bool *changed);

#endif
