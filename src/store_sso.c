/* store_sso.c -- single sign-on: connections, identity links, one-time login states. */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include "sso.h"
#include "store_catalog.h"
#include "util.h"

#define CONN_FIELD(col, kind, member) STORE_FIELD(col, kind, struct sso_connection, member)
static const struct store_field connection_fields[] = {CONN_COLUMNS_LIST(CONN_FIELD)};

/* Row i of a CONNECTION_SELECT statement: the organization, and the connection when there is one. */
static bool
org_connection_decode(struct db_rows *rows, size_t i, struct sso_org *org, struct sso_connection *conn)
{
	snprintf(org->id, sizeof(org->id), "%s", db_cell(rows, i, CONN_COL_ORG_ID));
	org->slug = db_cell(rows, i, CONN_COL_ORG_SLUG);
	if (db_cell(rows, i, CONN_COL_CONNECTION_ORG_ID) == NULL)
		return false;
	conn->org_id = org->id;
	STORE_DECODE(rows, i, connection_fields, conn);
	/* db_cell hands out the arena copy: the handler wipes it after use. */
	conn->client_secret = (char *)db_cell(rows, i, CONN_COL_CLIENT_SECRET);
	conn->client_secret_len = rows->lens[i * rows->ncols + CONN_COL_CLIENT_SECRET];
	return true;
}

/* Run a CONNECTION_SELECT statement of one row: the organization, and its connection when it has one. */
static enum db_result
org_connection_read(struct db *db, struct arena *a, enum store_stmt id, const struct db_param *p,
    size_t n, struct sso_org *org, struct sso_connection *conn, bool *conn_found)
{
	struct db_rows rows;
	enum db_result r;

	memset(org, 0, sizeof(*org));
	memset(conn, 0, sizeof(*conn));
	r = store_run_one(db, a, id, p, n, &rows, &org->found);
	*conn_found = org->found && org_connection_decode(&rows, 0, org, conn);
	return r;
}

enum db_result
store_sso_org_connection(struct db *db, struct arena *a, const char *id_or_slug, const char *name,
    struct sso_org *org, struct sso_connection *conn, bool *conn_found)
{
	return org_connection_read(db, a, STMT_SSO_ORG_CONNECTION,
	    DB_PARAMS(DBP_STR(name), DBP_STR(id_or_slug), DBP_STR(id_or_slug)), org, conn, conn_found);
}

enum db_result
store_sso_connection_get(struct db *db, struct arena *a, const char *org_id, const char *name,
    bool for_update, struct sso_org *org, struct sso_connection *conn, bool *found)
{
	return org_connection_read(db, a,
	    for_update ? STMT_SSO_CONNECTION_GET_LOCKED : STMT_SSO_CONNECTION_GET,
	    DB_PARAMS(DBP_STR(name), DBP_STR(org_id)), org, conn, found);
}

enum db_result
store_sso_connection_list(struct db *db, struct arena *a, const char *org_id, struct sso_org *org,
    struct sso_connection **conns, size_t *n)
{
	struct db_rows rows;
	enum db_result r = STORE_RUN(db, STMT_SSO_CONNECTION_LIST, &rows, a, DBP_STR(org_id));

	memset(org, 0, sizeof(*org));
	*conns = NULL;
	*n = 0;
	if (r != DB_OK || rows.nrows == 0)
		return r;
	org->found = true;
	if ((*conns = arena_alloc(a, rows.nrows * sizeof(**conns))) == NULL)
		return DB_ERROR;
	for (size_t i = 0; i < rows.nrows; i++) {
		struct sso_connection *conn = &(*conns)[*n];
		if (!org_connection_decode(&rows, i, org, conn))
			continue;
		/* A list never sends the secret anywhere: gone before anyone holds it. */
		explicit_bzero(conn->client_secret, conn->client_secret_len);
		conn->client_secret = NULL;
		(*n)++;
	}
	return r;
}

enum db_result
store_sso_connection_others(struct db *db, struct arena *a, const char *org_id, const char *name,
    struct db_rows *rows)
{
	return STORE_RUN(db, STMT_SSO_CONNECTION_OTHERS, rows, a, DBP_STR(org_id), DBP_STR(name));
}

enum db_result
store_sso_connection_delete(struct db *db, const char *org_id, const char *name, bool *deleted,
    unsigned long long *ended)
{
	struct db_rows rows = {0};
	enum db_result r = STORE_RUN(db, STMT_SSO_REVOKE_CONNECTION, &rows, NULL, DBP_STR(org_id),
	    DBP_STR(name));

	*deleted = false;
	*ended = r == DB_OK ? rows.affected : 0;
	if (r == DB_OK)
		r = STORE_CHANGE(db, STMT_SSO_CONNECTION_DELETE, deleted, DBP_STR(org_id), DBP_STR(name));
	return r;
}

enum db_result
store_sso_state_connection(struct db *db, struct arena *a, const char *state, const char **name)
{
	struct db_rows rows;
	bool exists = false;

	/* The row take reads, not spent: the callback learns its connection before anything else. */
	*name = NULL;
	enum db_result r = STORE_ONE(db, a, STMT_SSO_STATE_READ, &rows, &exists, DBP_STR(state));
	if (exists)
		*name = db_cell(&rows, 0, STATE_COL_CONNECTION);
	return r;
}

enum db_result
store_sso_connection_put(struct db *db, const char *org_id, const struct sso_connection_write *w)
{
	/* A save without rules (overwatch-admin sso-set) clears them: a save replaces the connection. */
	const char *rules = w->role_rules != NULL ? w->role_rules : "{}";
	const char *scopes = w->scopes != NULL ? w->scopes : SSO_SCOPES_DEFAULT;
	const char *userinfo = w->userinfo_endpoint != NULL ? w->userinfo_endpoint : "";
	const char *end_session = w->end_session_endpoint != NULL ? w->end_session_endpoint : "";
	const char *name = w->name != NULL ? w->name : SSO_DEFAULT_CONNECTION;

	if (w->client_secret != NULL)
		return STORE_RUN(db, STMT_SSO_CONNECTION_UPSERT, NULL, NULL, DBP_STR(org_id), DBP_STR(name),
		    DBP_STR(w->issuer), DBP_STR(w->client_id), DBP_STR(w->client_secret),
		    DBP_STR(w->allowed_domains), DBP_INT(w->auto_create),
		    DBP_INT(w->link_existing_accounts), DBP_STR(w->default_role), DBP_INT(w->enabled),
		    DBP_STR(w->provider_issuer), DBP_STR(w->authorization_endpoint),
		    DBP_STR(w->token_endpoint), DBP_STR(w->jwks_uri), DBP_STR(w->jwks),
		    DBP_OPT(w->role_claim), DBP_STR(rules), DBP_OPT(w->rules_author_role),
		    DBP_STR(scopes), DBP_STR(userinfo), DBP_STR(end_session));
	return STORE_RUN(db, STMT_SSO_CONNECTION_KEEP_SECRET, NULL, NULL, DBP_STR(w->issuer),
	    DBP_STR(w->client_id), DBP_STR(w->allowed_domains), DBP_INT(w->auto_create),
	    DBP_INT(w->link_existing_accounts), DBP_STR(w->default_role), DBP_INT(w->enabled),
	    DBP_STR(w->provider_issuer), DBP_STR(w->authorization_endpoint),
	    DBP_STR(w->token_endpoint), DBP_STR(w->jwks_uri), DBP_STR(w->jwks),
	    DBP_OPT(w->role_claim), DBP_STR(rules), DBP_OPT(w->rules_author_role), DBP_STR(scopes),
	    DBP_STR(userinfo), DBP_STR(end_session), DBP_STR(org_id), DBP_STR(name));
}

enum db_result
store_sso_connection_jwks(struct db *db, const char *org_id, const char *name, const char *jwks_uri,
    const char *jwks)
{
	return STORE_RUN(db, STMT_SSO_CONNECTION_JWKS, NULL, NULL, DBP_STR(jwks), DBP_STR(org_id),
	    DBP_STR(name), DBP_STR(jwks_uri));
}

/* GET_LOCK or RELEASE_LOCK on name; *one (may be NULL) when it answered 1. */
static enum db_result
advisory_lock(struct db *db, enum store_stmt id, const char *name, bool *one)
{
	struct db_rows rows;
	struct arena a;
	enum db_result r;

	/* The caller may hold no request arena (the provider guard runs around outbound calls). */
	arena_init(&a, 4096);
	r = STORE_RUN(db, id, &rows, &a, DBP_STR(name));
	if (one != NULL)
		*one = r == DB_OK && rows.nrows == 1 && db_cell(&rows, 0, 0) != NULL &&
		    db_cell_int(&rows, 0, 0) == 1;
	arena_free(&a);
	return r;
}

enum db_result
store_sso_provider_lock(struct db *db, const char *name, bool *got)
{
	return advisory_lock(db, STMT_SSO_PROVIDER_LOCK, name, got);
}

enum db_result
store_sso_provider_unlock(struct db *db, const char *name)
{
	return advisory_lock(db, STMT_SSO_PROVIDER_UNLOCK, name, NULL);
}

enum db_result
store_sso_provider_failing(struct db *db, struct arena *a, const char *issuer, bool *failing)
{
	struct db_rows rows;
	return STORE_ONE(db, a, STMT_SSO_PROVIDER_FAILING, &rows, failing, DBP_STR(issuer));
}

enum db_result
store_sso_provider_failed(struct db *db, const char *issuer, long ttl, const char *reason)
{
	return STORE_RUN(db, STMT_SSO_PROVIDER_FAILED, NULL, NULL, DBP_STR(issuer), DBP_INT(ttl),
	    DBP_STR(reason));
}

enum db_result
store_sso_provider_recovered(struct db *db, const char *issuer)
{
	return STORE_RUN(db, STMT_SSO_PROVIDER_RECOVERED, NULL, NULL, DBP_STR(issuer));
}

enum db_result
store_sso_state_create(struct db *db, const struct sso_state *s, long ttl)
{
	return STORE_RUN(db, STMT_SSO_STATE_CREATE, NULL, NULL, DBP_STR(s->state), DBP_STR(s->org_id),
	    DBP_STR(s->connection), DBP_STR(s->nonce), DBP_STR(s->code_verifier), DBP_STR(s->binding_hash),
	    DBP_STR(s->redirect_uri), DBP_OPT(s->redirect_to), DBP_OPT(s->link_user_id), DBP_INT(ttl));
}

#define STATE_FIELD(col, kind, member) STORE_FIELD(col, kind, struct sso_state, member)
static const struct store_field state_fields[] = {STATE_COLUMNS_LIST(STATE_FIELD)};

enum db_result
store_sso_state_take(struct db *db, struct arena *a, const char *state, struct sso_state *s,
    bool *found)
{
	struct db_rows rows;
	bool exists, taken;
	enum db_result r = STORE_ONE(db, a, STMT_SSO_STATE_READ, &rows, &exists, DBP_STR(state));

	memset(s, 0, sizeof(*s));
	*found = false;
	if (!exists)
		return r;
	/* Whoever deletes the row owns it: of two racing callbacks only one sees a row go. */
	if ((r = STORE_CHANGE(db, STMT_SSO_STATE_DELETE, &taken, DBP_STR(state))) != DB_OK || !taken)
		return r;
	*found = true;
	s->state = state;
	STORE_DECODE(&rows, 0, state_fields, s);
	return r;
}

enum db_result
store_sso_identity_user(struct db *db, struct arena *a, const char *org_id, const char *issuer,
    const char *subject, char user_id[UUID_STR_LEN], bool *found)
{
	struct db_rows rows;
	enum db_result r = STORE_ONE(db, a, STMT_SSO_IDENTITY_USER, &rows, found, DBP_STR(org_id),
	    DBP_STR(issuer), DBP_STR(subject));

	if (*found)
		snprintf(user_id, UUID_STR_LEN, "%s", db_cell(&rows, 0, 0));
	return r;
}

enum db_result
store_sso_identity_link(struct db *db, const char *org_id, const char *issuer, const char *subject,
    const char *user_id)
{
	return STORE_RUN(db, STMT_SSO_IDENTITY_LINK, NULL, NULL, DBP_STR(org_id), DBP_STR(issuer),
	    DBP_STR(subject), DBP_STR(user_id));
}

enum db_result
store_sso_identity_touch(struct db *db, const char *org_id, const char *issuer, const char *subject)
{
	return STORE_RUN(db, STMT_SSO_IDENTITY_TOUCH, NULL, NULL, DBP_STR(org_id), DBP_STR(issuer),
	    DBP_STR(subject));
}

enum db_result
store_sso_policy(struct db *db, struct arena *a, const char *org_id, bool *required,
    bool *have_connection)
{
	struct db_rows rows;
	bool found = false;
	enum db_result r = STORE_ONE(db, a, STMT_SSO_POLICY, &rows, &found, DBP_STR(org_id));

	*required = found && db_cell_int(&rows, 0, 0) != 0;
	*have_connection = found && db_cell_int(&rows, 0, 1) != 0;
	return r;
}

enum db_result
store_sso_policy_set(struct db *db, const char *org_id, bool required)
{
	return STORE_RUN(db, STMT_SSO_POLICY_SET, NULL, NULL, DBP_INT(required), DBP_STR(org_id));
}

enum db_result
store_sso_break_glass_list(struct db *db, struct arena *a, const char *org_id, struct db_rows *rows)
{
	return STORE_RUN(db, STMT_SSO_BREAK_GLASS_LIST, rows, a, DBP_STR(org_id));
}

enum db_result
store_sso_break_glass_clear(struct db *db, const char *org_id)
{
	return STORE_RUN(db, STMT_SSO_BREAK_GLASS_CLEAR, NULL, NULL, DBP_STR(org_id));
}

enum db_result
store_sso_break_glass_set(struct db *db, const char *id, const char *org_id, bool *changed)
{
	return STORE_CHANGE(db, STMT_SSO_BREAK_GLASS_SET, changed, DBP_STR(id), DBP_STR(org_id));
}

enum db_result
store_sso_password_refused(struct db *db, struct arena *a, const char *id, bool *refused)
{
	struct db_rows rows;
	bool found = false;
	enum db_result r = STORE_ONE(db, a, STMT_SSO_PASSWORD_REFUSED, &rows, &found, DBP_STR(id));

	*refused = found && db_cell_int(&rows, 0, 0) != 0;
	return r;
}
